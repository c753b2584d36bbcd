//! Name, label and annotation validators worded exactly like apimachinery's `util/validation`.
//!
//! Each `is_*` function returns the list of messages Kubernetes would give
//! (empty = valid); the `valid_*` twins answer the same question without
//! allocating, for hot paths such as selector matching. The checks are
//! hand-written scans equivalent to the regexes quoted in the messages.

use super::error::{FieldError, FieldErrors};
use super::meta::StringMap;
use std::fmt;

/// `validation.DNS1123LabelMaxLength`.
pub const DNS1123_LABEL_MAX_LENGTH: usize = 63;
/// `validation.DNS1123SubdomainMaxLength`.
pub const DNS1123_SUBDOMAIN_MAX_LENGTH: usize = 253;
/// Longest name part of a qualified name (`qualifiedNameMaxLength`).
pub const QUALIFIED_NAME_MAX_LENGTH: usize = 63;
/// `validation.LabelValueMaxLength`.
pub const LABEL_VALUE_MAX_LENGTH: usize = 63;
/// `TotalAnnotationSizeLimitB`: keys plus values of all annotations, in bytes.
pub const TOTAL_ANNOTATION_SIZE_LIMIT_BYTES: usize = 256 * 1024;

const DNS1123_LABEL_FMT: &str = "[a-z0-9]([-a-z0-9]*[a-z0-9])?";
const DNS1123_LABEL_ERR: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character";
const DNS1123_SUBDOMAIN_FMT: &str = "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
const DNS1123_SUBDOMAIN_ERR: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character";
const QUALIFIED_NAME_FMT: &str = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
const QUALIFIED_NAME_ERR: &str =
    "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
const LABEL_VALUE_FMT: &str = "(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?";
const LABEL_VALUE_ERR: &str = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";

/// `validation.EmptyError()`.
fn empty_error() -> String {
    "must be non-empty".to_string()
}

/// `validation.MaxLenError(n)`.
fn max_len_error(n: usize) -> String {
    format!("must be no more than {n} characters")
}

/// `validation.RegexError(msg, fmt, examples...)`, double spaces included.
fn regex_error(msg: &str, fmt: &str, examples: &[&str]) -> String {
    if examples.is_empty() {
        return format!("{msg} (regex used for validation is '{fmt}')");
    }
    let mut out = format!("{msg} (e.g. ");
    for (i, ex) in examples.iter().enumerate() {
        if i > 0 {
            out.push_str(" or ");
        }
        out.push('\'');
        out.push_str(ex);
        out.push_str("', ");
    }
    out.push_str("regex used for validation is '");
    out.push_str(fmt);
    out.push_str("')");
    out
}

/// Matches `[a-z0-9]([-a-z0-9]*[a-z0-9])?` (no length limit).
fn matches_dns1123_label(s: &str) -> bool {
    let b = s.as_bytes();
    let alnum = |c: u8| c.is_ascii_lowercase() || c.is_ascii_digit();
    match (b.first(), b.last()) {
        (Some(&first), Some(&last)) => alnum(first) && alnum(last) && b.iter().all(|&c| alnum(c) || c == b'-'),
        _ => false,
    }
}

/// Matches the DNS-1123 subdomain regex: dot-separated DNS-1123 labels (no length limit).
fn matches_dns1123_subdomain(s: &str) -> bool {
    s.split('.').all(matches_dns1123_label)
}

/// Matches `([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]` (no length limit).
fn matches_qualified_name_part(s: &str) -> bool {
    let b = s.as_bytes();
    match (b.first(), b.last()) {
        (Some(first), Some(last)) => {
            first.is_ascii_alphanumeric()
                && last.is_ascii_alphanumeric()
                && b.iter().all(|&c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
        }
        _ => false,
    }
}

/// True when `is_dns1123_label(s)` would return no message.
pub fn valid_dns1123_label(s: &str) -> bool {
    s.len() <= DNS1123_LABEL_MAX_LENGTH && matches_dns1123_label(s)
}

/// True when `is_dns1123_subdomain(s)` would return no message.
pub fn valid_dns1123_subdomain(s: &str) -> bool {
    s.len() <= DNS1123_SUBDOMAIN_MAX_LENGTH && matches_dns1123_subdomain(s)
}

/// True when `is_qualified_name(s)` would return no message.
pub fn valid_qualified_name(s: &str) -> bool {
    let name = match s.split_once('/') {
        None => s,
        Some((prefix, name)) => {
            if name.contains('/') || !valid_dns1123_subdomain(prefix) {
                return false;
            }
            name
        }
    };
    name.len() <= QUALIFIED_NAME_MAX_LENGTH && matches_qualified_name_part(name)
}

/// True when `is_valid_label_value(s)` would return no message.
pub fn valid_label_value(s: &str) -> bool {
    s.is_empty() || (s.len() <= LABEL_VALUE_MAX_LENGTH && matches_qualified_name_part(s))
}

/// `validation.IsDNS1123Label`: at most 63 lower-case alphanumerics or '-', alphanumeric at both ends.
pub fn is_dns1123_label(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if value.len() > DNS1123_LABEL_MAX_LENGTH {
        errs.push(max_len_error(DNS1123_LABEL_MAX_LENGTH));
    }
    if !matches_dns1123_label(value) {
        if matches_dns1123_subdomain(value) {
            // A valid subdomain but not a label: the length was checked above, so it's the dots.
            errs.push("must not contain dots".to_string());
        } else {
            errs.push(regex_error(DNS1123_LABEL_ERR, DNS1123_LABEL_FMT, &["my-name", "123-abc"]));
        }
    }
    errs
}

/// `validation.IsDNS1123Subdomain`: at most 253 characters of dot-separated DNS-1123 labels.
pub fn is_dns1123_subdomain(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if value.len() > DNS1123_SUBDOMAIN_MAX_LENGTH {
        errs.push(max_len_error(DNS1123_SUBDOMAIN_MAX_LENGTH));
    }
    if !matches_dns1123_subdomain(value) {
        errs.push(regex_error(DNS1123_SUBDOMAIN_ERR, DNS1123_SUBDOMAIN_FMT, &["example.com"]));
    }
    errs
}

/// `validation.IsQualifiedName`: `[prefix/]name`, prefix a DNS subdomain, name ≤ 63 of
/// alphanumerics, '-', '_', '.' (alphanumeric at both ends). Label and annotation keys.
pub fn is_qualified_name(value: &str) -> Vec<String> {
    const EXAMPLES: &[&str] = &["MyName", "my.name", "123-abc"];
    let mut errs = Vec::new();
    let mut parts = value.split('/');
    let first = parts.next().unwrap_or_default();
    let name = match (parts.next(), parts.next()) {
        (None, _) => first,
        (Some(name), None) => {
            if first.is_empty() {
                errs.push(format!("prefix part {}", empty_error()));
            } else {
                errs.extend(is_dns1123_subdomain(first).into_iter().map(|m| format!("prefix part {m}")));
            }
            name
        }
        (Some(_), Some(_)) => {
            errs.push(format!(
                "a qualified name {} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
                regex_error(QUALIFIED_NAME_ERR, QUALIFIED_NAME_FMT, EXAMPLES)
            ));
            return errs;
        }
    };
    if name.is_empty() {
        errs.push(format!("name part {}", empty_error()));
    } else if name.len() > QUALIFIED_NAME_MAX_LENGTH {
        errs.push(format!("name part {}", max_len_error(QUALIFIED_NAME_MAX_LENGTH)));
    }
    if !matches_qualified_name_part(name) {
        errs.push(format!("name part {}", regex_error(QUALIFIED_NAME_ERR, QUALIFIED_NAME_FMT, EXAMPLES)));
    }
    errs
}

/// `validation.IsValidLabelValue`: empty, or ≤ 63 alphanumerics, '-', '_', '.' (alphanumeric at both ends).
pub fn is_valid_label_value(value: &str) -> Vec<String> {
    let mut errs = Vec::new();
    if value.len() > LABEL_VALUE_MAX_LENGTH {
        errs.push(max_len_error(LABEL_VALUE_MAX_LENGTH));
    }
    if !value.is_empty() && !matches_qualified_name_part(value) {
        errs.push(regex_error(LABEL_VALUE_ERR, LABEL_VALUE_FMT, &["MyValue", "my_value", "12345"]));
    }
    errs
}

/// `ValidateLabelName`: one `Invalid` error at `path` per message of [`is_qualified_name`].
pub fn validate_label_name(key: &str, path: &(impl fmt::Display + ?Sized), errs: &mut FieldErrors) {
    for msg in is_qualified_name(key) {
        errs.push(FieldError::invalid(path, format_args!("{key:?}"), msg));
    }
}

/// `ValidateLabelValue`-style check: one `Invalid` error at `path` per message of [`is_valid_label_value`].
pub fn validate_label_value(value: &str, path: &(impl fmt::Display + ?Sized), errs: &mut FieldErrors) {
    for msg in is_valid_label_value(value) {
        errs.push(FieldError::invalid(path, format_args!("{value:?}"), msg));
    }
}

/// `ValidateLabels`: keys are qualified names, values valid label values; errors at `path`
/// (e.g. `metadata.labels`).
pub fn validate_labels(labels: &StringMap, path: &(impl fmt::Display + ?Sized), errs: &mut FieldErrors) {
    for (k, v) in labels {
        validate_label_name(k, path, errs);
        validate_label_value(v, path, errs);
    }
}

/// `ValidateAnnotations`: keys are qualified names (case-insensitively), and keys plus
/// values total at most 256 KiB.
pub fn validate_annotations(annotations: &StringMap, path: &(impl fmt::Display + ?Sized), errs: &mut FieldErrors) {
    let mut total = 0usize;
    for (k, v) in annotations {
        for msg in is_qualified_name(&k.to_ascii_lowercase()) {
            errs.push(FieldError::invalid(path, format_args!("{k:?}"), msg));
        }
        total += k.len() + v.len();
    }
    if total > TOTAL_ANNOTATION_SIZE_LIMIT_BYTES {
        errs.push(FieldError::too_long(path, TOTAL_ANNOTATION_SIZE_LIMIT_BYTES));
    }
}

fn validate_object_name(
    name: &str,
    path: &(impl fmt::Display + ?Sized),
    errs: &mut FieldErrors,
    check: fn(&str) -> Vec<String>,
) {
    if name.is_empty() {
        errs.push(FieldError::required(path, "name or generateName is required"));
        return;
    }
    for msg in check(name) {
        errs.push(FieldError::invalid(path, format_args!("{name:?}"), msg));
    }
}

/// `ValidateObjectMeta` with `NameIsDNSSubdomain` (most kinds): `path` is the name field,
/// e.g. `metadata.name`.
pub fn validate_object_name_dns_subdomain(name: &str, path: &(impl fmt::Display + ?Sized), errs: &mut FieldErrors) {
    validate_object_name(name, path, errs, is_dns1123_subdomain);
}

/// `ValidateObjectMeta` with `NameIsDNSLabel` (e.g. StatefulSet service names, namespaces).
pub fn validate_object_name_dns_label(name: &str, path: &(impl fmt::Display + ?Sized), errs: &mut FieldErrors) {
    validate_object_name(name, path, errs, is_dns1123_label);
}

#[cfg(test)]
mod tests {
    use super::*;

    const SUBDOMAIN_MSG: &str = "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
    const LABEL_MSG: &str = "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
    const NAME_PART_MSG: &str = "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
    const VALUE_MSG: &str = "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

    /// Checks a validator and its allocation-free twin agree with the expectation.
    fn check(is: fn(&str) -> Vec<String>, valid: fn(&str) -> bool, good: &[&str], bad: &[&str]) {
        for s in good {
            assert_eq!(is(s), Vec::<String>::new(), "{s:?} should be valid");
            assert!(valid(s), "{s:?} should be valid (fast path)");
        }
        for s in bad {
            assert!(!is(s).is_empty(), "{s:?} should be invalid");
            assert!(!valid(s), "{s:?} should be invalid (fast path)");
        }
    }

    #[test]
    fn dns1123_subdomain_accepts_and_rejects_like_kubernetes() {
        let max = format!("{}.{}.{}.{}", "a".repeat(63), "b".repeat(63), "c".repeat(63), "d".repeat(61));
        assert_eq!(max.len(), 253);
        let good =
            ["a", "ab", "abc", "a1", "a-1", "a--1--2--b", "0", "01", "a.a", "a.b.c", "1.2.3", "a-1.b-2", max.as_str()];
        let too_long = format!("{max}e");
        let bad = [
            "",
            "A",
            "ABC",
            "aBc",
            "a_b",
            "-",
            "a-",
            "-a",
            "1-",
            "-1",
            "_",
            ".",
            "a.",
            ".a",
            "a..b",
            "a.-b",
            "a-.b",
            "a b",
            "a@b",
            "é",
            too_long.as_str(),
        ];
        check(is_dns1123_subdomain, valid_dns1123_subdomain, &good, &bad);
        assert_eq!(is_dns1123_subdomain("Web"), vec![SUBDOMAIN_MSG.to_string()]);
        assert_eq!(is_dns1123_subdomain(&too_long), vec!["must be no more than 253 characters".to_string()]);
        let too_long_and_bad = format!("{}A", "a".repeat(253));
        assert_eq!(is_dns1123_subdomain(&too_long_and_bad).len(), 2);
    }

    #[test]
    fn dns1123_label_accepts_and_rejects_like_kubernetes() {
        let l63 = "a".repeat(63);
        let l64 = "a".repeat(64);
        let good = ["a", "ab", "abc", "a1", "a-1", "a--1--2--b", "0", "01", "web-0", l63.as_str()];
        let bad = ["", "A", "a_b", "-", "a-", "-a", "a.b", "a b", l64.as_str()];
        check(is_dns1123_label, valid_dns1123_label, &good, &bad);
        assert_eq!(is_dns1123_label("a.b"), vec!["must not contain dots".to_string()]);
        assert_eq!(is_dns1123_label("Web"), vec![LABEL_MSG.to_string()]);
        assert_eq!(is_dns1123_label(&l64), vec!["must be no more than 63 characters".to_string()]);
    }

    #[test]
    fn qualified_name_checks_prefix_and_name_parts() {
        let n63 = "a".repeat(63);
        let n64 = "a".repeat(64);
        let long_prefix = format!("{}/a", "a".repeat(254));
        let good_prefixed = format!("example.com/{n63}");
        let good = [
            "simple",
            "now-with-dashes",
            "1-starts-with-num",
            "1234",
            "simple/simple",
            "now-with-dashes/simple",
            "now-with-dashes/now-with-dashes",
            "now.with.dots/simple",
            "now-with.dashes-and.dots/simple",
            "1-num.2-num/3-num",
            "1234/5678",
            "1.2.3.4/5678",
            "Uppercase_Is_OK_123",
            "example.com/Uppercase_Is_OK_123",
            "example.com/a.b-c_d",
            n63.as_str(),
            good_prefixed.as_str(),
        ];
        let bad = [
            "",
            "/",
            "a/",
            "/a",
            "nospecialchars%^=@",
            "cantendwithadash-",
            "-cantstartwithadash-",
            "only/one/slash",
            "Example.com/abc",
            "example_com/abc",
            "example.com/",
            "a b",
            n64.as_str(),
            long_prefix.as_str(),
        ];
        check(is_qualified_name, valid_qualified_name, &good, &bad);
        assert_eq!(is_qualified_name("-x"), vec![NAME_PART_MSG.to_string()]);
        assert_eq!(is_qualified_name(""), vec!["name part must be non-empty".to_string(), NAME_PART_MSG.to_string()]);
        assert_eq!(is_qualified_name(&n64), vec!["name part must be no more than 63 characters".to_string()]);
        assert_eq!(is_qualified_name("/a"), vec!["prefix part must be non-empty".to_string()]);
        assert_eq!(is_qualified_name("Ex.com/a"), vec![format!("prefix part {SUBDOMAIN_MSG}")]);
        assert_eq!(
            is_qualified_name("a/b/c"),
            vec!["a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')".to_string()]
        );
    }

    #[test]
    fn label_values_may_be_empty_but_not_longer_than_63() {
        let v63 = "v".repeat(63);
        let v64 = "v".repeat(64);
        let good =
            ["", "simple", "now-with-dashes", "1-starts-with-num", "end-with-num-1", "1234", "A.b_C-9", v63.as_str()];
        let bad = [
            "nospecialchars%^=@",
            "Tama-nui-te-rā.is.Māori.sun",
            "\\backslashes\\are\\bad",
            "-starts",
            "ends-",
            "a/b",
            v64.as_str(),
        ];
        check(is_valid_label_value, valid_label_value, &good, &bad);
        assert_eq!(is_valid_label_value("-x"), vec![VALUE_MSG.to_string()]);
        assert_eq!(is_valid_label_value(&v64), vec!["must be no more than 63 characters".to_string()]);
    }

    proptest::proptest! {
        #[test]
        fn fast_paths_agree_with_messages(s in "[a-zA-Z0-9._/ -]{0,70}", long in "[a-z0-9.-]{240,260}") {
            for v in [s.as_str(), long.as_str()] {
                proptest::prop_assert_eq!(valid_dns1123_label(v), is_dns1123_label(v).is_empty(), "{:?}", v);
                proptest::prop_assert_eq!(valid_dns1123_subdomain(v), is_dns1123_subdomain(v).is_empty(), "{:?}", v);
                proptest::prop_assert_eq!(valid_qualified_name(v), is_qualified_name(v).is_empty(), "{:?}", v);
                proptest::prop_assert_eq!(valid_label_value(v), is_valid_label_value(v).is_empty(), "{:?}", v);
            }
        }
    }

    #[test]
    fn validate_labels_reports_keys_and_values_at_the_map_path() {
        let mut errs = FieldErrors::default();
        let labels: StringMap = [("app", "web"), ("bad key", "ok"), ("ok", "bad value")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        validate_labels(&labels, "metadata.labels", &mut errs);
        let lines: Vec<String> = errs.0.iter().map(ToString::to_string).collect();
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert_eq!(lines[0], format!("metadata.labels: Invalid value: \"bad key\": {NAME_PART_MSG}"));
        assert_eq!(lines[1], format!("metadata.labels: Invalid value: \"bad value\": {VALUE_MSG}"));
    }

    #[test]
    fn validate_annotations_ignores_key_case_and_caps_total_size() {
        let mut errs = FieldErrors::default();
        let mut ann = StringMap::new();
        ann.insert("Example.com/Key".into(), "anything at all: ✓".into());
        validate_annotations(&ann, "metadata.annotations", &mut errs);
        assert!(errs.is_empty(), "{errs:?}");

        ann.insert("big".into(), "x".repeat(TOTAL_ANNOTATION_SIZE_LIMIT_BYTES));
        validate_annotations(&ann, "metadata.annotations", &mut errs);
        assert_eq!(errs.0.len(), 1);
        assert_eq!(errs.0[0].to_string(), "metadata.annotations: Too long: may not be more than 262144 bytes");

        let mut errs = FieldErrors::default();
        let exact: StringMap = [("k".to_string(), "x".repeat(TOTAL_ANNOTATION_SIZE_LIMIT_BYTES - 1))].into();
        validate_annotations(&exact, "metadata.annotations", &mut errs);
        assert!(errs.is_empty());
        let bad_key: StringMap = [("a/b/c".to_string(), String::new())].into();
        validate_annotations(&bad_key, "metadata.annotations", &mut errs);
        assert_eq!(errs.0.len(), 1);
    }

    #[test]
    fn object_names_are_required_and_checked() {
        let mut errs = FieldErrors::default();
        validate_object_name_dns_subdomain("web.example", "metadata.name", &mut errs);
        validate_object_name_dns_label("web-0", "metadata.name", &mut errs);
        assert!(errs.is_empty());

        validate_object_name_dns_subdomain("", "metadata.name", &mut errs);
        validate_object_name_dns_subdomain("Web", "metadata.name", &mut errs);
        validate_object_name_dns_label("web.example", "metadata.name", &mut errs);
        let lines: Vec<String> = errs.0.iter().map(ToString::to_string).collect();
        assert_eq!(
            lines,
            vec![
                "metadata.name: Required value: name or generateName is required".to_string(),
                format!("metadata.name: Invalid value: \"Web\": {SUBDOMAIN_MSG}"),
                "metadata.name: Invalid value: \"web.example\": must not contain dots".to_string(),
            ]
        );
    }
}
