//! CronJob schedules: Kubernetes' grammar (`cron.ParseStandard` of robfig/cron v3),
//! checked here and handed to `croner` in a form it evaluates the same way.
//!
//! Accepted, exactly as upstream: five fields (minute 0-59, hour 0-23, day of month
//! 1-31, month 1-12 or `jan`-`dec`, day of week 0-6 or `sun`-`sat`, names in any case),
//! each a comma list of `*`, `?`, `N`, `N-M`, optionally `/step` (`N/step` = `N-max/step`);
//! an optional `TZ=<zone> ` / `CRON_TZ=<zone> ` prefix; the descriptors `@yearly`,
//! `@annually`, `@monthly`, `@weekly`, `@daily`, `@midnight`, `@hourly`; and
//! `@every <Go duration>`. Rejected: everything croner adds on top (seconds and year
//! fields, `L`, `W`, `#`, day of week 7, `+` day-of-week prefix, names inside
//! ranges' steps ...). Errors are robfig's messages.
//!
//! Day matching follows robfig: when day-of-month or day-of-week starts with `*` or
//! `?` (without a step > 1) both must match, otherwise either. The croner pattern
//! built here lists every field's values explicitly and writes `*` exactly for those
//! starred day fields, which gives croner's matcher the same semantics.

use std::fmt::Write as _;

use croner::parser::CronParser;
use croner::Cron;

/// A parsed schedule.
#[derive(Clone, Debug)]
pub struct Schedule {
    /// The zone of a `TZ=` / `CRON_TZ=` prefix (the `timeZone` field is separate).
    pub time_zone: Option<String>,
    pub kind: ScheduleKind,
}

/// When a schedule fires.
#[derive(Clone, Debug)]
pub enum ScheduleKind {
    /// A cron pattern, in croner's syntax with robfig's meaning.
    Cron(Box<Cron>),
    /// `@every <duration>`: fixed delay in whole seconds (at least 1), as robfig's `Every`.
    Every { seconds: u64 },
    /// A pattern that can never match (a field such as `,` selects no value); upstream accepts it.
    Never,
}

/// `(min, max, names)` of each field, robfig's `bounds`.
struct Bounds {
    min: u32,
    max: u32,
    names: &'static [&'static str],
}

const MONTHS: [&str; 12] = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"];
const DAYS: [&str; 7] = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"];
const FIELDS: [Bounds; 5] = [
    Bounds { min: 0, max: 59, names: &[] },
    Bounds { min: 0, max: 23, names: &[] },
    Bounds { min: 1, max: 31, names: &[] },
    Bounds { min: 1, max: 12, names: &MONTHS },
    Bounds { min: 0, max: 6, names: &DAYS },
];

/// One parsed field: the selected values as bits, and robfig's "star bit".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Field {
    bits: u64,
    star: bool,
}

/// Parses a CronJob schedule as Kubernetes does; the error is upstream's message.
pub fn parse_schedule(spec: &str) -> Result<Schedule, String> {
    if spec.is_empty() {
        return Err("empty spec string".to_string());
    }
    let mut spec = spec;
    let mut time_zone = None;
    if spec.starts_with("TZ=") || spec.starts_with("CRON_TZ=") {
        let eq = spec.find('=').unwrap_or(0);
        let Some(space) = spec.find(' ') else {
            let zone = &spec[eq + 1..];
            return Err(format!("provided bad location {zone}: unknown time zone {zone}"));
        };
        let zone = &spec[eq + 1..space];
        if !zone.is_empty() && zone != "UTC" && zone != "Local" && !super::batch::time_zone_syntax_ok(zone) {
            return Err(format!("provided bad location {zone}: unknown time zone {zone}"));
        }
        time_zone = Some(zone.to_string());
        spec = spec[space..].trim();
    }
    if spec.starts_with('@') {
        return descriptor(spec).map(|kind| Schedule { time_zone, kind });
    }
    let fields: Vec<&str> = spec.split_whitespace().collect();
    if fields.len() != 5 {
        return Err(format!("expected exactly 5 fields, found {}: [{}]", fields.len(), fields.join(" ")));
    }
    let mut parsed = [Field::default(); 5];
    for (i, (text, bounds)) in fields.iter().zip(&FIELDS).enumerate() {
        parsed[i] = field(text, bounds)?;
    }
    Ok(Schedule { time_zone, kind: to_croner(&parsed)? })
}

/// robfig's `parseDescriptor` (exact, case-sensitive spellings).
fn descriptor(d: &str) -> Result<ScheduleKind, String> {
    let pattern = match d {
        "@yearly" | "@annually" => "0 0 1 1 *",
        "@monthly" => "0 0 1 * *",
        "@weekly" => "0 0 * * 0",
        "@daily" | "@midnight" => "0 0 * * *",
        "@hourly" => "0 * * * *",
        _ => {
            let Some(text) = d.strip_prefix("@every ") else {
                return Err(format!("unrecognized descriptor: {d}"));
            };
            let nanos = go_parse_duration(text).map_err(|e| format!("failed to parse duration {d}: {e}"))?;
            let seconds = u64::try_from(nanos / 1_000_000_000).unwrap_or(0).max(1);
            return Ok(ScheduleKind::Every { seconds });
        }
    };
    croner_parse(pattern)
}

/// robfig's `getField`: comma-separated ranges, empty items skipped.
fn field(text: &str, b: &Bounds) -> Result<Field, String> {
    let mut out = Field::default();
    for expr in text.split(',').filter(|e| !e.is_empty()) {
        let f = range(expr, b)?;
        out.bits |= f.bits;
        out.star |= f.star;
    }
    Ok(out)
}

/// robfig's `getRange`: `*`, `?`, `N`, `N-M`, each optionally `/step`.
fn range(expr: &str, b: &Bounds) -> Result<Field, String> {
    let range_and_step: Vec<&str> = expr.split('/').collect();
    let low_and_high: Vec<&str> = range_and_step[0].split('-').collect();
    let single = low_and_high.len() == 1;
    let (start, mut end, mut star);
    if low_and_high[0] == "*" || low_and_high[0] == "?" {
        (start, end, star) = (b.min, b.max, true);
    } else {
        start = int_or_name(low_and_high[0], b.names)?;
        end = match low_and_high.len() {
            1 => start,
            2 => int_or_name(low_and_high[1], b.names)?,
            _ => return Err(format!("too many hyphens: {expr}")),
        };
        star = false;
    }
    let step = match range_and_step.len() {
        1 => 1,
        2 => {
            let step = must_parse_int(range_and_step[1])?;
            if single {
                end = b.max;
            }
            if step > 1 {
                star = false;
            }
            step
        }
        _ => return Err(format!("too many slashes: {expr}")),
    };
    if start < b.min {
        return Err(format!("beginning of range ({start}) below minimum ({}): {expr}", b.min));
    }
    if end > b.max {
        return Err(format!("end of range ({end}) above maximum ({}): {expr}", b.max));
    }
    if start > end {
        return Err(format!("beginning of range ({start}) beyond end of range ({end}): {expr}"));
    }
    if step == 0 {
        return Err(format!("step of range should be a positive number: {expr}"));
    }
    let bits = (start..=end).step_by(step as usize).fold(0u64, |acc, v| acc | 1 << v);
    Ok(Field { bits, star })
}

fn int_or_name(expr: &str, names: &[&str]) -> Result<u32, String> {
    let lower = expr.to_ascii_lowercase();
    match names.iter().position(|n| *n == lower) {
        // Months are numbered from 1, days of the week from 0.
        Some(i) if names.len() == 12 => Ok(i as u32 + 1),
        Some(i) => Ok(i as u32),
        None => must_parse_int(expr),
    }
}

/// robfig's `mustParseInt` over Go's `strconv.Atoi`.
fn must_parse_int(expr: &str) -> Result<u32, String> {
    let digits = expr.strip_prefix(['+', '-']).unwrap_or(expr);
    if digits.is_empty() || !digits.bytes().all(|c| c.is_ascii_digit()) {
        return Err(format!("failed to parse int from {expr}: strconv.Atoi: parsing {expr:?}: invalid syntax"));
    }
    let num: i64 = expr
        .parse()
        .map_err(|_| format!("failed to parse int from {expr}: strconv.Atoi: parsing {expr:?}: value out of range"))?;
    if num < 0 {
        return Err(format!("negative number ({num}) not allowed: {expr}"));
    }
    // Larger than any bound: the range checks report it.
    Ok(u32::try_from(num).unwrap_or(u32::MAX))
}

/// Builds the croner pattern: explicit value lists, `*` for robfig's starred day fields.
fn to_croner(f: &[Field; 5]) -> Result<ScheduleKind, String> {
    let [minute, hour, mut dom, month, mut dow] = *f;
    if minute.bits == 0 || hour.bits == 0 || month.bits == 0 {
        return Ok(ScheduleKind::Never);
    }
    // Days: with a star on either side both must match, else either.
    if dom.star || dow.star {
        if dom.bits == 0 || dow.bits == 0 {
            return Ok(ScheduleKind::Never);
        }
    } else {
        match (dom.bits == 0, dow.bits == 0) {
            (true, true) => return Ok(ScheduleKind::Never),
            // "either" with one side empty is the other side alone.
            (true, false) => dom.star = true,
            (false, true) => dow.star = true,
            (false, false) => {}
        }
    }
    let mut pattern = String::new();
    for (i, fld) in [minute, hour, dom, month, dow].iter().enumerate() {
        if i > 0 {
            pattern.push(' ');
        }
        let day_field = i == 2 || i == 4;
        let b = &FIELDS[i];
        let full = (b.min..=b.max).fold(0u64, |acc, v| acc | 1 << v);
        if (day_field && fld.star) || (!day_field && fld.bits == full) {
            pattern.push('*');
            continue;
        }
        let values: Vec<String> = (0..64).filter(|v| fld.bits & (1 << v) != 0).map(|v: u32| v.to_string()).collect();
        let _ = write!(pattern, "{}", values.join(","));
    }
    croner_parse(&pattern)
}

fn croner_parse(pattern: &str) -> Result<ScheduleKind, String> {
    CronParser::new()
        .parse(pattern)
        .map(|c| ScheduleKind::Cron(Box::new(c)))
        .map_err(|e| format!("internal error: croner rejected {pattern:?}: {e}"))
}

/// Go's `time.ParseDuration`: `[-+]?([0-9]*(\.[0-9]*)?[a-z]+)+`, in nanoseconds.
fn go_parse_duration(orig: &str) -> Result<i64, String> {
    let invalid = || format!("time: invalid duration {orig:?}");
    let mut s = orig;
    let mut neg = false;
    if let Some(rest) = s.strip_prefix(['-', '+']) {
        neg = s.starts_with('-');
        s = rest;
    }
    if s == "0" {
        return Ok(0);
    }
    if s.is_empty() {
        return Err(invalid());
    }
    let mut total: u128 = 0;
    while !s.is_empty() {
        let b = s.as_bytes();
        if !(b[0] == b'.' || b[0].is_ascii_digit()) {
            return Err(invalid());
        }
        let int_len = b.iter().take_while(|c| c.is_ascii_digit()).count();
        let v: u128 = if int_len == 0 { 0 } else { s[..int_len].parse().map_err(|_| invalid())? };
        if v > 1 << 63 {
            return Err(invalid());
        }
        s = &s[int_len..];
        let (mut frac, mut scale, mut frac_len) = (0u128, 1u128, 0);
        if let Some(rest) = s.strip_prefix('.') {
            frac_len = rest.bytes().take_while(u8::is_ascii_digit).count();
            for c in rest[..frac_len].bytes() {
                if frac < 1 << 62 {
                    frac = frac * 10 + u128::from(c - b'0');
                    scale *= 10;
                }
            }
            s = &rest[frac_len..];
        }
        if int_len == 0 && frac_len == 0 {
            return Err(invalid());
        }
        let unit_len = s.bytes().take_while(|c| *c != b'.' && !c.is_ascii_digit()).count();
        if unit_len == 0 {
            return Err(format!("time: missing unit in duration {orig:?}"));
        }
        let unit_text = &s[..unit_len];
        s = &s[unit_len..];
        let unit: u128 = match unit_text {
            "ns" => 1,
            "us" | "µs" | "μs" => 1_000,
            "ms" => 1_000_000,
            "s" => 1_000_000_000,
            "m" => 60_000_000_000,
            "h" => 3_600_000_000_000,
            _ => return Err(format!("time: unknown unit {unit_text:?} in duration {orig:?}")),
        };
        let mut part = v.checked_mul(unit).filter(|p| *p <= 1 << 63).ok_or_else(invalid)?;
        part += frac * unit / scale;
        total += part;
        if total > 1 << 63 {
            return Err(invalid());
        }
    }
    if neg {
        return Ok((total as i128).wrapping_neg() as i64);
    }
    i64::try_from(total).map_err(|_| invalid())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pattern(s: &str) -> String {
        match parse_schedule(s).unwrap_or_else(|e| panic!("{s}: {e}")).kind {
            ScheduleKind::Cron(c) => c.pattern.to_string(),
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn accepts_kubernetes_grammar() {
        let cases = [
            ("*/1 * * * *", "*"),
            ("0 0 * * *", "0 0 * * *"),
            ("*/15 * * * *", "0,15,30,45"),
            ("0 9-17/4 * * mon-FRI", "0 9,13,17 * * 1,2,3,4,5"),
            ("0 0 ? * ?", "0 0 * * *"),
            ("? ? ? ? ?", "*"),
            ("0 0 1 jan,Jul *", "0 0 1 1,7 *"),
            ("5/20 0 * * *", "5,25,45 0"),
            ("0 0 * * +1", "0 0 * * 1"),
            ("0 0 1-31 * 1", "0 0 1,2"),
            ("0 0 */2 * 1", "0 0 1,3,5"),
        ];
        for (spec, want) in cases {
            let got = pattern(spec);
            assert!(got.starts_with(want) || got.contains(want), "{spec}: {got}");
        }
        for d in ["@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"] {
            assert!(matches!(parse_schedule(d).unwrap().kind, ScheduleKind::Cron(_)), "{d}");
        }
    }

    #[test]
    fn every_takes_go_durations_rounded_to_seconds() {
        let cases = [
            ("@every 1h30m", 5400),
            ("@every 1.5s", 1),
            ("@every 500ms", 1),
            ("@every 90s", 90),
            ("@every 0", 1),
            ("@every -5m", 1),
        ];
        for (spec, secs) in cases {
            match parse_schedule(spec).unwrap().kind {
                ScheduleKind::Every { seconds } => assert_eq!(seconds, secs, "{spec}"),
                other => panic!("{spec}: {other:?}"),
            }
        }
    }

    #[test]
    fn rejects_what_kubernetes_rejects_with_its_messages() {
        let cases = [
            ("", "empty spec string"),
            ("* * * *", "expected exactly 5 fields, found 4: [* * * *]"),
            ("0 * * * * *", "expected exactly 5 fields, found 6: [0 * * * * *]"),
            ("60 * * * *", "end of range (60) above maximum (59): 60"),
            ("* * 0 * *", "beginning of range (0) below minimum (1): 0"),
            ("* * * * 7", "end of range (7) above maximum (6): 7"),
            ("* * L * *", "failed to parse int from L: strconv.Atoi: parsing \"L\": invalid syntax"),
            ("* * * * 1#2", "failed to parse int from 1#2: strconv.Atoi: parsing \"1#2\": invalid syntax"),
            ("* * 15W * *", "failed to parse int from 15W: strconv.Atoi: parsing \"15W\": invalid syntax"),
            ("5-1 * * * *", "beginning of range (5) beyond end of range (1): 5-1"),
            ("*/0 * * * *", "step of range should be a positive number: */0"),
            ("1-2-3 * * * *", "too many hyphens: 1-2-3"),
            ("*/2/3 * * * *", "too many slashes: */2/3"),
            ("* * * * -1", "failed to parse int from : strconv.Atoi: parsing \"\": invalid syntax"),
            ("@every 1d", "failed to parse duration @every 1d: time: unknown unit \"d\" in duration \"1d\""),
            ("@every 5", "failed to parse duration @every 5: time: missing unit in duration \"5\""),
            ("@every", "unrecognized descriptor: @every"),
            ("@Daily", "unrecognized descriptor: @Daily"),
            ("@reboot", "unrecognized descriptor: @reboot"),
        ];
        for (spec, want) in cases {
            assert_eq!(parse_schedule(spec).map(|_| ()), Err(want.to_string()), "{spec:?}");
        }
    }

    #[test]
    fn day_fields_combine_like_robfig() {
        // Neither starred: either day matches (OR); one starred: both (AND).
        assert_eq!(pattern("0 0 1 * 1").split(' ').nth(2), Some("1"));
        assert_eq!(pattern("0 0 * * 1").split(' ').nth(2), Some("*"));
        assert_eq!(pattern("0 0 1 * *").split(' ').nth(4), Some("*"));
        // "*/1" keeps the star; "*/2" drops it.
        assert_eq!(pattern("0 0 */1 * 1").split(' ').nth(2), Some("*"));
        assert_ne!(pattern("0 0 */2 * 1").split(' ').nth(2), Some("*"));
        assert!(matches!(parse_schedule("0 0 , * *").unwrap().kind, ScheduleKind::Never));
        // An empty day-of-month with a plain day-of-week is that day of the week.
        assert_eq!(pattern("0 0 , * 3").split(' ').nth(2), Some("*"));
    }

    /// croner, given the built pattern, matches days as robfig would.
    #[test]
    fn croner_matches_days_like_robfig() {
        let days = |spec: &str, dates: &[(i32, u32, u32)]| -> Vec<bool> {
            let ScheduleKind::Cron(c) = parse_schedule(spec).unwrap().kind else { panic!("{spec}") };
            dates.iter().map(|&(y, m, d)| c.pattern.day_match(y, m, d).unwrap()).collect()
        };
        // 2023-01-01 is a Sunday, 2023-01-02 a Monday, 2023-01-03 a Tuesday.
        let dates = [(2023, 1, 1), (2023, 1, 2), (2023, 1, 3)];
        assert_eq!(days("0 0 1 * 1", &dates), [true, true, false], "OR when neither is starred");
        assert_eq!(days("0 0 * * 1", &dates), [false, true, false]);
        assert_eq!(days("0 0 1 * *", &dates), [true, false, false]);
        assert_eq!(days("0 0 ? * 2", &dates), [false, false, true]);
        assert_eq!(days("0 0 */1 * 1", &dates), [false, true, false], "*/1 keeps the star: AND");
        assert_eq!(days("0 0 1-31 * 1", &dates), [true, true, true], "an explicit full range is not a star: OR");
        assert_eq!(days("0 0 * * sun", &dates), [true, false, false]);
    }

    #[test]
    fn time_zone_prefix_is_split_off() {
        let s = parse_schedule("CRON_TZ=Europe/Paris 0 3 * * *").unwrap();
        assert_eq!(s.time_zone.as_deref(), Some("Europe/Paris"));
        assert!(parse_schedule("TZ=Bad//Zone 0 3 * * *").is_err());
        assert!(parse_schedule("TZ=UTC").is_err());
    }
}
