//! The decoder's words and `fieldValidation`, without a server.

use super::*;
use crate::sim::resources::{TYPES, by_kind};

fn secret_type() -> &'static ResourceType {
    &TYPES[by_kind("", "Secret").unwrap()]
}

fn decoded(object: Value, validation: FieldValidation) -> (Result<Value, String>, Vec<String>) {
    let mut ctx = WriteContext::new("test");
    ctx.validation = validation;
    let body = object.to_string();
    let result = decode(secret_type(), object, body.as_bytes(), &ctx).map_err(|e| e.message);
    (result, ctx.recorder.take_warnings())
}

#[test]
fn wrong_types_are_worded_as_the_go_decoder_words_them_without_values() {
    let error = |object: Value| decoded(object, FieldValidation::Ignore).0.unwrap_err();
    let prefix = "Secret in version \"v1\" cannot be handled as a Secret: json: cannot unmarshal";
    assert_eq!(
        error(json!({"stringData": {"port": 5432}})),
        format!("{prefix} number into Go struct field Secret.stringData of type string")
    );
    assert_eq!(
        error(json!({"data": []})),
        format!("{prefix} array into Go struct field Secret.data of type map[string][]uint8")
    );
    assert_eq!(
        error(json!({"metadata": {"labels": "x"}})),
        format!(
            "{prefix} string into Go struct field ObjectMeta.metadata.labels of type map[string]string"
        )
    );
    assert_eq!(
        error(json!({"type": 5})),
        format!("{prefix} number into Go struct field Secret.type of type v1.SecretType")
    );
    assert_eq!(
        error(json!({"metadata": {"ownerReferences": [{"controller": "yes"}]}})),
        format!(
            "{prefix} string into Go struct field OwnerReference.metadata.ownerReferences.controller of type bool"
        )
    );
    let base64 = error(json!({"data": {"k": "hunter2!"}}));
    assert!(
        base64.ends_with("illegal base64 data at input byte 7"),
        "{base64}"
    );
    assert!(!base64.contains("hunter2"), "{base64}");
}

#[test]
fn unknown_and_repeated_fields_follow_field_validation() {
    let object = json!({"foo": 1, "metadata": {"name": "s", "bogus": true}, "data": {"k": "dg=="}});
    let (strict, _) = decoded(object.clone(), FieldValidation::Strict);
    assert_eq!(
        strict.unwrap_err(),
        "Secret in version \"v1\" cannot be handled as a Secret: strict decoding error: \
         unknown field \"foo\", unknown field \"metadata.bogus\""
    );
    let (warned, warnings) = decoded(object.clone(), FieldValidation::Warn);
    let kept = json!({"metadata": {"name": "s"}, "data": {"k": "dg=="}});
    assert_eq!(warned.unwrap(), kept);
    assert_eq!(
        warnings,
        ["unknown field \"foo\"", "unknown field \"metadata.bogus\""]
    );
    let (ignored, warnings) = decoded(object, FieldValidation::Ignore);
    assert_eq!((ignored.unwrap(), warnings.len()), (kept, 0));

    let repeated = br#"{"metadata":{"name":"s","name":"t"},"x":{"a":1,"a":2}}"#;
    let scanned = Scanned::of(repeated);
    assert_eq!(scanned.duplicates(&["x".to_owned()]), ["metadata.name"]);
    assert_eq!(scanned.position("x.a"), 4);
    assert!(Scanned::of(b"a: 1\na: 2\n").repeated.is_empty());
}

#[test]
fn server_side_apply_refuses_undeclared_fields_and_wrong_types_as_500() {
    let go = go_types::kind("", "Secret").unwrap();
    let config = json!({"apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": "s", "namespace": "team"}, "foo": "bar"});
    let error = check_apply(go, &config).unwrap_err();
    assert_eq!((error.code, error.reason), (500, ""));
    assert_eq!(
        error.message,
        "failed to create typed patch object (team/s; /v1, Kind=Secret): .foo: field not declared in schema"
    );
    let config = json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"},
        "stringData": {"port": 5432}, "immutable": "yes"});
    let error = check_apply(go, &config).unwrap_err();
    assert_eq!(
        error.message,
        "failed to create typed patch object (/s; /v1, Kind=Secret): errors:\n  \
         .immutable: expected boolean, got string\n  .stringData.port: expected string, got number"
    );
}
