//! The objects in a namespace the console does not manage, and what "Manage with the console"
//! takes from one: a Secret's type and values (read once, never shown), or an ExternalSecret's
//! spec as the console's model holds it.
//!
//! Never listed: service-account tokens, Helm release records and bootstrap tokens (by type),
//! protected names (the caller's `--protected-names`), Secrets an ExternalSecret owns (they come
//! with it), and objects an assignment of the project owns. An object that cannot be taken as
//! it is (a name the console cannot hold, a field its model cannot hold yet, another
//! controller's Secret) is listed with the reason instead of a button.
//!
//! One LIST per kind when an admin opens the tab, not a watch-fed cache: the watches follow
//! only the console's own objects, and this list is for admins, on demand.

use std::collections::BTreeSet;

use base64::Engine;
use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, ListParams};
use serde_json::{Value, json};

use crate::domain::validation::validate_secret_name;
use crate::model::secret::{ExternalSpec, SecretValues, UseCase};
use crate::model::unmanaged::{ObjectKind, UnmanagedObject};

use super::manifest::{
    self, LABEL_ASSIGNMENT_ID, LABEL_MANAGED_BY, MANAGED_BY, Manifest, Placement,
};
use crate::server::eso::parse_external_secret;

/// Secret types that belong to Kubernetes or another tool, never listed.
const NEVER_LISTED_TYPES: [&str; 3] = [
    "kubernetes.io/service-account-token",
    "helm.sh/release.v1",
    "bootstrap.kubernetes.io/token",
];

/// What a namespace holds of the two kinds.
#[derive(Debug, Default)]
pub struct Found {
    /// Its Secrets.
    pub secrets: Vec<DynamicObject>,
    /// Its ExternalSecrets (none when the cluster does not serve the kind).
    pub external_secrets: Vec<DynamicObject>,
}

/// What the console may know of the project when it sorts the objects.
pub struct Known<'a> {
    /// The ids of the project's assignments (`secrets-console.io/assignment-id` values).
    pub assignments: &'a BTreeSet<String>,
    /// The names of the console's secrets that land an object in the namespace.
    pub console_names: &'a BTreeSet<String>,
    /// Whether a name is protected (`--protected-names`).
    pub protected: &'a (dyn Fn(&str) -> bool + Sync),
}

/// What "Manage with the console" takes from an object.
pub enum Existing {
    /// A Secret's type and values.
    Secret {
        /// Its `type`.
        secret_type: String,
        /// Its values (never shown, logged or audited).
        values: SecretValues,
    },
    /// An ExternalSecret's spec, as the console's model holds it.
    External(Box<ExternalSpec>),
}

/// The kube resource of ExternalSecret at `version` (what the cluster serves: `v1`, or
/// `v1beta1` on older installs; the spec's fields are the same).
fn external_secret_resource(version: &str) -> ApiResource {
    ApiResource::from_gvk_with_plural(
        &GroupVersionKind::gvk("external-secrets.io", version, "ExternalSecret"),
        "externalsecrets",
    )
}

fn secret_resource() -> ApiResource {
    ApiResource::erase::<k8s_openapi::api::core::v1::Secret>(&())
}

/// Where to ask: a cluster's client, the namespace, and the ExternalSecret version it serves.
#[derive(Clone, Copy)]
pub struct Namespace<'a> {
    /// The cluster's client.
    pub client: &'a kube::Client,
    /// The namespace.
    pub name: &'a str,
    /// The `external-secrets.io` version the cluster serves.
    pub es_version: &'a str,
}

fn api(at: Namespace<'_>, kind: ObjectKind) -> Api<DynamicObject> {
    let resource = match kind {
        ObjectKind::Secret => secret_resource(),
        ObjectKind::ExternalSecret => external_secret_resource(at.es_version),
    };
    let (client, namespace) = (at.client, at.name);
    Api::namespaced_with(client.clone(), namespace, &resource)
}

/// Lists the namespace's Secrets and ExternalSecrets. A cluster without the ExternalSecret
/// kind (404) has none of them.
pub async fn list_namespace(at: Namespace<'_>) -> Result<Found, kube::Error> {
    let params = ListParams::default();
    let (secret_api, external_api) = (
        api(at, ObjectKind::Secret),
        api(at, ObjectKind::ExternalSecret),
    );
    let (secrets, external) = futures::join!(secret_api.list(&params), external_api.list(&params));
    let external_secrets = match external {
        Ok(list) => list.items,
        Err(kube::Error::Api(status)) if status.code == 404 => Vec::new(),
        Err(error) => return Err(error),
    };
    Ok(Found {
        secrets: secrets?.items,
        external_secrets,
    })
}

/// Reads one object (`Ok(None)`: there is none).
pub async fn read(
    at: Namespace<'_>,
    kind: ObjectKind,
    name: &str,
) -> Result<Option<DynamicObject>, kube::Error> {
    api(at, kind).get_opt(name).await
}

/// The objects no assignment of the project owns, each with why it cannot be taken as it is.
pub fn unmanaged(found: &Found, known: &Known<'_>) -> Vec<UnmanagedObject> {
    let secrets = (found.secrets.iter())
        .filter(|object| listed(object, known, ObjectKind::Secret))
        .map(|object| describe_secret(object, known));
    let external = (found.external_secrets.iter())
        .filter(|object| listed(object, known, ObjectKind::ExternalSecret))
        .map(|object| describe_external(object, known));
    let mut out: Vec<UnmanagedObject> = external.chain(secrets).collect();
    out.sort_by(|a, b| (a.name.as_str(), a.kind.as_str()).cmp(&(b.name.as_str(), b.kind.as_str())));
    out
}

/// Whether an object is one to show at all.
pub fn listed(object: &DynamicObject, known: &Known<'_>, kind: ObjectKind) -> bool {
    let name = object.metadata.name.as_deref().unwrap_or_default();
    if owned_by_assignment(object, known.assignments) || (known.protected)(name) {
        return false;
    }
    match kind {
        ObjectKind::ExternalSecret => true,
        ObjectKind::Secret => {
            let never = NEVER_LISTED_TYPES.contains(&secret_type(object).as_str());
            let from_external = (object.metadata.owner_references.iter().flatten())
                .any(|owner| owner.kind == "ExternalSecret");
            !never && !from_external
        }
    }
}

/// Whether the console's labels on an object name one of the project's assignments.
fn owned_by_assignment(object: &DynamicObject, assignments: &BTreeSet<String>) -> bool {
    object.metadata.labels.as_ref().is_some_and(|labels| {
        labels.get(LABEL_MANAGED_BY).map(String::as_str) == Some(MANAGED_BY)
            && labels
                .get(LABEL_ASSIGNMENT_ID)
                .is_some_and(|id| assignments.contains(id))
    })
}

fn secret_type(object: &DynamicObject) -> String {
    object
        .data
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or("Opaque")
        .to_owned()
}

fn created_at_ms(object: &DynamicObject) -> Option<i64> {
    let time = object.metadata.creation_timestamp.as_ref()?;
    Some(time.0.as_millisecond())
}

/// Why an object of this name cannot be managed here, whatever it holds.
fn name_blocked(name: &str, known: &Known<'_>) -> Option<String> {
    if known.console_names.contains(name) {
        return Some(format!(
            "the console's secret `{name}` lands an object of this name here; to overwrite this one, use Adopt on that secret's page"
        ));
    }
    validate_secret_name(name)
        .err()
        .map(|error| format!("the console cannot hold this name: it {}", error.message))
}

fn describe_secret(object: &DynamicObject, known: &Known<'_>) -> UnmanagedObject {
    let name = object.metadata.name.clone().unwrap_or_default();
    let keys = object.data["data"]
        .as_object()
        .map(|data| data.keys().cloned().collect())
        .unwrap_or_default();
    let controller = (object.metadata.owner_references.iter().flatten())
        .find(|owner| owner.controller == Some(true));
    let blocked = name_blocked(&name, known)
        .or_else(|| {
            controller.map(|owner| {
                format!(
                    "it is controlled by {} `{}`, which would write over the console's changes",
                    owner.kind, owner.name
                )
            })
        })
        .or_else(|| take(object, ObjectKind::Secret).err());
    UnmanagedObject {
        kind: ObjectKind::Secret,
        secret_type: Some(secret_type(object)),
        keys,
        created_at_ms: created_at_ms(object),
        blocked,
        name,
    }
}

fn describe_external(object: &DynamicObject, known: &Known<'_>) -> UnmanagedObject {
    let name = object.metadata.name.clone().unwrap_or_default();
    let spec = &object.data["spec"];
    let keys = (spec["data"].as_array().into_iter().flatten())
        .filter_map(|entry| entry["secretKey"].as_str().map(str::to_owned))
        .collect();
    let blocked =
        name_blocked(&name, known).or_else(|| take(object, ObjectKind::ExternalSecret).err());
    UnmanagedObject {
        kind: ObjectKind::ExternalSecret,
        secret_type: spec
            .pointer("/target/template/type")
            .and_then(Value::as_str)
            .map(str::to_owned),
        keys,
        created_at_ms: created_at_ms(object),
        blocked,
        name,
    }
}

/// What "Manage with the console" takes from an object, or why it cannot take it as it is.
pub fn take(object: &DynamicObject, kind: ObjectKind) -> Result<Existing, String> {
    match kind {
        ObjectKind::Secret => {
            let engine = base64::engine::general_purpose::STANDARD;
            let mut pairs = Vec::new();
            for (key, encoded) in object.data["data"].as_object().into_iter().flatten() {
                let bytes = encoded
                    .as_str()
                    .and_then(|text| engine.decode(text).ok())
                    .ok_or_else(|| format!("the value of key `{key}` is not base64"))?;
                let text = String::from_utf8(bytes).map_err(|_| {
                    format!(
                        "the value of key `{key}` is binary (not UTF-8 text), which the console cannot store"
                    )
                })?;
                pairs.push((key.clone(), text));
            }
            Ok(Existing::Secret {
                secret_type: secret_type(object),
                values: SecretValues::from_pairs(pairs),
            })
        }
        ObjectKind::ExternalSecret => {
            let name = object.metadata.name.as_deref().unwrap_or_default();
            external_spec(name, &object.data["spec"]).map(|spec| Existing::External(Box::new(spec)))
        }
    }
}

/// An ExternalSecret's spec as the console's model holds it, read as a pasted manifest is
/// (`server::eso`: every field kept, CRD defaults applied), refused, naming the field, when the
/// console would write something that means otherwise (a namespaced store, another target
/// name): the console takes an ExternalSecret only as it is.
pub fn external_spec(name: &str, spec: &Value) -> Result<ExternalSpec, String> {
    let object = json!({"apiVersion": "external-secrets.io/v1", "kind": "ExternalSecret",
                        "metadata": {"name": name}, "spec": spec});
    let parsed = parse_external_secret(&object.to_string()).map_err(|errors| {
        errors.first().map_or_else(
            || "the console cannot read this ExternalSecret".to_owned(),
            |error| format!("`{}` {}", error.field, error.message),
        )
    })?;
    // Notes on `spec` fields say what the console would change; on metadata, only the labels
    // it adds.
    match parsed.notes.iter().find(|note| note.starts_with("spec.")) {
        Some(note) => Err(format!(
            "the console would change it: {}",
            note.trim_end_matches('.')
        )),
        None => Ok(parsed.spec),
    }
}

/// The `spec` of the console's canonical object for a live ExternalSecret's spec, if the
/// console can hold it as it is ([`external_spec`]): equal to what the console applies exactly
/// when the live object means the same to External Secrets Operator.
pub fn canonical_spec(name: &str, spec: &Value) -> Option<Value> {
    let held = external_spec(name, spec).ok()?;
    let placement = Placement {
        secret_id: 0,
        assignment_id: 0,
        scope: crate::model::secret::Scope::Project,
        name: name.to_owned(),
        namespace: String::new(),
    };
    let Manifest(mut object) = manifest::external_secret(&placement, &held, UseCase::Generic);
    Some(object["spec"].take())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(value: Value) -> DynamicObject {
        serde_json::from_value(value).expect("an object")
    }

    fn known<'a>(
        assignments: &'a BTreeSet<String>,
        names: &'a BTreeSet<String>,
        protected: &'a (dyn Fn(&str) -> bool + Sync),
    ) -> Known<'a> {
        Known {
            assignments,
            console_names: names,
            protected,
        }
    }

    #[test]
    fn tokens_helm_records_protected_names_and_external_secret_targets_are_never_listed() {
        let none = BTreeSet::new();
        let ours: BTreeSet<String> = ["7".to_owned()].into();
        let protected = |name: &str| name.starts_with("default-token-");
        let known = known(&ours, &none, &protected);
        let secret = |name: &str, extra: Value| {
            let mut value = json!({"apiVersion": "v1", "kind": "Secret",
                "metadata": {"name": name, "namespace": "payments"}, "data": {"k": "dg=="}});
            if let (Some(target), Some(extra)) = (value.as_object_mut(), extra.as_object()) {
                target.extend(extra.clone());
            }
            object(value)
        };
        let found = Found {
            secrets: vec![
                secret("plain", json!({"type": "Opaque"})),
                secret("sa", json!({"type": "kubernetes.io/service-account-token"})),
                secret(
                    "sh.helm.release.v1.web.v1",
                    json!({"type": "helm.sh/release.v1"}),
                ),
                secret(
                    "bootstrap-token-abc",
                    json!({"type": "bootstrap.kubernetes.io/token"}),
                ),
                secret("default-token-x", json!({"type": "Opaque"})),
                secret(
                    "from-es",
                    json!({"metadata": {"name": "from-es", "ownerReferences": [
                    {"apiVersion": "external-secrets.io/v1", "kind": "ExternalSecret",
                     "name": "from-es", "uid": "u", "controller": true}]}}),
                ),
                secret(
                    "managed",
                    json!({"metadata": {"name": "managed", "labels": {
                    LABEL_MANAGED_BY: MANAGED_BY, LABEL_ASSIGNMENT_ID: "7"}}}),
                ),
            ],
            external_secrets: Vec::new(),
        };
        let names: Vec<String> = unmanaged(&found, &known)
            .into_iter()
            .map(|o| o.name)
            .collect();
        assert_eq!(names, ["plain"]);
    }

    #[test]
    fn a_secret_is_described_by_keys_never_values_and_binary_values_are_refused() {
        let none = BTreeSet::new();
        let protected = |_: &str| false;
        let known = known(&none, &none, &protected);
        let text = object(
            json!({"apiVersion": "v1", "kind": "Secret", "type": "Opaque",
            "metadata": {"name": "db"}, "data": {"password": "Y2FuYXJ5"}}),
        );
        let listed = unmanaged(
            &Found {
                secrets: vec![text],
                ..Found::default()
            },
            &known,
        );
        assert_eq!(listed[0].keys, ["password"]);
        assert_eq!(listed[0].blocked, None);
        assert!(!format!("{listed:?}").contains("canary"));
        let binary = object(json!({"apiVersion": "v1", "kind": "Secret",
            "metadata": {"name": "bin"}, "data": {"blob": "/w=="}}));
        let why = take(&binary, ObjectKind::Secret).err().unwrap_or_default();
        assert!(why.contains("`blob`") && why.contains("binary"), "{why}");
    }

    #[test]
    fn an_external_secret_written_briefly_means_the_same_as_its_canonical_form() {
        let spec = json!({"refreshInterval": "1h",
            "secretStoreRef": {"name": "vault", "kind": "ClusterSecretStore"},
            "data": [{"secretKey": "password", "remoteRef": {"key": "shared/db", "property": "pw"}}]});
        let held = external_spec("db", &spec).expect("held");
        assert_eq!(held.store, "vault");
        assert_eq!(held.refresh_interval, "1h0m0s");
        assert_eq!(held.data[0].property.as_deref(), Some("pw"));
    }

    #[test]
    fn what_would_change_its_meaning_is_refused_by_its_path() {
        let namespaced_store = json!({"secretStoreRef": {"name": "vault"},
            "data": [{"secretKey": "a", "remoteRef": {"key": "k"}}]});
        let why = external_spec("db", &namespaced_store)
            .err()
            .unwrap_or_default();
        assert!(why.contains("spec.secretStoreRef.kind"), "{why}");
        let unknown = json!({"secretStoreRef": {"name": "vault", "kind": "ClusterSecretStore"},
            "sprinkles": true});
        let why = external_spec("db", &unknown).err().unwrap_or_default();
        assert!(why.contains("spec.sprinkles"), "{why}");
    }

    #[test]
    fn a_brief_spec_and_its_canonical_form_have_one_canonical_form() {
        let brief = json!({"secretStoreRef": {"name": "vault", "kind": "ClusterSecretStore"},
            "dataFrom": [{"extract": {"key": "shared/postgres"}}]});
        let canonical = canonical_spec("db", &brief).expect("held");
        assert_eq!(canonical_spec("db", &canonical), Some(canonical.clone()));
        let mut other = brief.clone();
        other["dataFrom"][0]["extract"]["key"] = json!("shared/other");
        assert_ne!(canonical_spec("db", &other), Some(canonical));
    }
}
