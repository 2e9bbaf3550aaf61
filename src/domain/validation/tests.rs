//! Tests of `domain::validation`.

use std::fmt;

use super::*;
use crate::error::AppError;
use crate::model::secret::ExternalDataEntry;

/// Asserts `result` rejects `field` with a message mentioning each of `mentions`.
#[track_caller]
pub(super) fn assert_rejects<T: fmt::Debug>(
    result: Result<T, FieldError>,
    field: &str,
    mentions: &[&str],
) {
    let error = result.expect_err("expected a rejection");
    assert_eq!(error.field, field, "wrong field in {error:?}");
    for mention in mentions {
        assert!(
            error.message.contains(mention),
            "{:?} does not mention {mention:?}",
            error.message
        );
    }
}

pub(super) fn entry(secret_key: &str, remote_key: &str) -> ExternalDataEntry {
    ExternalDataEntry {
        secret_key: secret_key.to_owned(),
        remote_key: remote_key.to_owned(),
        property: None,
        version: None,
        ..Default::default()
    }
}

pub(super) fn external(entries: Vec<ExternalDataEntry>) -> SecretSpec {
    SecretSpec::External(ExternalSpec {
        store: "vault-prod".to_owned(),
        refresh_interval: "1h".to_owned(),
        data: entries,
        ..Default::default()
    })
}

pub(super) fn kubernetes(secret_type: &str, keys: &[&str]) -> SecretSpec {
    SecretSpec::Kubernetes(KubernetesSpec {
        secret_type: secret_type.to_owned(),
        keys: keys.iter().map(|k| (*k).to_owned()).collect(),
    })
}

pub(super) fn fields(errors: &[FieldError]) -> Vec<&str> {
    errors.iter().map(|e| e.field.as_str()).collect()
}

#[test]
fn field_error_becomes_a_validation_app_error_that_reads_field_colon_message() {
    let error = FieldError::new("name", "must not be empty");
    assert_eq!(error.to_string(), "name: must not be empty");
    let app: AppError = error.into();
    assert_eq!(app, AppError::validation("name", "must not be empty"));
    assert_eq!(app.to_string(), "name: must not be empty");
}

#[test]
fn field_error_round_trips_as_json() {
    let error = FieldError::new("keys[0]", "must not be empty");
    let json = serde_json::to_string(&error).unwrap();
    assert_eq!(json, r#"{"field":"keys[0]","message":"must not be empty"}"#);
    assert_eq!(serde_json::from_str::<FieldError>(&json).unwrap(), error);
}

#[test]
fn secret_names_that_are_rfc_1123_labels_are_accepted() {
    for name in ["a", "0", "my-db", "db-2", "x".repeat(63).as_str()] {
        assert_eq!(validate_secret_name(name), Ok(()), "{name}");
    }
}

#[test]
fn empty_secret_name_is_rejected_saying_what_is_allowed() {
    assert_rejects(validate_secret_name(""), "name", &["empty", LABEL_RULE]);
}

#[test]
fn secret_name_over_63_characters_is_rejected_with_its_length() {
    assert_rejects(
        validate_secret_name(&"a".repeat(64)),
        "name",
        &["at most 63", "has 64", LABEL_RULE],
    );
}

#[test]
fn uppercase_secret_name_is_rejected_suggesting_the_lowercase_form() {
    assert_rejects(
        validate_secret_name("My-DB"),
        "name",
        &["lowercase", "\"my-db\"", LABEL_RULE],
    );
}

#[test]
fn secret_name_with_a_bad_character_names_the_character() {
    assert_rejects(validate_secret_name("my_db"), "name", &["'_'", LABEL_RULE]);
    assert_rejects(
        validate_secret_name("my db"),
        "name",
        &["spaces", LABEL_RULE],
    );
    assert_rejects(validate_secret_name("my.db"), "name", &["'.'", LABEL_RULE]);
    assert_rejects(validate_secret_name("mé"), "name", &["'é'", LABEL_RULE]);
    assert_rejects(
        validate_secret_name("a\tb"),
        "name",
        &["U+0009", LABEL_RULE],
    );
}

#[test]
fn secret_name_starting_or_ending_with_a_dash_is_rejected() {
    for name in ["-db", "db-", "-"] {
        assert_rejects(
            validate_secret_name(name),
            "name",
            &["start and end", "not '-'", LABEL_RULE],
        );
    }
}

#[test]
fn kubernetes_data_keys_are_accepted() {
    for key in [
        "password",
        "AWS_ACCESS_KEY_ID",
        ".dockerconfigjson",
        "tls.crt",
        "a-b_c.d",
        "a..b",
        "a.",
        "_",
        "x".repeat(253).as_str(),
    ] {
        assert_eq!(validate_key_name("keys[0]", key), Ok(()), "{key}");
    }
}

#[test]
fn key_names_are_rejected_on_the_field_path_the_caller_gives() {
    assert_rejects(
        validate_key_name("data[2].secret_key", ""),
        "data[2].secret_key",
        &["empty", KEY_RULE],
    );
    assert_rejects(
        validate_key_name("keys[0]", &"k".repeat(254)),
        "keys[0]",
        &["at most 253", "has 254", KEY_RULE],
    );
    assert_rejects(
        validate_key_name("keys[1]", "my key"),
        "keys[1]",
        &["spaces", KEY_RULE],
    );
    assert_rejects(
        validate_key_name("keys[1]", "a/b"),
        "keys[1]",
        &["'/'", KEY_RULE],
    );
}

#[test]
fn dot_and_dot_dot_keys_are_rejected_like_the_api_server_does() {
    for key in [".", "..", "..secret"] {
        assert_rejects(
            validate_key_name("keys[0]", key),
            "keys[0]",
            &["'..'", KEY_RULE, ".dockerconfigjson"],
        );
    }
}

#[test]
fn remote_keys_are_accepted_with_inner_spaces_and_any_printable_text() {
    for key in ["prod/db", "secret/data/my app", "ключ", &"k".repeat(1024)] {
        assert_eq!(validate_remote_key("data[0].remote_key", key), Ok(()));
    }
}

#[test]
fn blank_remote_key_is_rejected() {
    for key in ["", "   "] {
        assert_rejects(
            validate_remote_key("data[0].remote_key", key),
            "data[0].remote_key",
            &["empty", "e.g. prod/database"],
        );
    }
}

#[test]
fn remote_key_with_surrounding_whitespace_is_rejected() {
    for key in [" prod/db", "prod/db ", "prod/db\n"] {
        assert_rejects(
            validate_remote_key("data[1].remote_key", key),
            "data[1].remote_key",
            &["start or end", "spaces inside the key are fine"],
        );
    }
}

#[test]
fn remote_key_with_a_control_character_is_rejected_by_code_point() {
    assert_rejects(
        validate_remote_key("data[0].remote_key", "prod\u{7}db"),
        "data[0].remote_key",
        &["U+0007", "printable characters"],
    );
}

#[test]
fn remote_key_over_1024_characters_is_rejected() {
    assert_rejects(
        validate_remote_key("data[0].remote_key", &"k".repeat(1025)),
        "data[0].remote_key",
        &["at most 1024", "has 1025"],
    );
}

#[test]
fn remote_key_climbing_out_with_dot_dot_is_rejected_naming_the_field() {
    assert_rejects(
        validate_remote_key("data[0].remote_key", "payments/../search/db"),
        "data[0].remote_key",
        &["'..'", "without them", "e.g. payments/db/password"],
    );
}

#[test]
fn remote_keys_that_are_not_clean_paths_are_rejected_saying_what_to_do() {
    for (key, mentions) in [
        ("/abs", &["start with '/'", "without the leading '/'"][..]),
        ("/", &["start with '/'"]),
        ("a//b", &["'//'", "single '/'"]),
        ("a/", &["end with '/'", "not a folder"]),
        ("a/b/", &["end with '/'"]),
        ("a/./b", &["'.' or '..'"]),
        ("./a", &["'.' or '..'"]),
        ("a/..", &["'.' or '..'"]),
        (".", &["'.' or '..'"]),
        ("..", &["'.' or '..'"]),
    ] {
        assert_rejects(
            validate_remote_key("data[3].remote_key", key),
            "data[3].remote_key",
            mentions,
        );
    }
}

#[test]
fn ordinary_remote_keys_with_dots_inside_parts_are_still_accepted() {
    for key in [
        "payments/db/password",
        "shared/postgres",
        "my app password",
        "payments/.env",
        "payments/a..b",
        "...",
        "v1.2/tls.crt",
    ] {
        assert_eq!(
            validate_remote_key("data[0].remote_key", key),
            Ok(()),
            "{key}"
        );
    }
}

#[test]
fn key_prefixes_follow_the_path_rules_and_may_end_with_one_slash() {
    for prefix in ["payments", "payments/", "shared/postgres/", "team a/"] {
        assert_eq!(
            validate_key_prefix("key_prefixes", prefix),
            Ok(()),
            "{prefix}"
        );
    }
    for (prefix, mentions) in [
        ("", &["is not a prefix", "e.g. payments/"][..]),
        ("/", &["is not a prefix"]),
        ("/payments", &["\"/payments\"", "start with '/'"]),
        ("payments//", &["\"payments//\"", "'//'"]),
        ("a//b/", &["'//'"]),
        ("payments/../search", &["'.' or '..'"]),
        ("..", &["'.' or '..'"]),
        ("./", &["'.' or '..'"]),
        (" payments/", &["start or end with spaces"]),
    ] {
        assert_rejects(
            validate_key_prefix("key_prefixes", prefix),
            "key_prefixes",
            mentions,
        );
    }
}

#[test]
fn store_names_that_are_rfc_1123_subdomains_are_accepted() {
    for store in ["vault", "vault-prod", "aws.eu-west-1", "a.b.c", "0"] {
        assert_eq!(validate_store_name(store), Ok(()), "{store}");
    }
}

#[test]
fn bad_store_names_are_rejected_saying_what_is_allowed() {
    assert_rejects(
        validate_store_name(""),
        "store",
        &["ClusterSecretStore", SUBDOMAIN_RULE],
    );
    assert_rejects(
        validate_store_name(&"a".repeat(254)),
        "store",
        &["at most 253", SUBDOMAIN_RULE],
    );
    assert_rejects(
        validate_store_name("Vault"),
        "store",
        &["\"vault\"", SUBDOMAIN_RULE],
    );
    assert_rejects(
        validate_store_name("vault_1"),
        "store",
        &["'_'", SUBDOMAIN_RULE],
    );
    for store in [".vault", "vault.", "a..b", "a.-b", "-a", "a-"] {
        assert_rejects(validate_store_name(store), "store", &[SUBDOMAIN_RULE]);
    }
}

/// Go's own `parseDurationTests`, the non-negative ones.
#[test]
fn go_durations_parse_as_go_parses_them() {
    let ns = Duration::from_nanos;
    let cases = [
        ("0", ns(0)),
        ("+0", ns(0)),
        ("-0", ns(0)),
        ("5s", Duration::from_secs(5)),
        ("30s", Duration::from_secs(30)),
        ("1478s", Duration::from_secs(1478)),
        ("+5s", Duration::from_secs(5)),
        ("5.0s", Duration::from_secs(5)),
        ("5.6s", Duration::from_millis(5600)),
        ("5.s", Duration::from_secs(5)),
        (".5s", Duration::from_millis(500)),
        ("1.0s", Duration::from_secs(1)),
        ("1.00s", Duration::from_secs(1)),
        ("1.004s", Duration::from_millis(1004)),
        ("1.0040s", Duration::from_millis(1004)),
        ("100.00100s", Duration::from_millis(100_001)),
        ("10ns", ns(10)),
        ("11us", Duration::from_micros(11)),
        ("12\u{b5}s", Duration::from_micros(12)),
        ("12\u{3bc}s", Duration::from_micros(12)),
        ("13ms", Duration::from_millis(13)),
        ("14s", Duration::from_secs(14)),
        ("15m", Duration::from_secs(15 * 60)),
        ("16h", Duration::from_secs(16 * 3600)),
        ("3h30m", Duration::from_secs(3 * 3600 + 30 * 60)),
        ("10.5s4m", Duration::from_millis(4 * 60_000 + 10_500)),
        (
            "1h2m3s4ms5us6ns",
            ns(3_600_000_000_000 + 120_000_000_000 + 3_000_000_000 + 4_000_000 + 5_000 + 6),
        ),
        (
            "39h9m14.425s",
            Duration::from_millis((39 * 3600 + 9 * 60 + 14) * 1000 + 425),
        ),
        ("52763797000ns", ns(52_763_797_000)),
        ("0.3333333333333333333h", Duration::from_secs(20 * 60)),
        ("9007199254740993ns", ns((1 << 53) + 1)),
        ("9223372036854775807ns", ns(i64::MAX as u64)),
        ("9223372036854775.807us", ns(i64::MAX as u64)),
        ("9223372036s854ms775us807ns", ns(i64::MAX as u64)),
        ("0.100000000000000000000h", Duration::from_secs(6 * 60)),
        (
            "0.830103483285477580700h",
            ns((49 * 60 + 48) * 1_000_000_000 + 372_539_827),
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(parse_go_duration(text), Ok(expected), "{text}");
    }
}

/// Go's own `parseDurationErrorTests`, plus the negative durations we refuse.
#[test]
fn durations_go_rejects_are_rejected_with_what_is_allowed() {
    for text in [
        "",
        "3",
        "-",
        "s",
        ".",
        "-.",
        ".s",
        "+.s",
        "1d",
        "\u{85}\u{85}",
        "\u{fffd}",
        "\u{fffd} hello \u{fffd} world",
        "9223372036854775810ns",
        "9223372036854775808ns",
        "9223372036854776us",
        "3000000h",
        "9223372036854775.808us",
        "9223372036854ms775us808ns",
        "-5s",
        "-2m3.4s",
        "-9223372036854775808ns",
        "1h 30m",
        "00",
    ] {
        let message = parse_go_duration(text).expect_err(text);
        assert!(
            message.contains("e.g.") || message.contains("the largest is"),
            "{text:?}: {message}"
        );
    }
}

#[test]
fn duration_messages_say_what_went_wrong() {
    let unknown = parse_go_duration("7d").unwrap_err();
    assert!(
        unknown.contains("unknown unit \"d\"") && unknown.contains("24h"),
        "{unknown}"
    );
    let missing = parse_go_duration("30").unwrap_err();
    assert!(missing.contains("without a unit"), "{missing}");
    let negative = parse_go_duration("-1h").unwrap_err();
    assert!(negative.contains("negative"), "{negative}");
    let spaced = parse_go_duration("1h 30m").unwrap_err();
    assert!(
        spaced.contains("spaces") && spaced.contains("1h30m"),
        "{spaced}"
    );
    let huge = parse_go_duration("3000000h").unwrap_err();
    assert!(huge.contains("2562047h47m16.854775807s"), "{huge}");
}

#[test]
fn sums_that_would_wrap_around_are_too_large_not_zero() {
    // Go's uint64 sum wraps to zero here; ours must not.
    let text = "9223372036854775808ns9223372036854775808ns";
    assert!(parse_go_duration(text).is_err());
}

/// Go's own `durationTests` and the examples in our brief.
#[test]
fn durations_format_exactly_as_go_formats_them() {
    let ns = Duration::from_nanos;
    let cases = [
        (ns(0), "0s"),
        (ns(1), "1ns"),
        (ns(1100), "1.1\u{b5}s"),
        (Duration::from_micros(2200), "2.2ms"),
        (Duration::from_millis(3300), "3.3s"),
        (Duration::from_secs(4 * 60 + 5), "4m5s"),
        (Duration::from_millis(4 * 60_000 + 5001), "4m5.001s"),
        (
            Duration::from_millis((5 * 3600 + 6 * 60 + 7) * 1000 + 1),
            "5h6m7.001s",
        ),
        (ns(8 * 60 * 1_000_000_000 + 1), "8m0.000000001s"),
        (ns(i64::MAX as u64), "2562047h47m16.854775807s"),
        (Duration::from_secs(3600), "1h0m0s"),
        (Duration::from_secs(90), "1m30s"),
        (Duration::from_millis(1500), "1.5s"),
        (Duration::from_millis(500), "500ms"),
        (Duration::from_millis(3_600_500), "1h0m0.5s"),
        (Duration::from_secs(59), "59s"),
        (ns(999_999_999), "999.999999ms"),
    ];
    for (duration, expected) in cases {
        assert_eq!(format_go_duration(duration), expected, "{duration:?}");
    }
}

#[test]
fn refresh_interval_is_returned_in_canonical_go_form() {
    assert_eq!(validate_refresh_interval("1h").as_deref(), Ok("1h0m0s"));
    assert_eq!(validate_refresh_interval("90m").as_deref(), Ok("1h30m0s"));
    assert_eq!(validate_refresh_interval(" 15m ").as_deref(), Ok("15m0s"));
    assert_eq!(
        validate_refresh_interval("8760h").as_deref(),
        Ok("8760h0m0s")
    );
}

#[test]
fn zero_refresh_interval_is_allowed_because_it_turns_refresh_off() {
    assert_eq!(validate_refresh_interval("0").as_deref(), Ok("0s"));
    assert_eq!(validate_refresh_interval("0s").as_deref(), Ok("0s"));
}

#[test]
fn refresh_interval_over_a_year_is_rejected() {
    assert_rejects(
        validate_refresh_interval("8760h0m0.001s"),
        "refresh_interval",
        &["one year", "at most 8760h"],
    );
    assert_rejects(
        validate_refresh_interval("9000h"),
        "refresh_interval",
        &["9000h0m0s", "at most 8760h"],
    );
}

#[test]
fn refresh_interval_under_the_minimum_is_rejected_naming_the_limit() {
    let min = DEFAULT_MIN_REFRESH_INTERVAL;
    for text in ["1ns", "1s", "30s", "59.999s"] {
        assert_rejects(
            validate_min_refresh_interval(text, min),
            "refresh_interval",
            &["at least 1m0s: shorter intervals hammer the shared store"],
        );
    }
    for text in ["1m", "60s", " 1h ", "0", "0s", "not a duration"] {
        assert_eq!(validate_min_refresh_interval(text, min), Ok(()), "{text}");
    }
    assert_rejects(
        validate_min_refresh_interval("4m", Duration::from_secs(300)),
        "refresh_interval",
        &["4m0s is too short", "at least 5m0s"],
    );
}

#[test]
fn malformed_refresh_interval_is_rejected_with_the_units_allowed() {
    for text in ["", "soon", "1d", "10", "-1h"] {
        assert_rejects(
            validate_refresh_interval(text),
            "refresh_interval",
            &["e.g."],
        );
    }
    assert_rejects(
        validate_refresh_interval("1d"),
        "refresh_interval",
        &[UNITS],
    );
}

/// The browser's `pattern` (anchored, as HTML anchors it) accepts exactly the names the rule
/// accepts, the hint states the same rule, and `maxlength` is the rule's.
#[test]
fn the_name_pattern_hint_and_rule_are_one_definition() {
    let pattern = regex::Regex::new(&format!("^(?:{})$", DNS_LABEL.pattern)).unwrap();
    for name in [
        "a", "db", "my-db", "a1", "1a", "x-y-z", "-a", "a-", "my.db", "My-db", "my_db", "a b", "",
        "é", "--", "a--b",
    ] {
        let by_rule = validate_secret_name(name).is_ok();
        let by_pattern = pattern.is_match(name);
        assert_eq!(by_rule, by_pattern, "{name:?}");
    }
    assert!(validate_secret_name(&"a".repeat(DNS_LABEL.max_len)).is_ok());
    assert!(validate_secret_name(&"a".repeat(DNS_LABEL.max_len + 1)).is_err());
    assert!(DNS_LABEL.hint.contains(LABEL_RULE));
    assert!(
        !DNS_LABEL.hint.contains('.'),
        "a dot is not allowed: the hint must not offer it"
    );
}
