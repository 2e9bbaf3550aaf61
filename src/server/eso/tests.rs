//! Tests of `server::eso`: the hand-written schema against the real CRD, the round trip of the
//! documentation corpus (`tests/fixtures/eso-corpus`), and errors that name their paths.

use serde_json::{Value, json};

use super::*;
use crate::domain::validation::validate_refresh_interval;
use crate::server::cluster::manifest::tests::real_crd;
use crate::server::cluster::manifest::{LABEL_MANAGED_BY, external_secret_yaml};
use crate::sim::schema::Schema;

fn without_descriptions(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .filter(|(k, _)| k.as_str() != "description")
                .map(|(k, v)| (k.clone(), without_descriptions(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(without_descriptions).collect()),
        other => other.clone(),
    }
}

#[test]
fn the_hand_written_spec_schema_is_the_real_crds_field_for_field() {
    let Some(real) = real_crd("v1") else {
        return;
    };
    assert_eq!(
        crd::spec(),
        without_descriptions(&real["properties"]["spec"])
    );
}

fn corpus() -> Vec<(String, String)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/eso-corpus");
    let mut files: Vec<(String, String)> = std::fs::read_dir(&dir)
        .expect("corpus directory")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "yaml"))
        .map(|path| {
            let name = path
                .file_name()
                .expect("name")
                .to_string_lossy()
                .into_owned();
            (name, std::fs::read_to_string(&path).expect("readable"))
        })
        .collect();
    files.sort();
    files
}

fn placement(name: &str) -> Placement {
    Placement {
        secret_id: 7,
        assignment_id: 42,
        scope: Scope::Project,
        name: name.to_owned(),
        namespace: "payments".into(),
    }
}

/// What a cluster would store for `manifest` had the console applied it as written, with the
/// console's documented choices made: v1, the CRD's defaults filled, a ClusterSecretStore, the
/// target named after the secret, every strategy and policy pinned, the interval as Go prints
/// it, empty template metadata dropped and the console's labels added to a template's.
fn canonicalised(manifest: &str, real: &Schema, labels: &Value) -> Value {
    let mut object: Value = serde_saphyr::from_str(manifest).expect("corpus YAML parses");
    object["apiVersion"] = json!("external-secrets.io/v1");
    real.prune(&mut object);
    real.apply_defaults(&mut object);
    let name = object["metadata"]["name"].clone();
    let spec = &mut object["spec"];
    spec["secretStoreRef"]["kind"] = json!("ClusterSecretStore");
    spec["target"]["name"] = name;
    if spec.get("refreshPolicy").is_none() {
        spec["refreshPolicy"] = json!("Periodic");
    }
    let interval = spec["refreshInterval"]
        .as_str()
        .expect("defaulted")
        .to_owned();
    spec["refreshInterval"] = json!(validate_refresh_interval(&interval).expect("valid"));
    let pin = |reference: &mut Value, with_metadata: bool| {
        let mut defaults = vec![
            ("conversionStrategy", "Default"),
            ("decodingStrategy", "None"),
            ("nullBytePolicy", "Ignore"),
        ];
        if with_metadata {
            defaults.push(("metadataPolicy", "None"));
        }
        for (field, value) in defaults {
            if reference.get(field).is_none() {
                reference[field] = json!(value);
            }
        }
    };
    for item in spec
        .get_mut("data")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
    {
        pin(&mut item["remoteRef"], true);
    }
    for item in spec
        .get_mut("dataFrom")
        .and_then(Value::as_array_mut)
        .into_iter()
        .flatten()
    {
        if item.get("extract").is_some() {
            pin(&mut item["extract"], true);
        }
        if item.get("find").is_some() {
            pin(&mut item["find"], false);
        }
    }
    if let Some(template) = spec["target"].get_mut("template") {
        let metadata = template
            .as_object_mut()
            .expect("object")
            .entry("metadata")
            .or_insert_with(|| json!({}));
        let map = metadata.as_object_mut().expect("object");
        map.retain(|_, v| v.as_object().is_none_or(|m| !m.is_empty()));
        map.retain(|_, v| v.as_array().is_none_or(|a| !a.is_empty()));
        let mut merged = map.get("labels").cloned().unwrap_or_else(|| json!({}));
        merged
            .as_object_mut()
            .expect("object")
            .extend(labels.as_object().expect("object").clone());
        map.insert("labels".into(), merged);
    }
    object
}

#[test]
fn every_corpus_manifest_round_trips_to_its_canonical_form_and_the_real_crd_accepts_it() {
    let corpus = corpus();
    assert!(
        corpus.len() >= 20,
        "the corpus has {} manifests",
        corpus.len()
    );
    let real = real_crd("v1").map(Schema::new);
    for (file, text) in corpus {
        let parsed = parse_external_secret(&text)
            .unwrap_or_else(|errors| panic!("{file}: refused: {errors:?}"));
        // Stored as JSON (the `secrets.spec` column) and read back.
        let stored = serde_json::to_string(&parsed.spec).expect("serializes");
        let spec: ExternalSpec = serde_json::from_str(&stored).expect("deserializes");
        assert_eq!(spec, parsed.spec, "{file}: the stored spec reads back");
        let Manifest(out) = external_secret(&placement(&parsed.name), &spec, UseCase::Generic);
        // YAML out, read in again: the same spec (the console's own output is stable).
        let yaml = external_secret_yaml(&placement(&parsed.name), &spec, UseCase::Generic);
        let again = parse_external_secret(&yaml)
            .unwrap_or_else(|errors| panic!("{file}: its YAML out is refused: {errors:?}"));
        assert_eq!(
            again.spec, spec,
            "{file}: YAML out reads back as the same spec"
        );
        // Only its namespace (the project's) is not kept: nothing else to explain.
        assert_eq!(again.notes.len(), 1, "{file}: {:?}", again.notes);
        assert!(again.notes[0].starts_with("metadata.namespace"), "{file}");
        let Some(real) = &real else {
            continue;
        };
        assert_eq!(
            real.validate(&out),
            vec![],
            "{file}: the real CRD accepts it"
        );
        let mut stored = out.clone();
        real.prune(&mut stored);
        real.apply_defaults(&mut stored);
        assert_eq!(stored, out, "{file}: nothing pruned, nothing defaulted");
        let expected = canonicalised(&text, real, &out["metadata"]["labels"]);
        assert_eq!(
            out["spec"], expected["spec"],
            "{file}: a field was lost or changed"
        );
    }
}

fn errors_of(manifest: &str) -> Vec<String> {
    parse_external_secret(manifest)
        .expect_err("refused")
        .into_iter()
        .map(|e| e.field)
        .collect()
}

const HEAD: &str =
    "apiVersion: external-secrets.io/v1\nkind: ExternalSecret\nmetadata:\n  name: db\n";

#[test]
fn schema_errors_name_their_path() {
    let missing_key = format!(
        "{HEAD}spec:\n  secretStoreRef: {{name: vault, kind: ClusterSecretStore}}\n  \
         dataFrom:\n  - extract: {{property: x}}\n"
    );
    assert_eq!(errors_of(&missing_key), ["spec.dataFrom[0].extract.key"]);
    let bad_policy = format!(
        "{HEAD}spec:\n  secretStoreRef: {{name: vault}}\n  target: {{creationPolicy: Sometimes}}\n  \
         data: [{{secretKey: a, remoteRef: {{key: b}}}}]\n"
    );
    assert_eq!(errors_of(&bad_policy), ["spec.target.creationPolicy"]);
    // The IBM doc example's stray `secretKey` under dataFrom.
    let unknown = format!(
        "{HEAD}spec:\n  secretStoreRef: {{name: vault}}\n  \
         dataFrom:\n  - extract: {{key: a}}\n    secretKey: username\n"
    );
    assert_eq!(errors_of(&unknown), ["spec.dataFrom[0].secretKey"]);
    let bad_remote = format!(
        "{HEAD}spec:\n  secretStoreRef: {{name: vault}}\n  data: [{{secretKey: a, remoteRef: {{key: 'x//y'}}}}]\n"
    );
    assert_eq!(errors_of(&bad_remote), ["spec.data[0].remoteRef.key"]);
    let bad_template = format!(
        "{HEAD}spec:\n  secretStoreRef: {{name: vault}}\n  data: [{{secretKey: a, remoteRef: {{key: b}}}}]\n  \
         target: {{template: {{engineVersion: v1}}}}\n"
    );
    assert_eq!(
        errors_of(&bad_template),
        ["spec.target.template.engineVersion"]
    );
}

#[test]
fn another_kind_is_refused_without_echoing_it() {
    let secret =
        "apiVersion: v1\nkind: Secret\nmetadata: {name: x}\nstringData: {password: canary-1}\n";
    let errors = parse_external_secret(secret).expect_err("refused");
    assert_eq!(errors[0].field, "kind");
    assert!(!format!("{errors:?}").contains("canary"));
    let broken = "apiVersion: v1\nkind: Secret\nstringData: {password: \"canary-2\n";
    let errors = parse_external_secret(broken).expect_err("refused");
    assert_eq!(errors[0].field, "manifest");
    assert!(!format!("{errors:?}").contains("canary"), "{errors:?}");
}

#[test]
fn console_owned_fields_are_explained_and_the_namespace_is_not_kept() {
    let manifest = "apiVersion: external-secrets.io/v1beta1\nkind: ExternalSecret\nmetadata:\n  name: db\n  \
         namespace: elsewhere\n  labels: {team: a}\nspec:\n  secretStoreRef: {name: vault, kind: SecretStore}\n  \
         target: {name: other}\n  data: [{secretKey: a, remoteRef: {key: b}}]\n";
    let parsed = parse_external_secret(manifest).expect("accepted");
    assert_eq!(parsed.name, "db");
    assert_eq!(parsed.spec.store, "vault");
    let notes = parsed.notes.join("\n");
    for expected in [
        "v1beta1",
        "namespace",
        "labels",
        "SecretStore",
        "target.name",
    ] {
        assert!(notes.contains(expected), "{expected} in {notes}");
    }
    let Manifest(out) = external_secret(&placement("db"), &parsed.spec, UseCase::Generic);
    assert_eq!(out["metadata"]["namespace"], "payments");
    assert_eq!(
        out["metadata"]["labels"][LABEL_MANAGED_BY],
        "secrets-console"
    );
    assert_eq!(out["spec"]["secretStoreRef"]["kind"], "ClusterSecretStore");
}

#[test]
fn check_spec_refuses_what_the_crd_refuses_in_a_spec_sent_as_json() {
    let mut spec: ExternalSpec = serde_json::from_value(json!({
        "store": "vault", "refresh_interval": "1h0m0s",
        "data": [{"secret_key": "a", "remote_key": "b", "property": null, "version": null}],
    }))
    .expect("an old stored spec still reads");
    assert_eq!(check_spec(&spec, UseCase::Generic), vec![]);
    spec.data_from = vec![crate::model::external::ExternalDataFrom {
        rewrite: vec![json!({"regexp": {"source": "a"}})],
        extract: Some(crate::model::external::ExternalExtract {
            key: "shared/postgres".into(),
            ..Default::default()
        }),
        ..Default::default()
    }];
    let fields: Vec<String> = check_spec(&spec, UseCase::Generic)
        .into_iter()
        .map(|e| e.field)
        .collect();
    assert_eq!(fields, ["spec.dataFrom[0].rewrite[0].regexp.target"]);
}

#[test]
fn a_spec_written_for_the_yaml_tab_reads_back_the_same_for_every_corpus_manifest() {
    for (file, manifest) in corpus() {
        let Ok(read) = parse_external_secret(&manifest) else {
            continue;
        };
        let yaml = authoring_yaml(&read.name, &read.spec);
        assert!(
            !yaml.contains("namespace:") && !yaml.contains(LABEL_MANAGED_BY),
            "{file}: the console's fields are left out:\n{yaml}"
        );
        let again = parse_external_secret(&yaml)
            .unwrap_or_else(|errors| panic!("{file}: {errors:?}\n{yaml}"));
        assert_eq!((again.name, again.spec), (read.name, read.spec), "{file}");
        assert!(again.notes.is_empty(), "{file}: {:?}", again.notes);
    }
}
