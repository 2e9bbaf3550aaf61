//! What kube-apiserver does with a body that does not fit a built-in kind's Go struct (issue
//! 19, points 1 and 2; `src/sim/strict.rs`): a wrong type is 400 and nothing is stored; an
//! unknown or repeated field is refused under `fieldValidation=Strict`, dropped with a
//! `Warning` header under `Warn` (the default) and dropped silently under `Ignore`; patches
//! decode the patched object the same way; server-side apply fails on any undeclared field.

use k8s_openapi::api::core::v1::Secret;
use kube::api::{Api, ListParams};
use serde_json::{Value, json};

use crate::support::Cluster;

const SECRETS: &str = "/api/v1/namespaces/team/secrets";
const JSON: &str = "application/json";
const MERGE: &str = "application/merge-patch+json";

/// An answer: code, its `Warning` headers, and its body.
struct Answer {
    code: u16,
    warnings: Vec<String>,
    body: Value,
}

impl Answer {
    fn message(&self) -> &str {
        self.body["message"].as_str().unwrap_or_default()
    }
}

/// A raw request with the body exactly as given (key order matters to the decoder).
async fn send(c: &Cluster, method: &str, path: &str, content_type: &str, body: &str) -> Answer {
    let response = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(c.sim.ca_pem().as_bytes()).unwrap())
        .build()
        .unwrap()
        .request(
            reqwest::Method::from_bytes(method.as_bytes()).unwrap(),
            format!("{}{path}", c.cluster().url()),
        )
        .bearer_auth(c.sim.token())
        .header("Content-Type", content_type)
        .body(body.to_owned())
        .send()
        .await
        .expect("request sent");
    let warnings = response
        .headers()
        .get_all("warning")
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    Answer {
        code: response.status().as_u16(),
        warnings,
        body: response.json().await.unwrap_or(Value::Null),
    }
}

async fn get(c: &Cluster, path: &str) -> Answer {
    send(c, "GET", path, "", "").await
}

/// The 400 a body that does not decode gets, and nothing stored.
async fn refused(c: &Cluster, name: &str, body: &str, error: &str) {
    let answer = send(c, "POST", SECRETS, JSON, body).await;
    assert_eq!(
        (answer.code, answer.body["reason"].as_str()),
        (400, Some("BadRequest")),
        "{body}: {}",
        answer.body
    );
    assert_eq!(
        answer.message(),
        format!("Secret in version \"v1\" cannot be handled as a Secret: {error}"),
        "{body}"
    );
    let stored = get(c, &format!("{SECRETS}/{name}")).await;
    assert_eq!(stored.code, 404, "{body} stored: {}", stored.body);
}

/// A typed client can still list every Secret of the namespace.
async fn typed_list_works(c: &Cluster) {
    let secrets: Api<Secret> = Api::namespaced(c.client.clone(), "team");
    secrets
        .list(&ListParams::default())
        .await
        .expect("a typed list of the namespace's Secrets");
}

#[tokio::test]
async fn values_of_the_wrong_type_are_400_and_nothing_is_stored() {
    let c = Cluster::start().await;
    c.namespace("team").await;
    refused(
        &c,
        "db",
        r#"{"metadata":{"name":"db"},"stringData":{"port":5432,"enabled":true}}"#,
        "json: cannot unmarshal number into Go struct field Secret.stringData of type string",
    )
    .await;
    refused(
        &c,
        "d",
        r#"{"metadata":{"name":"d"},"data":[]}"#,
        "json: cannot unmarshal array into Go struct field Secret.data of type map[string][]uint8",
    )
    .await;
    refused(
        &c,
        "l",
        r#"{"metadata":{"name":"l","labels":"x"}}"#,
        "json: cannot unmarshal string into Go struct field ObjectMeta.metadata.labels of type \
         map[string]string",
    )
    .await;
    refused(
        &c,
        "t",
        r#"{"metadata":{"name":"t"},"type":5}"#,
        "json: cannot unmarshal number into Go struct field Secret.type of type v1.SecretType",
    )
    .await;
    // The value itself is never in the answer.
    refused(
        &c,
        "b",
        r#"{"metadata":{"name":"b"},"data":{"password":"hunter2!"}}"#,
        "illegal base64 data at input byte 7",
    )
    .await;

    // An update and a merge patch that would store a wrong type are refused too.
    let created = send(
        &c,
        "POST",
        SECRETS,
        JSON,
        r#"{"metadata":{"name":"s"},"stringData":{"k":"v"}}"#,
    )
    .await;
    assert_eq!(created.code, 201, "{}", created.body);
    let answer = send(
        &c,
        "PUT",
        &format!("{SECRETS}/s"),
        JSON,
        r#"{"metadata":{"name":"s"},"stringData":{"k":true}}"#,
    )
    .await;
    assert_eq!(answer.code, 400, "{}", answer.body);
    assert!(
        answer.message().ends_with(
            "cannot unmarshal bool into Go struct field Secret.stringData of type string"
        ),
        "{}",
        answer.message()
    );
    let answer = send(
        &c,
        "PATCH",
        &format!("{SECRETS}/s"),
        MERGE,
        r#"{"metadata":{"ownerReferences":[{"apiVersion":"v1","kind":"ConfigMap","name":"c","uid":"u","controller":"yes"}]}}"#,
    )
    .await;
    assert_eq!(
        (answer.code, answer.message()),
        (
            422,
            " \"\" is invalid: patch: Invalid value: json: cannot unmarshal string into Go struct \
             field OwnerReference.metadata.ownerReferences.controller of type bool"
        ),
        "{}",
        answer.body
    );
    let stored = get(&c, &format!("{SECRETS}/s")).await.body;
    assert_eq!(stored["data"], json!({"k": "dg=="}));
    assert!(
        stored["metadata"].get("ownerReferences").is_none(),
        "{stored}"
    );
    typed_list_works(&c).await;
}

#[tokio::test]
async fn unknown_fields_follow_field_validation_on_create_and_update() {
    let c = Cluster::start().await;
    c.namespace("team").await;
    let body = |name: &str| {
        format!(
            r#"{{"metadata":{{"name":"{name}","bogus":1}},"foo":"bar","stringData":{{"k":"v"}}}}"#
        )
    };
    // Strict (kubectl's default): refused, every unknown field named in the decoder's order.
    let answer = send(
        &c,
        "POST",
        &format!("{SECRETS}?fieldValidation=Strict"),
        JSON,
        &body("strict"),
    )
    .await;
    assert_eq!(
        (answer.code, answer.body["reason"].as_str()),
        (400, Some("BadRequest")),
        "{}",
        answer.body
    );
    assert_eq!(
        answer.message(),
        "Secret in version \"v1\" cannot be handled as a Secret: strict decoding error: \
         unknown field \"metadata.bogus\", unknown field \"foo\""
    );
    assert_eq!(get(&c, &format!("{SECRETS}/strict")).await.code, 404);

    // Warn (the default without the parameter): stored without them, a warning for each.
    let answer = send(&c, "POST", SECRETS, JSON, &body("warned")).await;
    assert_eq!(answer.code, 201, "{}", answer.body);
    assert_eq!(
        answer.warnings,
        [
            r#"299 - "unknown field \"metadata.bogus\"""#,
            r#"299 - "unknown field \"foo\"""#
        ]
    );
    let stored = get(&c, &format!("{SECRETS}/warned")).await.body;
    assert!(
        stored.get("foo").is_none() && stored["metadata"].get("bogus").is_none(),
        "{stored}"
    );
    assert_eq!(stored["data"], json!({"k": "dg=="}));

    // Ignore: stored without them, nothing said.
    let answer = send(
        &c,
        "POST",
        &format!("{SECRETS}?fieldValidation=Ignore"),
        JSON,
        &body("ignored"),
    )
    .await;
    assert_eq!(
        (answer.code, answer.warnings.len()),
        (201, 0),
        "{}",
        answer.body
    );
    assert!(answer.body.get("foo").is_none(), "{}", answer.body);

    // A field sent twice is a strict error too.
    let answer = send(
        &c,
        "POST",
        &format!("{SECRETS}?fieldValidation=Strict"),
        JSON,
        r#"{"metadata":{"name":"twice","name":"twice"}}"#,
    )
    .await;
    assert_eq!(answer.code, 400, "{}", answer.body);
    assert!(
        answer
            .message()
            .ends_with(r#"strict decoding error: duplicate field "metadata.name""#),
        "{}",
        answer.message()
    );

    // An update, and a Namespace's spec.
    let put = format!("{SECRETS}/warned?fieldValidation=Strict");
    let answer = send(&c, "PUT", &put, JSON, &body("warned")).await;
    assert_eq!(answer.code, 400, "{}", answer.body);
    let answer = send(
        &c,
        "PUT",
        &format!("{SECRETS}/warned"),
        JSON,
        &body("warned"),
    )
    .await;
    assert_eq!(
        (answer.code, answer.warnings.len()),
        (200, 2),
        "{}",
        answer.body
    );
    let answer = send(
        &c,
        "POST",
        "/api/v1/namespaces?fieldValidation=Strict",
        JSON,
        r#"{"metadata":{"name":"ns"},"spec":{"bogus":true}}"#,
    )
    .await;
    assert_eq!(
        (answer.code, answer.message()),
        (
            400,
            "Namespace in version \"v1\" cannot be handled as a Namespace: strict decoding \
             error: unknown field \"spec.bogus\""
        )
    );
    typed_list_works(&c).await;
}

#[tokio::test]
async fn patches_and_server_side_apply_decode_as_kube_apiserver_does() {
    let c = Cluster::start().await;
    c.namespace("team").await;
    let created = send(
        &c,
        "POST",
        SECRETS,
        JSON,
        r#"{"metadata":{"name":"s"},"stringData":{"k":"v"}}"#,
    )
    .await;
    assert_eq!(created.code, 201, "{}", created.body);
    let secret = format!("{SECRETS}/s");

    // A merge patch adding an unknown field: 422 under Strict, dropped with a warning under Warn.
    let patch = r#"{"foo":"bar","metadata":{"labels":{"a":"b"}}}"#;
    let answer = send(
        &c,
        "PATCH",
        &format!("{secret}?fieldValidation=Strict"),
        MERGE,
        patch,
    )
    .await;
    assert_eq!(
        (answer.code, answer.message()),
        (
            422,
            r#" "" is invalid: patch: Invalid value: strict decoding error: unknown field "foo""#
        ),
        "{}",
        answer.body
    );
    assert_eq!(answer.body["details"]["causes"][0]["field"], "patch");
    let answer = send(&c, "PATCH", &secret, MERGE, patch).await;
    assert_eq!(answer.code, 200, "{}", answer.body);
    assert_eq!(answer.warnings, [r#"299 - "unknown field \"foo\"""#]);
    assert!(answer.body.get("foo").is_none(), "{}", answer.body);
    assert_eq!(answer.body["metadata"]["labels"], json!({"a": "b"}));
    // A JSON patch operation with a field jsonPatchOp does not have.
    let answer = send(
        &c,
        "PATCH",
        &format!("{secret}?fieldValidation=Strict"),
        "application/json-patch+json",
        r#"[{"op":"add","path":"/metadata/labels/c","value":"d","extra":1}]"#,
    )
    .await;
    assert_eq!(answer.code, 422, "{}", answer.body);
    assert!(
        answer
            .message()
            .ends_with(r#"strict decoding error: json patch unknown field "[0].extra""#),
        "{}",
        answer.message()
    );

    // Server-side apply converts the configuration to its typed form: an undeclared field fails
    // whatever fieldValidation says, with kube-apiserver's 500 and no reason.
    let apply = r#"{"apiVersion":"v1","kind":"Secret","metadata":{"name":"applied","namespace":"team"},"foo":"bar"}"#;
    let answer = send(
        &c,
        "PATCH",
        &format!("{SECRETS}/applied?fieldManager=test&fieldValidation=Ignore"),
        "application/apply-patch+yaml",
        apply,
    )
    .await;
    assert_eq!(answer.code, 500, "{}", answer.body);
    assert!(answer.body.get("reason").is_none(), "{}", answer.body);
    assert_eq!(
        answer.message(),
        "failed to create typed patch object (team/applied; /v1, Kind=Secret): .foo: field not \
         declared in schema"
    );
    assert_eq!(get(&c, &format!("{SECRETS}/applied")).await.code, 404);
    typed_list_works(&c).await;
}
