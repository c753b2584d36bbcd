//! `IntOrString` (maxSurge, maxUnavailable): an absolute count or an "N%" scaled against a total.
//!
//! Wire form as Kubernetes': a JSON number (`3`) or a JSON string (`"25%"`). Scaling follows
//! apimachinery's `GetScaledValueFromIntOrPercent` with exact integer arithmetic: "N%" of T is
//! `N*T/100`, ceiled when rounding up and floored otherwise; integers pass through unchanged.

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, Visitor};
use serde::{Serialize, Serializer};

/// An int32 or a string; only strings of the form "N%" can be scaled.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum IntOrString {
    Int(i32),
    String(String),
}

/// Why an `IntOrString` cannot be used as a count; each message names the value.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum IntStrError {
    /// A string that does not end in "%" ("oops", "5").
    #[error("invalid value for IntOrString: invalid type: string {value:?} is not a percentage")]
    NotPercent { value: String },
    /// A string ending in "%" whose number is not an int32 ("%", "5.5%").
    #[error("invalid value for IntOrString: invalid value {value:?}: not an integer percentage")]
    InvalidPercent { value: String },
    /// The scaled value does not fit an int32.
    #[error("invalid value for IntOrString: {value:?} of {total} does not fit in an int32")]
    OutOfRange { value: String, total: i32 },
}

pub type Result<T, E = IntStrError> = std::result::Result<T, E>;

impl IntOrString {
    /// Kubernetes' `GetScaledValueFromIntOrPercent`: `Int(n)` → n as-is (never clamped);
    /// "N%" → `N*total/100`, ceiled if `round_up`, floored otherwise (exact, also for negatives).
    pub fn scaled_value(&self, total: i32, round_up: bool) -> Result<i32> {
        let percent = match self.percent() {
            None => return Ok(self.int().unwrap_or_default()),
            Some(p) => p?,
        };
        let product = i64::from(percent) * i64::from(total);
        let scaled = if round_up { -(-product).div_euclid(100) } else { product.div_euclid(100) };
        i32::try_from(scaled).map_err(|_| IntStrError::OutOfRange { value: self.to_string(), total })
    }

    /// True for a string ending in "%" (well-formed or not); see [`IntOrString::is_valid_percent`].
    pub fn is_percent(&self) -> bool {
        matches!(self, IntOrString::String(s) if s.ends_with('%'))
    }

    /// True for a string matching `^[0-9]+%$`, the only percentages validation accepts.
    pub fn is_valid_percent(&self) -> bool {
        match self {
            IntOrString::String(s) => {
                s.strip_suffix('%').is_some_and(|n| !n.is_empty() && n.bytes().all(|c| c.is_ascii_digit()))
            }
            IntOrString::Int(_) => false,
        }
    }

    /// `None` for `Int`; for a string, the N of "N%" (Go's `Atoi` accepts a sign) or why it is not one.
    pub fn percent(&self) -> Option<Result<i32>> {
        let IntOrString::String(s) = self else {
            return None;
        };
        Some(match s.strip_suffix('%') {
            None => Err(IntStrError::NotPercent { value: s.clone() }),
            Some(n) => n.parse().map_err(|_| IntStrError::InvalidPercent { value: s.clone() }),
        })
    }

    /// The integer of `Int`, `None` for strings.
    pub fn int(&self) -> Option<i32> {
        match self {
            IntOrString::Int(n) => Some(*n),
            IntOrString::String(_) => None,
        }
    }

    /// True for `Int(0)` or a valid percentage of zero ("0%", "00%"): the values validation
    /// forbids for maxSurge and maxUnavailable together.
    pub fn is_literal_zero(&self) -> bool {
        match self {
            IntOrString::Int(n) => *n == 0,
            IntOrString::String(s) => self.is_valid_percent() && s.bytes().all(|c| c == b'0' || c == b'%'),
        }
    }
}

impl Default for IntOrString {
    fn default() -> IntOrString {
        IntOrString::Int(0)
    }
}

impl From<i32> for IntOrString {
    fn from(n: i32) -> IntOrString {
        IntOrString::Int(n)
    }
}

impl From<&str> for IntOrString {
    fn from(s: &str) -> IntOrString {
        IntOrString::String(s.to_owned())
    }
}

impl From<String> for IntOrString {
    fn from(s: String) -> IntOrString {
        IntOrString::String(s)
    }
}

impl fmt::Display for IntOrString {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IntOrString::Int(n) => write!(f, "{n}"),
            IntOrString::String(s) => f.write_str(s),
        }
    }
}

impl Serialize for IntOrString {
    fn serialize<S: Serializer>(&self, serializer: S) -> std::result::Result<S::Ok, S::Error> {
        match self {
            IntOrString::Int(n) => serializer.serialize_i32(*n),
            IntOrString::String(s) => serializer.serialize_str(s),
        }
    }
}

impl<'de> Deserialize<'de> for IntOrString {
    /// An integer that fits an int32, or any string (checked later, by validation or scaling).
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<IntOrString, D::Error> {
        deserializer.deserialize_any(IntOrStringVisitor)
    }
}

struct IntOrStringVisitor;

impl Visitor<'_> for IntOrStringVisitor {
    type Value = IntOrString;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an int32 or a string such as \"25%\"")
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<IntOrString, E> {
        i32::try_from(v).map(IntOrString::Int).map_err(|_| E::invalid_value(de::Unexpected::Signed(v), &self))
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<IntOrString, E> {
        i32::try_from(v).map(IntOrString::Int).map_err(|_| E::invalid_value(de::Unexpected::Unsigned(v), &self))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<IntOrString, E> {
        Ok(IntOrString::String(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> std::result::Result<IntOrString, E> {
        Ok(IntOrString::String(v))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> IntOrString {
        IntOrString::from(v)
    }

    /// Each case: value, total, (rounded down, rounded up).
    fn check(cases: &[(IntOrString, i32, (i32, i32))]) {
        for (value, total, expect) in cases {
            let got = (value.scaled_value(*total, false).unwrap(), value.scaled_value(*total, true).unwrap());
            assert_eq!(got, *expect, "{value} of {total}");
        }
    }

    #[test]
    fn percentages_scale_with_floor_or_ceil() {
        check(&[
            (s("25%"), 10, (2, 3)),
            (s("10%"), 5000, (500, 500)),
            (s("1%"), 3, (0, 1)),
            (s("0%"), 10, (0, 0)),
            (s("00%"), 10, (0, 0)),
            (s("50%"), 5, (2, 3)),
            (s("100%"), 7, (7, 7)),
            (s("150%"), 10, (15, 15)),
            (s("33%"), 100, (33, 33)),
            (s("33%"), 0, (0, 0)),
            (s("+5%"), 100, (5, 5)),
            (s("100%"), i32::MAX, (i32::MAX, i32::MAX)),
        ]);
    }

    #[test]
    fn negative_percentages_floor_and_ceil_toward_the_right_side() {
        check(&[
            (s("-25%"), 10, (-3, -2)),
            (s("-1%"), 3, (-1, 0)),
            (s("25%"), -10, (-3, -2)),
            (s("-50%"), 4, (-2, -2)),
        ]);
    }

    #[test]
    fn integers_pass_through_regardless_of_total() {
        check(&[
            (IntOrString::Int(5), 10, (5, 5)),
            (IntOrString::Int(5), 0, (5, 5)),
            (IntOrString::Int(5), 3, (5, 5)),
            (IntOrString::Int(-1), 10, (-1, -1)),
            (IntOrString::Int(0), 10, (0, 0)),
            (IntOrString::default(), 100, (0, 0)),
        ]);
    }

    #[test]
    fn controllers_round_their_own_way() {
        // Deployment R=10 with the 25%/25% defaults: surge up = 3, unavailable down = 2.
        assert_eq!(s("25%").scaled_value(10, true), Ok(3));
        assert_eq!(s("25%").scaled_value(10, false), Ok(2));
        // Deployment R=1: surge 25% up = 1, unavailable 25% down = 0.
        assert_eq!(s("25%").scaled_value(1, true), Ok(1));
        assert_eq!(s("25%").scaled_value(1, false), Ok(0));
        // DaemonSet maxUnavailable rounds up: 10% of 3 nodes = 1.
        assert_eq!(s("10%").scaled_value(3, true), Ok(1));
        // StatefulSet maxUnavailable rounds down (the caller then raises it to 1): 10% of 5 = 0.
        assert_eq!(s("10%").scaled_value(5, false), Ok(0));
    }

    #[test]
    fn garbage_strings_are_errors_naming_the_value() {
        let not_percent = ["oops", "urg", "5", "", "%5", "5% "];
        for v in not_percent {
            assert_eq!(s(v).scaled_value(10, true), Err(IntStrError::NotPercent { value: v.to_owned() }), "{v:?}");
        }
        let invalid = ["%", "5.5%", "abc%", " 5%", "5 %", "1e2%", "99999999999%"];
        for v in invalid {
            assert_eq!(s(v).scaled_value(10, false), Err(IntStrError::InvalidPercent { value: v.to_owned() }), "{v:?}");
        }
        let err = s("oops").scaled_value(10, true).unwrap_err().to_string();
        assert_eq!(err, "invalid value for IntOrString: invalid type: string \"oops\" is not a percentage");
        let err = s("5.5%").scaled_value(10, true).unwrap_err().to_string();
        assert!(err.contains("\"5.5%\""), "{err}");
        let overflow = s("1000%").scaled_value(i32::MAX, true);
        assert_eq!(overflow, Err(IntStrError::OutOfRange { value: "1000%".to_owned(), total: i32::MAX }));
    }

    #[test]
    fn percent_helpers_classify_values() {
        // (value, is_percent, is_valid_percent, percent, is_literal_zero)
        let cases = [
            (IntOrString::Int(0), false, false, None, true),
            (IntOrString::Int(3), false, false, None, false),
            (s("0%"), true, true, Some(Ok(0)), true),
            (s("000%"), true, true, Some(Ok(0)), true),
            (s("25%"), true, true, Some(Ok(25)), false),
            (s("-0%"), true, false, Some(Ok(0)), false),
            (s("+5%"), true, false, Some(Ok(5)), false),
            (s("%"), true, false, Some(Err(IntStrError::InvalidPercent { value: "%".into() })), false),
            (s("0"), false, false, Some(Err(IntStrError::NotPercent { value: "0".into() })), false),
        ];
        for (value, is_percent, valid, percent, zero) in cases {
            assert_eq!(value.is_percent(), is_percent, "{value:?}");
            assert_eq!(value.is_valid_percent(), valid, "{value:?}");
            assert_eq!(value.percent(), percent, "{value:?}");
            assert_eq!(value.is_literal_zero(), zero, "{value:?}");
        }
    }

    #[test]
    fn wire_form_is_a_number_or_a_string() {
        let cases =
            [("3", IntOrString::Int(3)), ("-1", IntOrString::Int(-1)), (r#""25%""#, s("25%")), (r#""3""#, s("3"))];
        for (json, value) in cases {
            assert_eq!(serde_json::from_str::<IntOrString>(json).unwrap(), value, "{json}");
            assert_eq!(serde_json::to_string(&value).unwrap(), json);
        }
        for bad in ["2.5", "3000000000", "-3000000000", "null", "true", "[1]"] {
            assert!(serde_json::from_str::<IntOrString>(bad).is_err(), "{bad}");
        }
        let yaml: std::collections::BTreeMap<String, IntOrString> =
            serde_norway::from_str("maxSurge: 25%\nmaxUnavailable: 0\npartition: '2'\n").unwrap();
        assert_eq!(yaml["maxSurge"], s("25%"));
        assert_eq!(yaml["maxUnavailable"], IntOrString::Int(0));
        assert_eq!(yaml["partition"], s("2"));
        let again: std::collections::BTreeMap<String, IntOrString> =
            serde_norway::from_str(&serde_norway::to_string(&yaml).unwrap()).unwrap();
        assert_eq!(again, yaml);
        assert_eq!(IntOrString::Int(7).to_string(), "7");
        assert_eq!(s("25%").to_string(), "25%");
    }
}
