//! The objects the console applies for an assignment: an ExternalSecret in canonical, fully
//! defaulted form (so a GitOps tool comparing it with the cluster sees no drift, and ESO is not
//! made to re-sync by churned metadata), or a Kubernetes Secret carrying the decrypted values.
//! Every object carries our labels so it can be found, watched and told apart from objects we
//! do not own.

use base64::Engine;
use serde_json::{Value, json};

mod eso_fields;

use crate::domain::validation::DOCKER_CONFIG_JSON_TYPE;
use crate::model::secret::{ExternalSpec, KubernetesSpec, Scope, SecretValues, UseCase};

/// The one field manager every write of ours uses.
pub const FIELD_MANAGER: &str = "secrets-console";
/// `app.kubernetes.io/managed-by`.
pub const LABEL_MANAGED_BY: &str = "app.kubernetes.io/managed-by";
/// Our value of `app.kubernetes.io/managed-by`.
pub const MANAGED_BY: &str = "secrets-console";
/// The secret's id.
pub const LABEL_SECRET_ID: &str = "secrets-console.io/secret-id";
/// The assignment's id.
pub const LABEL_ASSIGNMENT_ID: &str = "secrets-console.io/assignment-id";
/// `organization` or `project`.
pub const LABEL_SCOPE: &str = "secrets-console.io/scope";
/// The keyed fingerprint of the values we wrote into a Kubernetes Secret (never the values).
pub const ANNOTATION_FINGERPRINT: &str = "secrets-console.io/fingerprint";
/// The selector that finds every object we own.
pub const OWNED_SELECTOR: &str = "app.kubernetes.io/managed-by=secrets-console";

/// Which assignment an object is for, and where it goes.
#[derive(Debug, Clone)]
pub struct Placement {
    /// The secret's id.
    pub secret_id: i64,
    /// The assignment's id.
    pub assignment_id: i64,
    /// The secret's scope.
    pub scope: Scope,
    /// The object's name (the secret's name).
    pub name: String,
    /// The project's namespace.
    pub namespace: String,
}

impl Placement {
    fn metadata(&self) -> Value {
        let scope = match self.scope {
            Scope::Organization => "organization",
            Scope::Project => "project",
        };
        json!({
            "name": self.name,
            "namespace": self.namespace,
            "labels": {
                LABEL_MANAGED_BY: MANAGED_BY,
                LABEL_SECRET_ID: self.secret_id.to_string(),
                LABEL_ASSIGNMENT_ID: self.assignment_id.to_string(),
                LABEL_SCOPE: scope,
            },
        })
    }
}

/// An object to apply. `Debug` never shows its content (a Secret's carries values).
#[derive(Clone, PartialEq)]
pub struct Manifest(pub Value);

impl std::fmt::Debug for Manifest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Manifest({} {})",
            self.0["kind"].as_str().unwrap_or("?"),
            self.0["metadata"]["name"].as_str().unwrap_or("?")
        )
    }
}

/// The Secret type the target must have for a use case, if not ESO's default. Without
/// `target.template.type`, ESO creates the Secret with no type ("set the secret type if it is
/// defined in the template, otherwise keep the existing type", `ApplyTemplate` in
/// pkg/controllers/externalsecret/externalsecret_controller_template.go) and the API server
/// makes it Opaque; kubelet reads image pull secrets only of the dockerconfigjson and
/// dockercfg types.
pub fn target_type(use_case: UseCase) -> Option<&'static str> {
    (use_case == UseCase::ImagePullSecret).then_some(DOCKER_CONFIG_JSON_TYPE)
}

/// The ExternalSecret for an External secret, in canonical form: every field the v1 schema
/// defaults is pinned, the strategies and policies ESO would assume are written out (see
/// [`eso_fields`]), and the CRD's defaults inside raw parts (`rewrite`, `sourceRef`,
/// `templateFrom`) are filled, so a cluster stores exactly this. A use case whose Secret needs a
/// type gets a template carrying it; a template replaces the ExternalSecret's labels on the
/// target with its own (`setMetadata` in ESO's
/// pkg/controllers/externalsecret/externalsecret_controller_template.go), so it carries ours
/// too, or the target would fall out of the console's label-selected watch.
pub fn external_secret(placement: &Placement, spec: &ExternalSpec, use_case: UseCase) -> Manifest {
    let metadata = placement.metadata();
    let target = eso_fields::target(
        &placement.name,
        &spec.target,
        target_type(use_case),
        &metadata["labels"],
    );
    let mut body = json!({
        "refreshInterval": spec.refresh_interval,
        "refreshPolicy": spec.refresh_policy.as_str(),
        "secretStoreRef": {"kind": "ClusterSecretStore", "name": spec.store},
        "target": target,
    });
    // Empty lists are left out, as a cluster would keep them if written: a spec with only
    // dataFrom has no `data`, and one with only data (every spec before dataFrom) no `dataFrom`.
    if !spec.data.is_empty() {
        body["data"] = spec.data.iter().map(eso_fields::data_entry).collect();
    }
    if !spec.data_from.is_empty() {
        body["dataFrom"] = spec.data_from.iter().map(eso_fields::data_from).collect();
    }
    if let Some(windows) = &spec.sync_windows {
        body["syncWindows"] = windows.clone();
    }
    let mut object = json!({
        "apiVersion": "external-secrets.io/v1",
        "kind": "ExternalSecret",
        "metadata": metadata,
        "spec": body,
    });
    crate::server::eso::crd::external_secret_v1().apply_defaults(&mut object);
    Manifest(object)
}

/// The canonical ExternalSecret of [`external_secret`] as YAML, for the secret page's "YAML
/// out" view and its GitOps download: exactly the object applied (an ExternalSecret holds no
/// values, only where they are read from). Keys are in sorted order, as `kubectl get -o yaml`
/// prints them.
pub fn external_secret_yaml(
    placement: &Placement,
    spec: &ExternalSpec,
    use_case: UseCase,
) -> String {
    let Manifest(object) = external_secret(placement, spec, use_case);
    manifest_yaml(&object)
}

/// Any object as YAML (the form's preview and the YAML-out view).
pub fn manifest_yaml(object: &Value) -> String {
    serde_saphyr::to_string(object).unwrap_or_default()
}

/// The Secret for a Kubernetes secret, with its values and their keyed fingerprint.
pub fn kubernetes_secret(
    placement: &Placement,
    spec: &KubernetesSpec,
    values: &SecretValues,
    fingerprint: &str,
) -> Manifest {
    let engine = base64::engine::general_purpose::STANDARD;
    let data: serde_json::Map<String, Value> = values
        .iter()
        .map(|(key, value)| (key.to_owned(), json!(engine.encode(value))))
        .collect();
    let mut metadata = placement.metadata();
    metadata["annotations"] = json!({ANNOTATION_FINGERPRINT: fingerprint});
    Manifest(json!({
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": metadata,
        "type": spec.secret_type,
        "data": data,
    }))
}

/// What the form's preview shows: exactly the object that would be applied in `namespace`,
/// except that ids not yet assigned are placeholders and values are masked.
pub fn preview(input: &crate::model::secret::CreateSecretInput, namespace: &str) -> String {
    let placement = Placement {
        secret_id: 0,
        assignment_id: 0,
        scope: input.scope,
        name: input.name.clone(),
        namespace: namespace.to_owned(),
    };
    let Manifest(mut object) = match &input.spec {
        crate::model::secret::SecretSpec::External(spec) => {
            external_secret(&placement, spec, input.use_case)
        }
        crate::model::secret::SecretSpec::Kubernetes(spec) => {
            let masked = SecretValues::from_pairs(
                input.values.keys().map(|k| (k.to_owned(), String::new())),
            );
            let mut manifest = kubernetes_secret(&placement, spec, &masked, "<computed on save>");
            for (key, value) in input.values.iter() {
                manifest.0["data"][key] = json!(format!("<hidden: {} bytes>", value.len()));
            }
            manifest
        }
    };
    for label in [LABEL_SECRET_ID, LABEL_ASSIGNMENT_ID] {
        object["metadata"]["labels"][label] = json!("<assigned on save>");
    }
    serde_json::to_string_pretty(&object).unwrap_or_default()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::model::secret::ExternalDataEntry;
    use crate::sim::schema::Schema;

    fn placement() -> Placement {
        Placement {
            secret_id: 7,
            assignment_id: 42,
            scope: Scope::Organization,
            name: "postgres-credentials".into(),
            namespace: "payments".into(),
        }
    }

    fn spec() -> ExternalSpec {
        ExternalSpec {
            store: "vault".into(),
            refresh_interval: "1h0m0s".into(),
            data: vec![
                ExternalDataEntry {
                    secret_key: "username".into(),
                    remote_key: "shared/postgres".into(),
                    property: Some("username".into()),
                    version: None,
                    ..Default::default()
                },
                ExternalDataEntry {
                    secret_key: "password".into(),
                    remote_key: "shared/postgres/password".into(),
                    property: None,
                    version: Some("v2".into()),
                    ..Default::default()
                },
            ],
            ..Default::default()
        }
    }

    /// A version's `openAPIV3Schema` of the real ExternalSecret CRD in `../shared/crds` (test
    /// data), or `None` with `SECRETS_CONSOLE_SKIP_CRD_TESTS=1`.
    pub(crate) fn real_crd(version: &str) -> Option<Value> {
        if std::env::var("SECRETS_CONSOLE_SKIP_CRD_TESTS").as_deref() == Ok("1") {
            return None;
        }
        let candidates = [
            std::env::var_os("SECRETS_CONSOLE_ESO_CRDS").map(std::path::PathBuf::from),
            Some(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/crds")),
            Some("/work/shared/crds".into()),
        ];
        let dir = candidates
            .iter()
            .flatten()
            .find(|d| d.is_dir())
            .unwrap_or_else(|| panic!("the real ESO CRDs are not in {candidates:?}"));
        let text = std::fs::read_to_string(dir.join("external-secrets.io_externalsecrets.yaml"))
            .expect("CRD readable");
        let crd: Value = serde_saphyr::from_str(&text).expect("CRD parses");
        let found = crd["spec"]["versions"]
            .as_array()
            .and_then(|v| v.iter().find(|v| v["name"] == version))
            .expect("version present");
        Some(found["schema"]["openAPIV3Schema"].clone())
    }

    /// The real ExternalSecret v1 schema from `../shared/crds` (test data).
    fn real_schema() -> Option<Schema> {
        real_crd("v1").map(Schema::new)
    }

    #[test]
    fn external_secret_validates_against_the_real_crd_and_pins_every_default() {
        let Some(schema) = real_schema() else {
            return;
        };
        let Manifest(written) = external_secret(&placement(), &spec(), UseCase::Generic);
        assert_eq!(schema.validate(&written), vec![]);
        // Pruning drops nothing (every field is in the schema) and defaulting adds nothing
        // (every defaulted field is pinned): what the cluster stores is what we wrote.
        let mut stored = written.clone();
        schema.prune(&mut stored);
        schema.apply_defaults(&mut stored);
        assert_eq!(stored, written);
    }

    #[test]
    fn an_image_pull_secret_asks_eso_for_the_dockerconfigjson_type_as_the_crd_allows() {
        let mut spec = spec();
        spec.data = vec![ExternalDataEntry {
            secret_key: ".dockerconfigjson".into(),
            remote_key: "shared/registry/dockerconfigjson".into(),
            property: None,
            version: None,
            ..Default::default()
        }];
        let Manifest(written) = external_secret(&placement(), &spec, UseCase::ImagePullSecret);
        let template = &written["spec"]["target"]["template"];
        assert_eq!(template["type"], "kubernetes.io/dockerconfigjson");
        // The target keeps our labels (a template replaces the ExternalSecret's).
        assert_eq!(
            template["metadata"]["labels"],
            written["metadata"]["labels"]
        );
        let Manifest(generic) = external_secret(&placement(), &spec, UseCase::Generic);
        assert!(generic["spec"]["target"].get("template").is_none());
        if let Some(schema) = real_schema() {
            assert_eq!(schema.validate(&written), vec![]);
            let mut stored = written.clone();
            schema.prune(&mut stored);
            schema.apply_defaults(&mut stored);
            assert_eq!(
                stored, written,
                "canonical: nothing pruned, nothing defaulted"
            );
        }
    }

    #[test]
    fn objects_carry_our_labels() {
        let Manifest(es) = external_secret(&placement(), &spec(), UseCase::Generic);
        let labels = &es["metadata"]["labels"];
        assert_eq!(labels[LABEL_MANAGED_BY], "secrets-console");
        assert_eq!(labels[LABEL_SECRET_ID], "7");
        assert_eq!(labels[LABEL_ASSIGNMENT_ID], "42");
        assert_eq!(labels[LABEL_SCOPE], "organization");
        assert_eq!(es["spec"]["data"][0]["remoteRef"]["property"], "username");
        assert!(es["spec"]["data"][0]["remoteRef"].get("version").is_none());
    }

    #[test]
    fn kubernetes_secret_debug_never_shows_values() {
        let values =
            SecretValues::from_pairs([("API_KEY".to_owned(), "canary-value-123".to_owned())]);
        let spec = KubernetesSpec {
            secret_type: "Opaque".into(),
            keys: vec!["API_KEY".into()],
        };
        let manifest = kubernetes_secret(&placement(), &spec, &values, "f1ng3rpr1nt");
        assert_eq!(manifest.0["data"]["API_KEY"], "Y2FuYXJ5LXZhbHVlLTEyMw==");
        assert_eq!(
            manifest.0["metadata"]["annotations"][ANNOTATION_FINGERPRINT],
            "f1ng3rpr1nt"
        );
        let shown = format!("{manifest:?}");
        assert!(
            !shown.contains("canary") && !shown.contains("Y2FuYXJ5"),
            "{shown}"
        );
    }

    mod properties {
        use proptest::prelude::*;

        use super::*;
        use crate::domain::validation::{validate_refresh_interval, validate_spec};
        use crate::model::secret::{SecretSpec, UseCase};

        fn arb_external() -> impl Strategy<Value = ExternalSpec> {
            let entry = (
                "[A-Za-z0-9._-]{1,24}",
                "[A-Za-z0-9/_.:@-]{1,40}",
                proptest::option::of("[A-Za-z0-9._-]{0,16}"),
                proptest::option::of("[A-Za-z0-9._-]{0,8}"),
            )
                .prop_map(|(secret_key, remote_key, property, version)| {
                    ExternalDataEntry {
                        secret_key,
                        remote_key,
                        property,
                        version,
                        ..Default::default()
                    }
                });
            (
                "[a-z0-9]([-a-z0-9]{0,20}[a-z0-9])?",
                "(0|[1-9][0-9]{0,3}(h|m|s)|1h30m|90s|24h)",
                proptest::collection::vec(entry, 1..5),
            )
                .prop_map(|(store, refresh, data)| ExternalSpec {
                    store,
                    refresh_interval: validate_refresh_interval(&refresh).unwrap_or(refresh),
                    data,
                    ..Default::default()
                })
        }

        fn placement_named(name: String, namespace: String) -> Placement {
            Placement {
                name,
                namespace,
                ..placement()
            }
        }

        proptest! {
            #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

            /// Whatever the form accepts, the cluster accepts, and stores exactly as written.
            #[test]
            fn every_accepted_external_spec_is_a_valid_externalsecret_stored_as_written(
                spec in arb_external(),
                name in "[a-z0-9]([-a-z0-9]{0,30}[a-z0-9])?",
                namespace in "[a-z0-9]([-a-z0-9]{0,20}[a-z0-9])?",
            ) {
                prop_assume!(validate_spec(UseCase::Generic, &SecretSpec::External(spec.clone())).is_ok());
                let Some(schema) = real_schema() else {
                    return Ok(());
                };
                let Manifest(written) = external_secret(&placement_named(name, namespace), &spec, UseCase::Generic);
                prop_assert_eq!(schema.validate(&written), vec![]);
                let mut stored = written.clone();
                schema.prune(&mut stored);
                schema.apply_defaults(&mut stored);
                prop_assert_eq!(stored, written);
            }

            /// Whatever key names and type the form accepts, the API server admits as a Secret.
            #[test]
            fn every_accepted_kubernetes_spec_is_a_secret_the_api_server_admits(
                keys in proptest::collection::btree_set("[A-Za-z0-9._-]{1,24}", 1..6),
                secret_type in prop_oneof![
                    Just("Opaque".to_owned()),
                    Just("kubernetes.io/basic-auth".to_owned()),
                    Just("kubernetes.io/tls".to_owned()),
                    "example.com/[a-z]{1,10}",
                ],
                name in "[a-z0-9]([-a-z0-9]{0,30}[a-z0-9])?",
            ) {
                let spec = KubernetesSpec { secret_type, keys: keys.into_iter().collect() };
                prop_assume!(validate_spec(UseCase::Generic, &SecretSpec::Kubernetes(spec.clone())).is_ok());
                let values = SecretValues::from_pairs(
                    spec.keys.iter().map(|k| (k.clone(), "canary-value".to_owned())),
                );
                let Manifest(mut object) =
                    kubernetes_secret(&placement_named(name, "payments".into()), &spec, &values, "f");
                let secret_type = crate::sim::resources::by_kind("", "Secret").expect("Secret kind");
                let errors = crate::sim::kinds::admit(
                    &crate::sim::resources::TYPES[secret_type],
                    &mut object,
                    None,
                );
                prop_assert!(errors.is_empty(), "{:?}", errors);
            }
        }
    }
}
