//! Kubernetes resource quantities ("100m", "1.5Gi", "1e3"): exact values in nano-units, original text kept.
//!
//! Grammar (apimachinery `resource.ParseQuantity`, with one digit required in the number):
//!
//! ```text
//! quantity ::= [+-] number suffix
//! number   ::= digits | digits "." | digits "." digits | "." digits
//! suffix   ::= binarySI (Ki Mi Gi Ti Pi Ei) | decimalSI (n u m "" k M G T P E)
//!            | ("e" | "E") [+-] digits            (a decimal exponent that fits an i32)
//! ```
//!
//! Invariant: `nanos` is the value in units of 10^-9, exact whenever the value is a
//! multiple of 1n; finer values are rounded up in magnitude (away from zero), as
//! Kubernetes does, so asking for a sliver of a resource never becomes zero.
//! Equality, ordering and hashing use `nanos` only, so "1000m" == "1" == "1e0".

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

use serde::de::{self, Deserialize, Deserializer, Visitor};
use serde::{Serialize, Serializer};

/// Why a string is not a quantity; messages are Kubernetes' own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum QuantityError {
    /// The text does not have the shape of a quantity (`ErrFormatWrong`).
    #[error("quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'")]
    Format,
    /// The suffix has the right characters but names no unit (`ErrSuffix`), e.g. "1ki", "1e".
    #[error("unable to parse quantity's suffix")]
    Suffix,
    /// The number has no digit, e.g. "." (`ErrNumeric`).
    #[error("unable to parse quantity's numeric part")]
    Numeric,
    /// The value does not fit 128 bits of nano-units (about ±1.7e29 units).
    #[error("quantity is too large")]
    Overflow,
}

pub type Result<T, E = QuantityError> = std::result::Result<T, E>;

/// A resource quantity: the exact value in nano-units plus the text it was written as.
#[derive(Clone)]
pub struct Quantity {
    /// Value in units of 10^-9 (see the module invariant on rounding).
    nanos: i128,
    /// Original spelling, or a canonical one for computed values; always parses back to `nanos`.
    text: Box<str>,
}

const NANOS_PER_UNIT: i128 = 1_000_000_000;
const NANOS_PER_MILLI: i128 = 1_000_000;
/// Decimal SI suffixes for 1000^(i-3): n, u, m, (none), k, M, G, T, P, E.
const DECIMAL_SUFFIXES: [&str; 10] = ["n", "u", "m", "", "k", "M", "G", "T", "P", "E"];
/// Binary SI suffixes for 1024^i.
const BINARY_SUFFIXES: [&str; 7] = ["", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"];

impl Quantity {
    /// Parse a quantity; the text is kept as written.
    pub fn parse(s: &str) -> Result<Quantity> {
        let nanos = parse_nanos(s.as_bytes())?;
        Ok(Quantity { nanos, text: s.into() })
    }

    /// A quantity of exactly `nanos` nano-units, written canonically ("100m", "2", "3k").
    pub fn from_nanos(nanos: i128) -> Quantity {
        Quantity { nanos, text: canonical_decimal(nanos).into() }
    }

    /// `milli` thousandths of a unit, written canonically: 100 → "100m", 1000 → "1".
    pub fn from_milli(milli: i64) -> Quantity {
        Quantity::from_nanos(i128::from(milli) * NANOS_PER_MILLI)
    }

    /// `value` whole units, written canonically: 2 → "2", 3000 → "3k".
    pub fn from_value(value: i64) -> Quantity {
        Quantity::from_nanos(i128::from(value) * NANOS_PER_UNIT)
    }

    /// A byte count written with the largest exact binary suffix, as Kubernetes'
    /// BinarySI canonical form: 1073741824 → "1Gi", 1536 → "1536", values under 1024 in decimal.
    pub fn from_bytes_binary(bytes: i64) -> Quantity {
        let nanos = i128::from(bytes) * NANOS_PER_UNIT;
        if bytes.unsigned_abs() < 1024 {
            return Quantity::from_nanos(nanos);
        }
        let (mut mantissa, mut exp) = (bytes, 0);
        while exp < BINARY_SUFFIXES.len() - 1 && mantissa % 1024 == 0 {
            mantissa /= 1024;
            exp += 1;
        }
        Quantity { nanos, text: format!("{mantissa}{}", BINARY_SUFFIXES[exp]).into() }
    }

    /// The value in nano-units (10^-9).
    pub fn nanos(&self) -> i128 {
        self.nanos
    }

    /// The value in milli-units, rounded away from zero and saturated to i64 (Kubernetes' `MilliValue`).
    pub fn milli_value(&self) -> i64 {
        saturate(div_away_from_zero(self.nanos, NANOS_PER_MILLI))
    }

    /// The value in whole units, rounded away from zero and saturated to i64 (Kubernetes' `Value`).
    pub fn value(&self) -> i64 {
        saturate(div_away_from_zero(self.nanos, NANOS_PER_UNIT))
    }

    pub fn is_zero(&self) -> bool {
        self.nanos == 0
    }

    pub fn is_negative(&self) -> bool {
        self.nanos < 0
    }

    /// The text this quantity serializes as.
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// Exact sum, written canonically; `None` on overflow.
    pub fn checked_add(&self, other: &Quantity) -> Option<Quantity> {
        self.nanos.checked_add(other.nanos).map(Quantity::from_nanos)
    }

    /// Exact difference, written canonically; `None` on overflow.
    pub fn checked_sub(&self, other: &Quantity) -> Option<Quantity> {
        self.nanos.checked_sub(other.nanos).map(Quantity::from_nanos)
    }
}

/// Canonical decimal SI text: the largest suffix that keeps the mantissa an integer.
fn canonical_decimal(nanos: i128) -> String {
    if nanos == 0 {
        return "0".to_owned();
    }
    let (mut mantissa, mut idx) = (nanos, 0);
    while idx < DECIMAL_SUFFIXES.len() - 1 && mantissa % 1000 == 0 {
        mantissa /= 1000;
        idx += 1;
    }
    format!("{mantissa}{}", DECIMAL_SUFFIXES[idx])
}

fn div_away_from_zero(n: i128, d: i128) -> i128 {
    let q = n / d;
    if n % d == 0 {
        q
    } else {
        q + n.signum()
    }
}

fn saturate(v: i128) -> i64 {
    i64::try_from(v).unwrap_or(if v < 0 { i64::MIN } else { i64::MAX })
}

/// What the suffix multiplies the number by.
#[derive(Clone, Copy)]
enum Scale {
    /// 10^exp
    Decimal(i64),
    /// 2^exp (10..=60)
    Binary(u32),
}

fn parse_nanos(b: &[u8]) -> Result<i128> {
    let (negative, mut pos) = match b.first() {
        None => return Err(QuantityError::Format),
        Some(b'-') => (true, 1),
        Some(b'+') => (false, 1),
        Some(_) => (false, 0),
    };
    let int_start = pos;
    pos += count_digits(&b[pos..]);
    let int = &b[int_start..pos];
    let mut frac: &[u8] = &[];
    let has_point = b.get(pos) == Some(&b'.');
    if has_point {
        pos += 1;
        let n = count_digits(&b[pos..]);
        frac = &b[pos..pos + n];
        pos += n;
    }
    if int.is_empty() && !has_point {
        return Err(QuantityError::Format);
    }
    let suffix = &b[pos..];
    check_suffix_shape(suffix)?;
    let scale = interpret_suffix(suffix).ok_or(QuantityError::Suffix)?;
    if int.is_empty() && frac.is_empty() {
        return Err(QuantityError::Numeric);
    }
    let magnitude = match scale {
        Scale::Decimal(exp) => decimal_magnitude(int, frac, exp),
        Scale::Binary(exp) => binary_magnitude(int, frac, exp),
    }
    .ok_or(QuantityError::Overflow)?;
    let signed = if negative { 0i128.checked_sub_unsigned(magnitude) } else { i128::try_from(magnitude).ok() };
    signed.ok_or(QuantityError::Overflow)
}

fn count_digits(b: &[u8]) -> usize {
    b.iter().take_while(|c| c.is_ascii_digit()).count()
}

/// The suffix must match `[eEinumkKMGTP]*[-+]?[0-9]*` (apimachinery's `parseQuantityString`).
fn check_suffix_shape(s: &[u8]) -> Result<()> {
    let letters = s.iter().take_while(|c| b"eEinumkKMGTP".contains(c)).count();
    let mut rest = &s[letters..];
    if let [b'+' | b'-', tail @ ..] = rest {
        rest = tail;
    }
    if rest.iter().all(u8::is_ascii_digit) {
        Ok(())
    } else {
        Err(QuantityError::Format)
    }
}

fn interpret_suffix(s: &[u8]) -> Option<Scale> {
    if let Some(i) = DECIMAL_SUFFIXES.iter().position(|x| x.as_bytes() == s) {
        return Some(Scale::Decimal(3 * i as i64 - 9));
    }
    if let Some(i) = BINARY_SUFFIXES[1..].iter().position(|x| x.as_bytes() == s) {
        return Some(Scale::Binary(10 * (i as u32 + 1)));
    }
    match s {
        [b'e' | b'E', exp @ ..] if !exp.is_empty() => parse_i32(exp).map(|e| Scale::Decimal(i64::from(e))),
        _ => None,
    }
}

/// `[+-]?[0-9]+` that fits an i32 (Go's `strconv.ParseInt` then the int32 check).
fn parse_i32(s: &[u8]) -> Option<i32> {
    let (negative, digits) = match s {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        _ => (false, s),
    };
    if digits.is_empty() || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let mut v: i64 = 0;
    for &d in digits {
        v = v * 10 + i64::from(d - b'0');
        if v > 1 << 31 {
            return None;
        }
    }
    i32::try_from(if negative { -v } else { v }).ok()
}

/// Accumulate decimal digits into a u128; `None` on overflow.
fn accumulate<'a>(mut digits: impl Iterator<Item = &'a u8>) -> Option<u128> {
    digits.try_fold(0u128, |acc, &d| acc.checked_mul(10)?.checked_add(u128::from(d - b'0')))
}

/// |int.frac| * 10^exp in nano-units, rounded up.
fn decimal_magnitude(int: &[u8], frac: &[u8], exp: i64) -> Option<u128> {
    // The digit string int++frac read as an integer, times 10^shift, is the value in nanos.
    let shift = exp + 9 - frac.len() as i64;
    let mut digits = int.iter().chain(frac);
    if shift >= 0 {
        let m = accumulate(digits)?;
        if m == 0 {
            return Some(0);
        }
        return m.checked_mul(10u128.checked_pow(u32::try_from(shift).ok()?)?);
    }
    let keep = (int.len() + frac.len()) as i64 + shift;
    let kept = accumulate(digits.by_ref().take(keep.max(0) as usize))?;
    let inexact = digits.any(|&d| d != b'0');
    kept.checked_add(u128::from(inexact))
}

/// |int.frac| * 2^exp in nano-units, rounded up.
fn binary_magnitude(int: &[u8], frac: &[u8], exp: u32) -> Option<u128> {
    let factor = 1u128 << exp;
    let (head, tail) = frac.split_at(frac.len().min(9));
    // int.head in nanos is exact; 0.tail (the digits past 1n) is scaled separately.
    let head_pad = 10u128.pow((9 - head.len()) as u32);
    let whole = accumulate(int.iter().chain(head))?.checked_mul(head_pad)?;
    // ceil(0.tail * factor) by long multiplication from the last digit; carry < factor throughout.
    let (mut carry, mut inexact) = (0u128, false);
    for &d in tail.iter().rev() {
        let t = u128::from(d - b'0') * factor + carry;
        inexact |= t % 10 != 0;
        carry = t / 10;
    }
    whole.checked_mul(factor)?.checked_add(carry + u128::from(inexact))
}

impl FromStr for Quantity {
    type Err = QuantityError;

    fn from_str(s: &str) -> Result<Quantity> {
        Quantity::parse(s)
    }
}

impl Default for Quantity {
    /// Zero, written "0".
    fn default() -> Quantity {
        Quantity::from_nanos(0)
    }
}

impl fmt::Display for Quantity {
    /// The original text.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl fmt::Debug for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("Quantity").field(&&*self.text).finish()
    }
}

impl PartialEq for Quantity {
    fn eq(&self, other: &Quantity) -> bool {
        self.nanos == other.nanos
    }
}

impl Eq for Quantity {}

impl PartialOrd for Quantity {
    fn partial_cmp(&self, other: &Quantity) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Quantity {
    fn cmp(&self, other: &Quantity) -> Ordering {
        self.nanos.cmp(&other.nanos)
    }
}

impl Hash for Quantity {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.nanos.hash(state);
    }
}

impl Serialize for Quantity {
    /// Always a string (the original text), as the API server writes quantities.
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.text)
    }
}

impl<'de> Deserialize<'de> for Quantity {
    /// A string, or a number (YAML `cpu: 2`, `cpu: 0.5`) kept as its shortest exact decimal text.
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Quantity, D::Error> {
        deserializer.deserialize_any(QuantityVisitor)
    }
}

struct QuantityVisitor;

impl QuantityVisitor {
    fn parse<E: de::Error>(text: &str) -> std::result::Result<Quantity, E> {
        Quantity::parse(text).map_err(|e| E::custom(format_args!("invalid quantity {text:?}: {e}")))
    }
}

impl Visitor<'_> for QuantityVisitor {
    type Value = Quantity;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a quantity such as \"100m\" or \"1Gi\", or a number")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<Quantity, E> {
        QuantityVisitor::parse(v)
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<Quantity, E> {
        Ok(Quantity { nanos: i128::from(v) * NANOS_PER_UNIT, text: v.to_string().into() })
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<Quantity, E> {
        Ok(Quantity { nanos: i128::from(v) * NANOS_PER_UNIT, text: v.to_string().into() })
    }

    fn visit_i128<E: de::Error>(self, v: i128) -> std::result::Result<Quantity, E> {
        QuantityVisitor::parse(&v.to_string())
    }

    fn visit_u128<E: de::Error>(self, v: u128) -> std::result::Result<Quantity, E> {
        QuantityVisitor::parse(&v.to_string())
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> std::result::Result<Quantity, E> {
        if !v.is_finite() {
            return Err(E::invalid_value(de::Unexpected::Float(v), &self));
        }
        // `Display` for f64 is the shortest text that reads back exactly, never in exponent form.
        QuantityVisitor::parse(&v.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    const N: i128 = 1;
    const U: i128 = NANOS_PER_UNIT;

    fn q(s: &str) -> Quantity {
        Quantity::parse(s).unwrap_or_else(|e| panic!("{s:?}: {e}"))
    }

    /// Every case parses to `nanos` and displays as written.
    fn check(cases: &[(&str, i128)]) {
        for &(text, nanos) in cases {
            let got = q(text);
            assert_eq!(got.nanos(), nanos, "{text:?}");
            assert_eq!(got.to_string(), text);
        }
    }

    fn check_err(cases: &[(&str, QuantityError)]) {
        for &(text, err) in cases {
            assert_eq!(Quantity::parse(text).map(|q| q.nanos()), Err(err), "{text:?}");
        }
    }

    #[test]
    fn every_decimal_suffix_scales_by_its_power_of_ten() {
        check(&[
            ("1n", N),
            ("1u", 1_000 * N),
            ("1m", 1_000_000 * N),
            ("1", U),
            ("1k", 1_000 * U),
            ("1M", 1_000_000 * U),
            ("1G", 10i128.pow(9) * U),
            ("1T", 10i128.pow(12) * U),
            ("1P", 10i128.pow(15) * U),
            ("1E", 10i128.pow(18) * U),
            ("100m", 100_000_000),
            ("2", 2 * U),
        ]);
    }

    #[test]
    fn every_binary_suffix_scales_by_its_power_of_1024() {
        check(&[
            ("1Ki", 1024 * U),
            ("500Ki", 500 * 1024 * U),
            ("1Mi", (1 << 20) * U),
            ("200Mi", 200 * (1 << 20) * U),
            ("1Gi", (1 << 30) * U),
            ("1Ti", (1 << 40) * U),
            ("1Pi", (1 << 50) * U),
            ("1Ei", (1 << 60) * U),
        ]);
    }

    #[test]
    fn fractions_and_signs_are_exact() {
        check(&[
            ("1.5Gi", 1_610_612_736 * U),
            ("0.5Ki", 512 * U),
            ("0.1", 100_000_000),
            (".5", 500_000_000),
            ("5.", 5 * U),
            ("+1", U),
            ("-1", -U),
            ("-100m", -100_000_000),
            ("-1.5Gi", -1_610_612_736 * U),
            ("1.5", 1_500_000_000),
            ("0.000000001", N),
            ("007", 7 * U),
        ]);
    }

    #[test]
    fn exponents_are_decimal_and_capital_e_alone_is_exa() {
        check(&[
            ("1e3", 1_000 * U),
            ("1E3", 1_000 * U),
            ("1e+3", 1_000 * U),
            ("1E+3", 1_000 * U),
            ("1e0", U),
            ("1e-3", 1_000_000),
            ("1.5e2", 150 * U),
            ("1e-9", N),
            ("-2e1", -20 * U),
            ("1E", 10i128.pow(27)),
            ("1e29", 10i128.pow(38)),
        ]);
    }

    #[test]
    fn values_finer_than_a_nano_round_up_in_magnitude() {
        check(&[
            ("1.1n", 2),
            ("0.1n", 1),
            ("-1.1n", -2),
            ("1e-10", 1),
            ("1e-2147483648", 1),
            ("0.0000000001", 1),
            ("1.0000000001Ki", 1_024_000_000_103),
            ("0.000000000001Ki", 2),
            ("0.0000000000000000000000000000000000000000000001", 1),
            ("1.000000000000000000000000000000000000000000000000", U),
        ]);
    }

    #[test]
    fn zero_is_zero_in_every_spelling() {
        for text in ["0", "-0", "+0", "0.0", "0Gi", "0e5", "0e2147483647", "0n", "000", ".0", "0.", "0E"] {
            let got = q(text);
            assert!(got.is_zero() && !got.is_negative(), "{text:?}");
            assert_eq!(got, Quantity::default());
        }
    }

    #[test]
    fn malformed_text_is_rejected_with_kubernetes_messages() {
        use QuantityError::*;
        check_err(&[
            ("", Format),
            ("1.2.3", Format),
            ("1.1.M", Format),
            ("1+1.0M", Format),
            ("1Zi", Format),
            ("abc", Format),
            ("aoeu", Format),
            ("1 Gi", Format),
            (" 1", Format),
            ("1 ", Format),
            ("Gi", Format),
            ("+", Format),
            ("-", Format),
            ("1E3i", Format),
            ("1ki", Suffix),
            ("1K", Suffix),
            ("1i", Suffix),
            (".5i", Suffix),
            ("0.1mi", Suffix),
            ("1e", Suffix),
            ("1e-", Suffix),
            ("-3.01e-", Suffix),
            ("1ee3", Suffix),
            ("1e2147483648", Suffix),
            (".", Numeric),
            ("-.", Numeric),
            ("1e30", Overflow),
            ("1e2147483647", Overflow),
            ("200000000000000000000E", Overflow),
            ("999999999999999999999999999999999999999999", Overflow),
        ]);
        assert_eq!(
            Format.to_string(),
            "quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
        );
        assert_eq!("1ki".parse::<Quantity>().unwrap_err().to_string(), "unable to parse quantity's suffix");
    }

    #[test]
    fn the_extremes_of_i128_are_reachable() {
        let max = i128::MAX.to_string() + "n";
        let min = i128::MIN.to_string() + "n";
        assert_eq!(q(&max).nanos(), i128::MAX);
        assert_eq!(q(&min).nanos(), i128::MIN);
        assert_eq!(Quantity::parse(&(i128::MAX.to_string() + "0n")), Err(QuantityError::Overflow));
    }

    #[test]
    fn order_and_equality_are_by_value() {
        let ascending = ["-1Ki", "-1", "0", "1n", "100m", "1", "1Ki", "1.5Ki", "1M", "1Mi", "1E", "1Ei"];
        for pair in ascending.windows(2) {
            assert!(q(pair[0]) < q(pair[1]), "{} < {}", pair[0], pair[1]);
        }
        let state = std::collections::hash_map::RandomState::new();
        let hash = |x: &Quantity| std::hash::BuildHasher::hash_one(&state, x);
        let one = q("1");
        for spelling in ["1000m", "1e0", "0.001k", "1000000000n", "1000000u", "+1", "1.000", "10e-1"] {
            assert_eq!(q(spelling), one, "{spelling:?}");
            assert_eq!(hash(&q(spelling)), hash(&one));
            assert_eq!(q(spelling).to_string(), spelling, "text is kept");
        }
        assert_eq!(q("1Ki"), q("1024"));
        assert_eq!(q("1.5Gi"), q("1536Mi"));
    }

    #[test]
    fn milli_value_and_value_round_away_from_zero_and_saturate() {
        let cases = [
            ("1", 1_000, 1),
            ("100m", 100, 1),
            ("1500m", 1_500, 2),
            ("-1500m", -1_500, -2),
            ("1n", 1, 1),
            ("-1n", -1, -1),
            ("0", 0, 0),
            ("1Gi", 1_073_741_824_000, 1_073_741_824),
            ("1Ei", i64::MAX, 1 << 60),
            ("-100E", i64::MIN, i64::MIN),
        ];
        for (text, milli, value) in cases {
            assert_eq!((q(text).milli_value(), q(text).value()), (milli, value), "{text:?}");
        }
    }

    #[test]
    fn constructors_write_canonical_text() {
        let cases = [
            (Quantity::from_milli(100), "100m"),
            (Quantity::from_milli(1_000), "1"),
            (Quantity::from_milli(1_500), "1500m"),
            (Quantity::from_milli(-250), "-250m"),
            (Quantity::from_value(2), "2"),
            (Quantity::from_value(0), "0"),
            (Quantity::from_value(3_000), "3k"),
            (Quantity::from_value(-5_000_000), "-5M"),
            (Quantity::from_nanos(1), "1n"),
            (Quantity::from_nanos(1_500), "1500n"),
            (Quantity::from_nanos(10i128.pow(30)), "1000E"),
            (Quantity::from_bytes_binary(1_073_741_824), "1Gi"),
            (Quantity::from_bytes_binary(2_048), "2Ki"),
            (Quantity::from_bytes_binary(1_536), "1536"),
            (Quantity::from_bytes_binary(1_536 * 1_024), "1536Ki"),
            (Quantity::from_bytes_binary(512), "512"),
            (Quantity::from_bytes_binary(1_000), "1k"),
            (Quantity::from_bytes_binary(-1_024), "-1Ki"),
            (Quantity::from_bytes_binary(0), "0"),
            (Quantity::from_bytes_binary(i64::MIN), "-8Ei"),
            (Quantity::default(), "0"),
        ];
        for (got, text) in cases {
            assert_eq!(got.to_string(), text);
            assert_eq!(q(text).nanos(), got.nanos(), "{text:?} reads back");
        }
    }

    #[test]
    fn checked_arithmetic_is_exact_and_canonical() {
        let sum = q("100m").checked_add(&q("900m")).unwrap();
        assert_eq!((sum.nanos(), sum.to_string()), (U, "1".to_owned()));
        let diff = q("1").checked_sub(&q("1500m")).unwrap();
        assert_eq!(diff.to_string(), "-500m");
        assert!(diff.is_negative());
        assert_eq!(q("1Gi").checked_add(&q("1Gi")).unwrap().to_string(), "2147483648");
        assert_eq!(q("1.5Gi").checked_sub(&q("0.5Gi")).unwrap(), q("1Gi"));
        assert!(Quantity::from_nanos(i128::MAX).checked_add(&q("1n")).is_none());
        assert!(Quantity::from_nanos(i128::MIN).checked_sub(&q("1n")).is_none());
    }

    #[test]
    fn json_strings_and_numbers_deserialize_and_serialize_as_strings() {
        let cases = [
            (r#""100m""#, 100_000_000, "100m"),
            (r#""1.5Gi""#, 1_610_612_736 * U, "1.5Gi"),
            ("2", 2 * U, "2"),
            ("-3", -3 * U, "-3"),
            ("0.5", 500_000_000, "0.5"),
            ("0.1", 100_000_000, "0.1"),
            ("1e3", 1_000 * U, "1000"),
            ("1.5e-10", 1, "0.00000000015"),
            ("18446744073709551615", 18_446_744_073_709_551_615 * U, "18446744073709551615"),
        ];
        for (json, nanos, text) in cases {
            let got: Quantity = serde_json::from_str(json).unwrap_or_else(|e| panic!("{json}: {e}"));
            assert_eq!((got.nanos(), got.as_str()), (nanos, text), "{json}");
            assert_eq!(serde_json::to_string(&got).unwrap(), format!("{text:?}"));
        }
        let err = serde_json::from_str::<Quantity>(r#""abc""#).unwrap_err().to_string();
        assert!(err.contains("invalid quantity \"abc\": quantities must match"), "{err}");
        assert!(serde_json::from_str::<Quantity>("true").is_err());
        assert!(serde_json::from_str::<Quantity>("1e300").is_err());
    }

    #[test]
    fn yaml_manifests_round_trip() {
        let yaml = "cpu: 2\nhalf: 0.5\nmilli: 100m\nmemory: 1.5Gi\nquoted: '1'\nsci: 1e3\nexa: 1E\n";
        let parsed: BTreeMap<String, Quantity> = serde_norway::from_str(yaml).unwrap();
        let texts: Vec<_> = parsed.iter().map(|(k, v)| format!("{k}={v}")).collect();
        assert_eq!(texts, ["cpu=2", "exa=1E", "half=0.5", "memory=1.5Gi", "milli=100m", "quoted=1", "sci=1000"]);
        assert_eq!(parsed["half"], q("500m"));
        assert_eq!(parsed["sci"], q("1k"));
        let again: BTreeMap<String, Quantity> =
            serde_norway::from_str(&serde_norway::to_string(&parsed).unwrap()).unwrap();
        for (k, v) in &parsed {
            assert_eq!((again[k].nanos(), again[k].as_str()), (v.nanos(), v.as_str()), "{k}");
        }
    }

    proptest::proptest! {
        #[test]
        fn canonical_text_reads_back_exactly(nanos: i128) {
            let canonical = Quantity::from_nanos(nanos);
            proptest::prop_assert_eq!(q(canonical.as_str()).nanos(), nanos);
        }

        #[test]
        fn decimal_text_of_an_i64_milli_value_reads_back(milli: i64) {
            let text = format!("{}.{:03}", milli / 1000, (milli % 1000).unsigned_abs());
            let text = if milli < 0 && milli > -1000 { format!("-{text}") } else { text };
            proptest::prop_assert_eq!(q(&text).milli_value(), milli);
        }
    }
}
