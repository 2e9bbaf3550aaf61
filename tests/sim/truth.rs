//! Recorded truth: bodies a real kube-apiserver sends for the cases the console depends on,
//! written from its source (each fixture in `fixtures/` names it), and the simulated cluster
//! answering the same, field for field. Placeholders (`<uid>`, `<time>`) stand for what
//! differs between runs and are filled from the objects involved.

use serde_json::{Value, json};

use crate::support::Cluster;

fn fixture(name: &str) -> (u16, Value) {
    let path = format!("{}/tests/sim/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let fixture: Value = serde_json::from_str(&text).unwrap();
    (
        u16::try_from(fixture["code"].as_u64().unwrap()).unwrap(),
        fixture["body"].clone(),
    )
}

/// The fixture's body with its placeholders filled.
pub(crate) fn filled(body: &Value, fill: &[(&str, &str)]) -> Value {
    let mut text = body.to_string();
    for (placeholder, value) in fill {
        text = text.replace(placeholder, value);
    }
    serde_json::from_str(&text).unwrap()
}

#[tokio::test]
async fn the_simulated_api_server_answers_as_kube_apiserver_does() {
    let c = Cluster::start().await;
    c.namespace("team").await;
    let secrets = "/api/v1/namespaces/team/secrets";

    let (code, body) = c
        .raw(
            "GET",
            &format!("{secrets}/nope"),
            "application/json",
            json!(null),
        )
        .await;
    assert_eq!((code, body), fixture("not-found.json"));

    let (_, created) = c
        .raw(
            "POST",
            secrets,
            "application/json",
            json!({"metadata": {"name": "plain"}}),
        )
        .await;
    let uid = created["metadata"]["uid"].as_str().unwrap().to_owned();
    let (code, body) = c
        .raw(
            "DELETE",
            &format!("{secrets}/plain"),
            "application/json",
            json!({}),
        )
        .await;
    let (want_code, want) = fixture("delete-status.json");
    assert_eq!((code, body), (want_code, filled(&want, &[("<uid>", &uid)])));

    let apply = |value: &str| {
        json!({"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "edited"},
            "data": {"k": value}})
    };
    let path = format!("{secrets}/edited?fieldManager=console");
    let (code, _) = c
        .raw(
            "PATCH",
            &path,
            "application/apply-patch+yaml",
            apply("b25l"),
        )
        .await;
    assert_eq!(code, 201);
    let (code, edited) = c
        .raw(
            "PATCH",
            &format!("{secrets}/edited?fieldManager=kubectl-edit"),
            "application/merge-patch+json",
            json!({"data": {"k": "dHdv"}}),
        )
        .await;
    assert_eq!(code, 200);
    let time = edited["metadata"]["managedFields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["manager"] == "kubectl-edit")
        .and_then(|m| m["time"].as_str())
        .unwrap()
        .to_owned();
    let (code, body) = c
        .raw(
            "PATCH",
            &path,
            "application/apply-patch+yaml",
            apply("b25l"),
        )
        .await;
    let (want_code, want) = fixture("apply-conflict.json");
    assert_eq!(
        (code, body),
        (want_code, filled(&want, &[("<time>", &time)]))
    );
}
