//! Tests of `domain::validation`: values, Secret types, use-case rules, whole specs, and the
//! property tests.

use super::tests::{assert_rejects, entry, external, fields, kubernetes};
use super::*;
use crate::model::secret::ExternalDataEntry;
use proptest::prelude::*;

#[test]
fn values_up_to_one_mebibyte_are_accepted() {
    assert_eq!(validate_values_size(0), Ok(()));
    assert_eq!(validate_values_size(MAX_VALUES_BYTES), Ok(()));
}

#[test]
fn values_over_one_mebibyte_are_rejected_with_actual_size_and_limit() {
    assert_rejects(
        validate_values_size(MAX_VALUES_BYTES + 1),
        "values",
        &["1048577 bytes", "at most 1048576 bytes (1 MiB)"],
    );
}

#[test]
fn supported_secret_types_are_accepted() {
    for secret_type in SECRET_TYPES {
        assert_eq!(validate_secret_type(secret_type), Ok(()));
    }
}

#[test]
fn service_account_tokens_are_refused_as_protected() {
    assert_rejects(
        validate_secret_type("kubernetes.io/service-account-token"),
        "secret_type",
        &["protected", "cannot be managed here", "Opaque"],
    );
}

#[test]
fn unknown_secret_types_are_rejected_listing_the_allowed_ones() {
    assert_rejects(
        validate_secret_type("bootstrap.kubernetes.io/token"),
        "secret_type",
        &SECRET_TYPES,
    );
    assert_rejects(
        validate_secret_type(""),
        "secret_type",
        &["empty", "Opaque"],
    );
    assert_rejects(
        validate_secret_type("opaque"),
        "secret_type",
        &["did you mean Opaque?", "kubernetes.io/tls"],
    );
}

#[test]
fn s3_secrets_need_both_aws_keys_and_the_message_names_the_missing_one() {
    let spec = kubernetes("Opaque", &["AWS_ACCESS_KEY_ID"]);
    assert_rejects(
        validate_use_case(UseCase::S3, &spec),
        "keys",
        &[
            "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY",
            "missing key AWS_SECRET_ACCESS_KEY",
        ],
    );
    let spec = external(vec![entry("other", "prod/s3")]);
    assert_rejects(
        validate_use_case(UseCase::S3, &spec),
        "data",
        &["missing keys AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"],
    );
    let spec = kubernetes(
        "Opaque",
        &["AWS_SECRET_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "REGION"],
    );
    assert_eq!(validate_use_case(UseCase::S3, &spec), Ok(()));
}

#[test]
fn hugging_face_secrets_need_hf_token() {
    let spec = external(vec![entry("token", "hf")]);
    assert_rejects(
        validate_use_case(UseCase::HuggingFace, &spec),
        "data",
        &["HF_TOKEN"],
    );
    let spec = external(vec![entry("HF_TOKEN", "hf")]);
    assert_eq!(validate_use_case(UseCase::HuggingFace, &spec), Ok(()));
}

#[test]
fn database_secrets_need_username_and_password() {
    let spec = kubernetes("kubernetes.io/basic-auth", &["username"]);
    assert_rejects(
        validate_use_case(UseCase::Database, &spec),
        "keys",
        &["username and password", "missing key password"],
    );
    let spec = kubernetes("Opaque", &["host", "password", "username"]);
    assert_eq!(validate_use_case(UseCase::Database, &spec), Ok(()));
}

#[test]
fn image_pull_secrets_need_exactly_the_dockerconfigjson_key() {
    for keys in [&[][..], &["config.json"], &[".dockerconfigjson", "extra"]] {
        let spec = kubernetes(DOCKER_CONFIG_JSON_TYPE, keys);
        assert_rejects(
            validate_use_case(UseCase::ImagePullSecret, &spec),
            "keys",
            &["exactly one key, .dockerconfigjson"],
        );
    }
    let spec = external(vec![entry(".dockerconfigjson", "registry/pull")]);
    assert_eq!(validate_use_case(UseCase::ImagePullSecret, &spec), Ok(()));
}

#[test]
fn kubernetes_image_pull_secrets_need_the_dockerconfigjson_type() {
    let spec = kubernetes("Opaque", &[".dockerconfigjson"]);
    assert_rejects(
        validate_use_case(UseCase::ImagePullSecret, &spec),
        "secret_type",
        &["\"Opaque\"", DOCKER_CONFIG_JSON_TYPE],
    );
    let spec = kubernetes(DOCKER_CONFIG_JSON_TYPE, &[".dockerconfigjson"]);
    assert_eq!(validate_use_case(UseCase::ImagePullSecret, &spec), Ok(()));
}

#[test]
fn generic_secrets_have_no_use_case_rule() {
    let spec = kubernetes("Opaque", &["anything"]);
    assert_eq!(validate_use_case(UseCase::Generic, &spec), Ok(()));
}

#[test]
fn a_valid_external_spec_passes() {
    let mut with_extras = entry("password", "prod/db");
    with_extras.property = Some("password".to_owned());
    with_extras.version = Some("3".to_owned());
    let spec = external(vec![entry("username", "prod/db"), with_extras]);
    assert_eq!(validate_spec(UseCase::Database, &spec), Ok(()));
    assert!(validate_all(UseCase::Database, &spec).is_empty());
}

#[test]
fn external_spec_errors_come_in_field_order() {
    let spec = SecretSpec::External(ExternalSpec {
        store: "".to_owned(),
        refresh_interval: "1d".to_owned(),
        data: vec![
            ExternalDataEntry {
                secret_key: "a b".to_owned(),
                remote_key: " x".to_owned(),
                property: Some(String::new()),
                version: Some(" ".to_owned()),
                ..Default::default()
            },
            entry("password", "prod/db"),
            entry("password", ""),
        ],
        ..Default::default()
    });
    let errors = validate_all(UseCase::Generic, &spec);
    assert_eq!(
        fields(&errors),
        [
            "store",
            "refresh_interval",
            "data[0].secret_key",
            "data[0].remote_key",
            "data[0].property",
            "data[0].version",
            "data[2].secret_key",
            "data[2].remote_key",
        ]
    );
    assert_eq!(
        validate_spec(UseCase::Generic, &spec),
        Err(errors[0].clone())
    );
    assert!(
        errors[6].message.contains("already used by data[1]"),
        "{}",
        errors[6]
    );
    assert!(errors[4].message.contains("leave it out"), "{}", errors[4]);
    assert!(errors[5].message.contains("leave it out"), "{}", errors[5]);
}

#[test]
fn external_spec_without_data_asks_for_a_key_before_use_case_rules() {
    let errors = validate_all(UseCase::HuggingFace, &external(vec![]));
    assert_eq!(fields(&errors), ["data", "data"]);
    assert!(errors[0].message.contains("add at least one key"));
    assert!(errors[1].message.contains("HF_TOKEN"));
}

#[test]
fn kubernetes_spec_errors_come_in_field_order_with_use_case_rules_last() {
    let spec = kubernetes("Opaque", &["username", "..", "username"]);
    let errors = validate_all(UseCase::Database, &spec);
    assert_eq!(fields(&errors), ["keys[1]", "keys[2]", "keys"]);
    assert!(
        errors[1].message.contains("already used by keys[0]"),
        "{}",
        errors[1]
    );
    assert!(
        errors[2].message.contains("missing key password"),
        "{}",
        errors[2]
    );

    let errors = validate_all(UseCase::ImagePullSecret, &kubernetes("nope", &[]));
    assert_eq!(
        fields(&errors),
        ["secret_type", "keys", "secret_type", "keys"]
    );
    assert_eq!(
        validate_spec(UseCase::ImagePullSecret, &kubernetes("nope", &[])),
        Err(errors[0].clone())
    );
}

#[test]
fn a_valid_kubernetes_spec_passes() {
    let spec = kubernetes("kubernetes.io/tls", &["tls.crt", "tls.key"]);
    assert_eq!(validate_spec(UseCase::Generic, &spec), Ok(()));
}

#[test]
fn long_input_is_cut_short_in_messages() {
    let long = "A".repeat(10_000);
    let error = validate_secret_type(&long).unwrap_err();
    assert!(error.message.len() < 400, "{}", error.message);
}

const YEAR_NANOS: u64 = 8760 * 3600 * 1_000_000_000;

fn arb_text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[a-zA-Z0-9._ /-]{0,12}",
        "[0-9.]{0,4}(h|m|s|ms|us|µs|ns|d|)[0-9.]{0,3}(h|m|s|)",
        proptest::sample::select(vec![
            "",
            ".dockerconfigjson",
            "HF_TOKEN",
            "username",
            "password",
            "AWS_ACCESS_KEY_ID",
            "Opaque",
            "kubernetes.io/service-account-token",
        ])
        .prop_map(str::to_owned),
    ]
}

fn arb_spec() -> impl Strategy<Value = SecretSpec> {
    let entry = (
        arb_text(),
        arb_text(),
        proptest::option::of(arb_text()),
        proptest::option::of(arb_text()),
    )
        .prop_map(
            |(secret_key, remote_key, property, version)| ExternalDataEntry {
                secret_key,
                remote_key,
                property,
                version,
                ..Default::default()
            },
        );
    prop_oneof![
        (
            arb_text(),
            arb_text(),
            proptest::collection::vec(entry, 0..4)
        )
            .prop_map(|(store, refresh_interval, data)| SecretSpec::External(
                ExternalSpec {
                    store,
                    refresh_interval,
                    data,
                    ..Default::default()
                }
            )),
        (arb_text(), proptest::collection::vec(arb_text(), 0..4)).prop_map(
            |(secret_type, keys)| SecretSpec::Kubernetes(KubernetesSpec { secret_type, keys })
        ),
    ]
}

/// Every validator's verdict on `text`, as `Result<(), FieldError>`.
fn all_verdicts(text: &str, size: usize) -> Vec<Result<(), FieldError>> {
    vec![
        validate_secret_name(text),
        validate_key_name("keys[0]", text),
        validate_remote_key("data[0].remote_key", text),
        validate_key_prefix("key_prefixes", text),
        validate_store_name(text),
        validate_refresh_interval(text).map(drop),
        validate_values_size(size),
        validate_secret_type(text),
    ]
}

proptest! {
    #[test]
    fn validators_never_panic_on_arbitrary_input(
        text in arb_text(),
        size in any::<usize>(),
        use_case in proptest::sample::select(UseCase::ALL),
        spec in arb_spec(),
    ) {
        let _ = all_verdicts(&text, size);
        let _ = parse_go_duration(&text);
        let _ = validate_all(use_case, &spec);
        let _ = validate_spec(use_case, &spec);
        let _ = validate_use_case(use_case, &spec);
    }

    #[test]
    fn every_rejection_names_a_field_and_says_why(
        text in arb_text(),
        size in any::<usize>(),
        use_case in proptest::sample::select(UseCase::ALL),
        spec in arb_spec(),
    ) {
        let all = validate_all(use_case, &spec);
        let rejections = all_verdicts(&text, size)
            .into_iter()
            .filter_map(Result::err)
            .chain(all.iter().cloned());
        for error in rejections {
            prop_assert!(!error.field.is_empty(), "{error:?}");
            prop_assert!(!error.message.is_empty(), "{error:?}");
        }
        if let Err(message) = parse_go_duration(&text) {
            prop_assert!(!message.is_empty());
        }
        prop_assert_eq!(validate_spec(use_case, &spec), all.first().cloned().map_or(Ok(()), Err));
    }

    #[test]
    fn formatted_durations_parse_back_to_the_same_duration(
        d in prop_oneof![
            (0..=YEAR_NANOS).prop_map(Duration::from_nanos),
            (0..=YEAR_NANOS / 1_000_000).prop_map(Duration::from_millis),
            (0..=YEAR_NANOS / 1_000_000_000).prop_map(Duration::from_secs),
        ]
    ) {
        let text = format_go_duration(d);
        prop_assert_eq!(parse_go_duration(&text), Ok(d), "{}", text);
        prop_assert_eq!(validate_refresh_interval(&text), Ok(text.clone()));
    }

    #[test]
    fn accepted_refresh_intervals_are_canonical_fixed_points(text in arb_text()) {
        if let Ok(canonical) = validate_refresh_interval(&text) {
            prop_assert_eq!(validate_refresh_interval(&canonical), Ok(canonical.clone()));
        }
    }

    #[test]
    fn rfc_1123_labels_are_accepted_as_secret_names(
        name in "[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?"
    ) {
        prop_assert_eq!(validate_secret_name(&name), Ok(()));
    }

    #[test]
    fn accepted_secret_names_are_rfc_1123_labels(text in arb_text()) {
        if validate_secret_name(&text).is_ok() {
            prop_assert!((1..=63).contains(&text.len()));
            prop_assert!(text.chars().all(is_label_char));
            prop_assert!(!text.starts_with('-') && !text.ends_with('-'));
        }
    }
}

#[test]
fn typed_kubernetes_secrets_need_their_well_known_keys() {
    let spec = |secret_type: &str, keys: &[&str]| {
        SecretSpec::Kubernetes(KubernetesSpec {
            secret_type: secret_type.to_owned(),
            keys: keys.iter().map(|k| (*k).to_owned()).collect(),
        })
    };
    let tls =
        validate_spec(UseCase::Generic, &spec("kubernetes.io/tls", &["tls.crt"])).unwrap_err();
    assert_eq!(tls.field, "keys");
    assert!(
        tls.message.contains("tls.key") && tls.message.contains("Opaque"),
        "{}",
        tls.message
    );
    assert!(
        validate_spec(
            UseCase::Generic,
            &spec("kubernetes.io/tls", &["tls.crt", "tls.key"])
        )
        .is_ok()
    );
    assert!(validate_spec(UseCase::Generic, &spec("kubernetes.io/ssh-auth", &["key"])).is_err());
    assert!(
        validate_spec(
            UseCase::Generic,
            &spec("kubernetes.io/basic-auth", &["password"])
        )
        .is_ok()
    );
    assert!(
        validate_spec(
            UseCase::Generic,
            &spec("kubernetes.io/basic-auth", &["token"])
        )
        .is_err()
    );
    assert!(validate_spec(UseCase::Generic, &spec("Opaque", &["anything"])).is_ok());
}
