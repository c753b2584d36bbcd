//! Latency models as data: Go-style durations, the distributions a scenario names, and seeded sampling.
//!
//! A [`Dist`] is written in the scenario YAML as one of
//!
//! ```yaml
//! startup: 2s                                  # a bare duration: fixed
//! startup: {fixed: 2s}
//! startup: {uniform: {min: 1s, max: 3s}}
//! startup: {exponential: {mean: 2s}}
//! startup: {lognormal: {p50: 1s, p99: 5s}}
//! ```
//!
//! Durations are Go's `time.ParseDuration` strings (`"500ms"`, `"1.5s"`, `"1h30m"`,
//! `"0"`); [`serde_duration`] is the serde helper any config struct can use
//! (`#[serde(with = "crate::sim::latency::serde_duration")]`). Impossible values
//! (a negative duration, `min > max`, `p99 < p50`, `p50 = 0`) are refused while
//! deserializing, so a scenario loader reports them with the file, line and key.
//!
//! Sampling draws from any [`Rng`] (a seeded `StdRng`, or the kubelet's per-pod
//! [`SplitMix64`]): a fixed number of draws per variant (fixed 0, uniform and
//! exponential 1, lognormal 2), so a seeded sequence of samples is reproducible.
//! Formulas: exponential `−mean·ln(U)`; lognormal `exp(μ + σZ)` with
//! `μ = ln p50`, `σ = (ln p99 − ln p50) / 2.326348` (z of 0.99) and `Z` from Box–Muller.

use std::fmt;
use std::time::Duration;

use rand::{Rng, RngCore};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The 0.99 quantile of the standard normal distribution.
const Z99: f64 = 2.326_348;

/// A malformed duration or an impossible distribution.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LatencyError {
    #[error("invalid duration {input:?}: {reason}")]
    Duration { input: String, reason: String },
    #[error("{dist}: {reason}")]
    Dist { dist: &'static str, reason: String },
}

pub type Result<T, E = LatencyError> = std::result::Result<T, E>;

/// A latency distribution (see the module doc for the YAML shapes).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Dist {
    Fixed(#[serde(with = "serde_duration")] Duration),
    Uniform {
        #[serde(with = "serde_duration")]
        min: Duration,
        #[serde(with = "serde_duration")]
        max: Duration,
    },
    Exponential {
        #[serde(with = "serde_duration")]
        mean: Duration,
    },
    Lognormal {
        #[serde(with = "serde_duration")]
        p50: Duration,
        #[serde(with = "serde_duration")]
        p99: Duration,
    },
}

impl Default for Dist {
    fn default() -> Self {
        Dist::zero()
    }
}

impl Dist {
    /// Always zero: the transition happens at once.
    pub fn zero() -> Self {
        Dist::Fixed(Duration::ZERO)
    }

    pub fn fixed(d: Duration) -> Self {
        Dist::Fixed(d)
    }

    /// Checks the parameters: `min <= max`, `0 < p50 <= p99`.
    pub fn validate(&self) -> Result<()> {
        let bad = |dist, reason: String| Err(LatencyError::Dist { dist, reason });
        match *self {
            Dist::Uniform { min, max } if min > max => {
                bad("uniform", format!("min ({}) must not exceed max ({})", format_duration(min), format_duration(max)))
            }
            Dist::Lognormal { p50, .. } if p50.is_zero() => bad("lognormal", "p50 must be greater than 0".into()),
            Dist::Lognormal { p50, p99 } if p99 < p50 => bad(
                "lognormal",
                format!("p99 ({}) must be at least p50 ({})", format_duration(p99), format_duration(p50)),
            ),
            _ => Ok(()),
        }
    }

    /// One draw. The parameters must be valid ([`Self::validate`]); an invalid uniform draws `min`.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> Duration {
        match *self {
            Dist::Fixed(d) => d,
            Dist::Uniform { min, max } => {
                let (lo, hi) = (nanos(min), nanos(max));
                Duration::from_nanos(if hi <= lo { lo } else { rng.random_range(lo..=hi) })
            }
            Dist::Exponential { mean } => {
                let u = 1.0 - rng.random::<f64>(); // (0, 1]
                secs(-mean.as_secs_f64() * u.ln())
            }
            Dist::Lognormal { p50, p99 } => {
                let mu = p50.as_secs_f64().ln();
                let sigma = (p99.as_secs_f64().ln() - mu) / Z99;
                let u1 = 1.0 - rng.random::<f64>();
                let u2 = rng.random::<f64>();
                let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
                secs((mu + sigma * z).exp())
            }
        }
    }

    pub fn is_zero(&self) -> bool {
        *self == Dist::zero()
    }
}

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

fn secs(s: f64) -> Duration {
    Duration::try_from_secs_f64(s.max(0.0)).unwrap_or(Duration::MAX)
}

impl fmt::Display for Dist {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = |x: Duration| format_duration(x);
        match *self {
            Dist::Fixed(x) => write!(f, "fixed({})", d(x)),
            Dist::Uniform { min, max } => write!(f, "uniform({}..{})", d(min), d(max)),
            Dist::Exponential { mean } => write!(f, "exponential(mean {})", d(mean)),
            Dist::Lognormal { p50, p99 } => write!(f, "lognormal(p50 {}, p99 {})", d(p50), d(p99)),
        }
    }
}

/// The tagged form, derived; [`Dist`]'s own `Deserialize` adds the bare-duration form and validation.
#[derive(Deserialize)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
enum Tagged {
    Fixed(#[serde(with = "serde_duration")] Duration),
    Uniform {
        #[serde(with = "serde_duration")]
        min: Duration,
        #[serde(with = "serde_duration")]
        max: Duration,
    },
    Exponential {
        #[serde(with = "serde_duration")]
        mean: Duration,
    },
    Lognormal {
        #[serde(with = "serde_duration")]
        p50: Duration,
        #[serde(with = "serde_duration")]
        p99: Duration,
    },
}

impl<'de> Deserialize<'de> for Dist {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = Dist;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a duration or one of {fixed: D}, {uniform: {min, max}}, {exponential: {mean}}, {lognormal: {p50, p99}}")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> std::result::Result<Dist, E> {
                parse_duration(s).map(Dist::Fixed).map_err(E::custom)
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> std::result::Result<Dist, E> {
                zero_only(v as f64).map(Dist::Fixed)
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> std::result::Result<Dist, E> {
                zero_only(v as f64).map(Dist::Fixed)
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> std::result::Result<Dist, E> {
                zero_only(v).map(Dist::Fixed)
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> std::result::Result<Dist, A::Error> {
                Tagged::deserialize(serde::de::value::MapAccessDeserializer::new(map))?.checked()
            }
            /// YAML's `!lognormal {p50: 1s, p99: 5s}` form.
            fn visit_enum<A: serde::de::EnumAccess<'de>>(self, e: A) -> std::result::Result<Dist, A::Error> {
                Tagged::deserialize(serde::de::value::EnumAccessDeserializer::new(e))?.checked()
            }
        }
        d.deserialize_any(V)
    }
}

impl Tagged {
    fn checked<E: serde::de::Error>(self) -> std::result::Result<Dist, E> {
        let dist = match self {
            Tagged::Fixed(d) => Dist::Fixed(d),
            Tagged::Uniform { min, max } => Dist::Uniform { min, max },
            Tagged::Exponential { mean } => Dist::Exponential { mean },
            Tagged::Lognormal { p50, p99 } => Dist::Lognormal { p50, p99 },
        };
        dist.validate().map_err(E::custom)?;
        Ok(dist)
    }
}

/// A plain number is only accepted as zero (Go durations need a unit).
fn zero_only<E: serde::de::Error>(v: f64) -> std::result::Result<Duration, E> {
    if v == 0.0 {
        Ok(Duration::ZERO)
    } else {
        Err(E::custom(format!("invalid duration {v}: missing unit (write e.g. \"{v}s\" or \"{v}ms\")")))
    }
}

/// Parses a Go duration string (`time.ParseDuration`): a sequence of decimal numbers with
/// optional fraction and a unit (`ns`, `us`/`µs`, `ms`, `s`, `m`, `h`), e.g. `"1h30m"`,
/// `"1.5s"`, `"500ms"`; `"0"` alone needs no unit. Negative durations are refused.
pub fn parse_duration(input: &str) -> Result<Duration> {
    let err = |reason: &str| LatencyError::Duration { input: input.to_string(), reason: reason.to_string() };
    let s = input.trim();
    let (negative, mut rest) = match s.as_bytes().first() {
        Some(b'-') => (true, &s[1..]),
        Some(b'+') => (false, &s[1..]),
        _ => (false, s),
    };
    if rest == "0" {
        return Ok(Duration::ZERO);
    }
    if rest.is_empty() {
        return Err(err("empty"));
    }
    let mut total: u128 = 0;
    while !rest.is_empty() {
        let int_len = rest.bytes().take_while(u8::is_ascii_digit).count();
        let (int, after) = rest.split_at(int_len);
        let (frac, after) = match after.strip_prefix('.') {
            Some(a) => a.split_at(a.bytes().take_while(u8::is_ascii_digit).count()),
            None => ("", after),
        };
        if int.is_empty() && frac.is_empty() {
            return Err(err("expected a number"));
        }
        let unit_len = after.find(|c: char| c.is_ascii_digit() || c == '.').unwrap_or(after.len());
        let (unit, after) = after.split_at(unit_len);
        let per_unit: u128 = match unit {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            "" => return Err(err("missing unit (one of ns, us, ms, s, m, h)")),
            _ => return Err(err(&format!("unknown unit {unit:?} (one of ns, us, ms, s, m, h)"))),
        };
        let whole: u128 = if int.is_empty() { 0 } else { int.parse().map_err(|_| err("out of range"))? };
        let mut part = whole.checked_mul(per_unit).ok_or_else(|| err("out of range"))?;
        // Fraction: at most 18 digits matter below a nanosecond of an hour.
        let digits = &frac[..frac.len().min(18)];
        if !digits.is_empty() {
            let f: u128 = digits.parse().map_err(|_| err("bad fraction"))?;
            part += f * per_unit / 10u128.pow(digits.len() as u32);
        }
        total = total.checked_add(part).ok_or_else(|| err("out of range"))?;
        rest = after;
    }
    if total > u128::from(u64::MAX) {
        return Err(err("out of range"));
    }
    if negative && total > 0 {
        return Err(err("must not be negative"));
    }
    Ok(Duration::from_nanos(total as u64))
}

/// Formats like Go's `Duration.String`: `"0s"`, `"250ms"`, `"1.5s"`, `"1h30m0s"`.
pub fn format_duration(d: Duration) -> String {
    let n = d.as_nanos();
    let with_fraction = |unit: u128, width: usize, suffix: &str| {
        let (whole, rem) = (n / unit, n % unit);
        if rem == 0 {
            format!("{whole}{suffix}")
        } else {
            let frac = format!("{rem:0width$}");
            format!("{whole}.{}{suffix}", frac.trim_end_matches('0'))
        }
    };
    match n {
        0 => "0s".to_string(),
        1..=999 => format!("{n}ns"),
        1_000..=999_999 => with_fraction(1_000, 3, "µs"),
        1_000_000..=999_999_999 => with_fraction(1_000_000, 6, "ms"),
        _ => {
            let secs = n / 1_000_000_000;
            let (h, m) = (secs / 3600, secs / 60 % 60);
            let mut out = String::new();
            if h > 0 {
                out.push_str(&format!("{h}h"));
            }
            if h > 0 || m > 0 {
                out.push_str(&format!("{m}m"));
            }
            let s_nanos = n - (h * 3600 + m * 60) * 1_000_000_000;
            let (whole, rem) = (s_nanos / 1_000_000_000, s_nanos % 1_000_000_000);
            if rem == 0 {
                out.push_str(&format!("{whole}s"));
            } else {
                out.push_str(&format!("{whole}.{}s", format!("{rem:09}").trim_end_matches('0')));
            }
            out
        }
    }
}

/// Serde helper for `Duration` fields as Go duration strings (`#[serde(with = "serde_duration")]`).
/// Reads a string, or the number 0; writes [`format_duration`]'s form.
pub mod serde_duration {
    use super::*;

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&format_duration(*d))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Duration, D::Error> {
        d.deserialize_any(DurationVisitor)
    }

    pub(super) struct DurationVisitor;

    impl serde::de::Visitor<'_> for DurationVisitor {
        type Value = Duration;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a duration such as \"500ms\", \"1.5s\" or \"2m\"")
        }
        fn visit_str<E: serde::de::Error>(self, s: &str) -> std::result::Result<Duration, E> {
            parse_duration(s).map_err(E::custom)
        }
        fn visit_u64<E: serde::de::Error>(self, v: u64) -> std::result::Result<Duration, E> {
            zero_only(v as f64)
        }
        fn visit_i64<E: serde::de::Error>(self, v: i64) -> std::result::Result<Duration, E> {
            zero_only(v as f64)
        }
        fn visit_f64<E: serde::de::Error>(self, v: f64) -> std::result::Result<Duration, E> {
            zero_only(v)
        }
    }

    /// The same for `Option<Duration>` (absent or `null` = `None`; use with `#[serde(default)]`).
    pub mod option {
        use super::*;

        pub fn serialize<S: Serializer>(d: &Option<Duration>, s: S) -> std::result::Result<S::Ok, S::Error> {
            match d {
                Some(d) => s.serialize_some(&format_duration(*d)),
                None => s.serialize_none(),
            }
        }

        pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Option<Duration>, D::Error> {
            struct Opt;
            impl<'de> serde::de::Visitor<'de> for Opt {
                type Value = Option<Duration>;
                fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                    f.write_str("a duration or null")
                }
                fn visit_none<E: serde::de::Error>(self) -> std::result::Result<Self::Value, E> {
                    Ok(None)
                }
                fn visit_unit<E: serde::de::Error>(self) -> std::result::Result<Self::Value, E> {
                    Ok(None)
                }
                fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> std::result::Result<Self::Value, D2::Error> {
                    d.deserialize_any(DurationVisitor).map(Some)
                }
            }
            d.deserialize_option(Opt)
        }
    }
}

/// SplitMix64: a tiny seeded generator (8 bytes of state), so every pod can carry its own
/// stream and its draws do not depend on how other pods' transitions interleave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    /// A stream for one object: `seed` mixed with an FNV-1a hash of its identity (e.g. the uid).
    pub fn for_object(seed: u64, identity: &str) -> Self {
        let h =
            identity.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3));
        SplitMix64(seed ^ h.rotate_left(17))
    }
}

impl RngCore for SplitMix64 {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn next_u32(&mut self) -> u32 {
        (self.next_u64() >> 32) as u32
    }
    fn fill_bytes(&mut self, dst: &mut [u8]) {
        for chunk in dst.chunks_mut(8) {
            let v = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::StdRng;
    use rand::SeedableRng;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn parses_go_durations() {
        let cases = [
            ("0", Duration::ZERO),
            ("0s", Duration::ZERO),
            ("-0", Duration::ZERO),
            ("500ms", ms(500)),
            ("1.5s", ms(1500)),
            ("2m", Duration::from_secs(120)),
            ("1h30m", Duration::from_secs(5400)),
            ("1h2m3.5s", Duration::from_millis(3_723_500)),
            ("10us", Duration::from_micros(10)),
            ("10µs", Duration::from_micros(10)),
            ("7ns", Duration::from_nanos(7)),
            (".5s", ms(500)),
            ("1.s", Duration::from_secs(1)),
            ("+3s", Duration::from_secs(3)),
            ("0.000000001s", Duration::from_nanos(1)),
        ];
        for (s, want) in cases {
            assert_eq!(parse_duration(s), Ok(want), "{s}");
        }
    }

    #[test]
    fn refuses_malformed_and_negative_durations() {
        for (s, reason) in [
            ("", "empty"),
            ("5", "missing unit"),
            ("1x", "unknown unit \"x\""),
            ("-1s", "must not be negative"),
            ("s", "expected a number"),
            ("1.5.5s", "missing unit"),
            ("99999999999999999999h", "out of range"),
        ] {
            let e = parse_duration(s).unwrap_err().to_string();
            assert!(e.contains(reason), "{s:?}: {e}");
            assert!(e.starts_with(&format!("invalid duration {s:?}")), "{e}");
        }
    }

    #[test]
    fn formats_like_go() {
        let cases = [
            (Duration::ZERO, "0s"),
            (Duration::from_nanos(12), "12ns"),
            (Duration::from_micros(1500), "1.5ms"),
            (Duration::from_nanos(1500), "1.5µs"),
            (ms(250), "250ms"),
            (ms(1500), "1.5s"),
            (Duration::from_secs(90), "1m30s"),
            (Duration::from_secs(5400), "1h30m0s"),
            (Duration::from_millis(3_600_500), "1h0m0.5s"),
        ];
        for (d, s) in cases {
            assert_eq!(format_duration(d), s);
            assert_eq!(parse_duration(s), Ok(d), "round trip {s}");
        }
    }

    fn dist(yaml: &str) -> std::result::Result<Dist, String> {
        serde_norway::from_str(yaml).map_err(|e| e.to_string())
    }

    #[test]
    fn dists_read_from_yaml_in_every_shape() {
        assert_eq!(dist("2s"), Ok(Dist::Fixed(Duration::from_secs(2))));
        assert_eq!(dist("0"), Ok(Dist::zero()));
        assert_eq!(dist("{fixed: 1s}"), Ok(Dist::Fixed(Duration::from_secs(1))));
        assert_eq!(dist("{uniform: {min: 1s, max: 3s}}"), Ok(Dist::Uniform { min: ms(1000), max: ms(3000) }));
        assert_eq!(dist("{exponential: {mean: 2s}}"), Ok(Dist::Exponential { mean: ms(2000) }));
        assert_eq!(dist("lognormal:\n  p50: 1s\n  p99: 5s\n"), Ok(Dist::Lognormal { p50: ms(1000), p99: ms(5000) }));
        let d = Dist::Lognormal { p50: ms(1000), p99: ms(5000) };
        let text = serde_norway::to_string(&d).unwrap();
        assert_eq!(dist(&text), Ok(d));
        assert_eq!(serde_json::to_string(&Dist::Fixed(ms(1500))).unwrap(), r#"{"fixed":"1.5s"}"#);
    }

    #[test]
    fn impossible_dists_are_refused_with_a_clear_message() {
        let cases = [
            ("{lognormal: {p50: 5s, p99: 1s}}", "lognormal: p99 (1s) must be at least p50 (5s)"),
            ("{lognormal: {p50: 0s, p99: 1s}}", "lognormal: p50 must be greater than 0"),
            ("{uniform: {min: 3s, max: 1s}}", "uniform: min (3s) must not exceed max (1s)"),
            ("{fixed: -1s}", "must not be negative"),
            ("{exponential: {mean: 2}}", "missing unit"),
            ("{gamma: {k: 1s}}", "unknown variant `gamma`"),
            ("{uniform: {min: 1s, max: 2s, mode: 1s}}", "unknown field `mode`"),
            ("{lognormal: {p50: 1s}}", "missing field `p99`"),
        ];
        for (yaml, want) in cases {
            let e = dist(yaml).unwrap_err();
            assert!(e.contains(want), "{yaml}: {e}");
        }
    }

    #[test]
    fn fixed_and_uniform_samples_stay_in_range() {
        let mut rng = StdRng::seed_from_u64(1);
        assert_eq!(Dist::fixed(ms(7)).sample(&mut rng), ms(7));
        let u = Dist::Uniform { min: ms(10), max: ms(20) };
        for _ in 0..1000 {
            let x = u.sample(&mut rng);
            assert!(ms(10) <= x && x <= ms(20));
        }
    }

    /// The q-quantile of sorted samples.
    fn quantile(sorted: &[Duration], q: f64) -> f64 {
        sorted[((sorted.len() as f64 * q) as usize).min(sorted.len() - 1)].as_secs_f64()
    }

    #[test]
    fn lognormal_samples_hit_p50_and_p99() {
        let d = Dist::Lognormal { p50: ms(1000), p99: ms(5000) };
        let mut rng = StdRng::seed_from_u64(42);
        let mut xs: Vec<Duration> = (0..20_000).map(|_| d.sample(&mut rng)).collect();
        xs.sort();
        let (p50, p99) = (quantile(&xs, 0.5), quantile(&xs, 0.99));
        assert!((p50 - 1.0).abs() < 0.05, "p50 {p50}");
        assert!((p99 - 5.0).abs() < 0.5, "p99 {p99}");
    }

    #[test]
    fn exponential_and_uniform_means_match() {
        let mut rng = SplitMix64::new(9);
        let n = 20_000;
        let e = Dist::Exponential { mean: ms(2000) };
        let mean = (0..n).map(|_| e.sample(&mut rng).as_secs_f64()).sum::<f64>() / n as f64;
        assert!((mean - 2.0).abs() < 0.08, "exponential mean {mean}");
        let u = Dist::Uniform { min: ms(1000), max: ms(3000) };
        let mean = (0..n).map(|_| u.sample(&mut rng).as_secs_f64()).sum::<f64>() / n as f64;
        assert!((mean - 2.0).abs() < 0.03, "uniform mean {mean}");
    }

    #[test]
    fn same_seed_same_samples_and_streams_differ_per_object() {
        let d = Dist::Lognormal { p50: ms(1000), p99: ms(5000) };
        let draw = |mut r: SplitMix64| (0..5).map(|_| d.sample(&mut r)).collect::<Vec<_>>();
        assert_eq!(draw(SplitMix64::for_object(1, "uid-a")), draw(SplitMix64::for_object(1, "uid-a")));
        assert_ne!(draw(SplitMix64::for_object(1, "uid-a")), draw(SplitMix64::for_object(1, "uid-b")));
        assert_ne!(draw(SplitMix64::for_object(1, "uid-a")), draw(SplitMix64::for_object(2, "uid-a")));
    }

    #[test]
    fn serde_duration_helper_reads_strings_and_zero() {
        #[derive(Deserialize, Serialize, PartialEq, Debug)]
        struct C {
            #[serde(with = "serde_duration")]
            d: Duration,
            #[serde(default, with = "serde_duration::option")]
            o: Option<Duration>,
        }
        let c: C = serde_norway::from_str("d: 1m30s\no: 2s\n").unwrap();
        assert_eq!(c, C { d: Duration::from_secs(90), o: Some(Duration::from_secs(2)) });
        let c: C = serde_norway::from_str("d: 0\n").unwrap();
        assert_eq!(c, C { d: Duration::ZERO, o: None });
        assert_eq!(serde_json::to_string(&C { d: ms(1500), o: None }).unwrap(), r#"{"d":"1.5s","o":null}"#);
        assert!(serde_norway::from_str::<C>("d: 5\n").unwrap_err().to_string().contains("missing unit"));
    }
}
