//! The exact objects the console applies for one secret, one per assigned project the viewer
//! may see, as YAML: the canonical ExternalSecret (`manifest::external_secret`) at the version
//! its cluster serves, or the Kubernetes Secret with every value replaced by a placeholder.
//! Values are never read here: the Secret is built from the key names in the spec.

use serde_json::json;
use sqlx::Row;

use crate::domain::permissions::Visibility;
use crate::model::applied::{AppliedManifest, VALUE_PLACEHOLDER};
use crate::model::secret::{Scope, SecretSpec, SecretValues, UseCase};
use crate::server::cluster::eso_served;
use crate::server::cluster::manifest::{self, ANNOTATION_FINGERPRINT, Manifest, Placement};
use crate::server::cluster::registry::ClusterHandle;
use crate::server::db::Db;
use crate::server::errors::ServiceError;
use crate::server::sql::{Param, Sql};

/// What stands for a Kubernetes secret's fingerprint annotation (a keyed hash of its values,
/// computed when it is applied).
pub const FINGERPRINT_PLACEHOLDER: &str = "<computed from the values when applied>";

/// The objects applied for secret `id`, by project name; only the projects `visibility`
/// allows. The caller has checked that the viewer may see the secret.
pub async fn applied_manifests(
    db: &Db,
    clusters: &[ClusterHandle],
    id: i64,
    visibility: &Visibility,
) -> Result<Vec<AppliedManifest>, ServiceError> {
    let mut select = Sql::new(
        "SELECT a.id AS assignment_id, a.project_id, p.name AS project_name, p.namespace, \
         c.name AS cluster_name, s.name, s.scope, s.spec, s.use_case FROM assignments a \
         JOIN secrets s ON s.id = a.secret_id JOIN projects p ON p.id = a.project_id \
         JOIN clusters c ON c.id = p.cluster_id WHERE a.secret_id = ",
    );
    select.bind(Param::Int(id));
    if let Visibility::Projects(ids) = visibility {
        select.push(" AND a.project_id IN ").bind_list(ids);
    }
    select.push(" ORDER BY p.name");
    let rows = select.query().fetch_all(db.pool()).await?;
    rows.iter()
        .map(|row| {
            let spec: String = row.try_get("spec")?;
            let spec: SecretSpec = serde_json::from_str(&spec)
                .map_err(|e| ServiceError::Conflict(format!("stored spec unreadable: {e}")))?;
            let scope: String = row.try_get("scope")?;
            let placement = Placement {
                secret_id: id,
                assignment_id: row.try_get("assignment_id")?,
                scope: if scope == "Project" {
                    Scope::Project
                } else {
                    Scope::Organization
                },
                name: row.try_get("name")?,
                namespace: row.try_get("namespace")?,
            };
            let use_case =
                UseCase::parse(&row.try_get::<String, _>("use_case")?).unwrap_or(UseCase::Generic);
            let cluster: String = row.try_get("cluster_name")?;
            let served = clusters
                .iter()
                .find(|handle| handle.name == cluster)
                .map_or(eso_served::SUPPORTED[0], |handle| handle.eso.api_version());
            let Manifest(object) = object(&placement, &spec, use_case, served);
            Ok(AppliedManifest {
                project_id: row.try_get("project_id")?,
                project: row.try_get("project_name")?,
                cluster,
                namespace: placement.namespace.clone(),
                name: placement.name.clone(),
                kind: object["kind"].as_str().unwrap_or_default().to_owned(),
                api_version: object["apiVersion"].as_str().unwrap_or_default().to_owned(),
                yaml: to_yaml(&object)?,
            })
        })
        .collect()
}

/// The object applied for one assignment, values replaced: an ExternalSecret at `served`
/// (`v1`, `v1beta1`), or a Secret whose data holds [`VALUE_PLACEHOLDER`] for every key.
pub fn object(
    placement: &Placement,
    spec: &SecretSpec,
    use_case: UseCase,
    served: &str,
) -> Manifest {
    match spec {
        SecretSpec::External(spec) => {
            let mut manifest = manifest::external_secret(placement, spec, use_case);
            // A field this version cannot hold is refused when applying (the assignment says
            // which); shown here as the console would write it.
            let _ = eso_served::serve_as(&mut manifest, served);
            manifest
        }
        SecretSpec::Kubernetes(spec) => {
            let keys =
                SecretValues::from_pairs(spec.keys.iter().map(|k| (k.clone(), String::new())));
            let mut manifest =
                manifest::kubernetes_secret(placement, spec, &keys, FINGERPRINT_PLACEHOLDER);
            for key in &spec.keys {
                manifest.0["data"][key] = json!(VALUE_PLACEHOLDER);
            }
            manifest.0["metadata"]["annotations"][ANNOTATION_FINGERPRINT] =
                json!(FINGERPRINT_PLACEHOLDER);
            manifest
        }
    }
}

/// An object as YAML.
pub fn to_yaml(object: &serde_json::Value) -> Result<String, ServiceError> {
    serde_saphyr::to_string(object)
        .map_err(|e| ServiceError::Conflict(format!("cannot render the manifest as YAML: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::secret::{ExternalDataEntry, ExternalSpec, KubernetesSpec};

    fn placement() -> Placement {
        Placement {
            secret_id: 7,
            assignment_id: 11,
            scope: Scope::Project,
            name: "db".into(),
            namespace: "payments".into(),
        }
    }

    #[test]
    fn an_external_secret_is_the_canonical_object_at_the_served_version() {
        let spec = ExternalSpec {
            store: "vault".into(),
            refresh_interval: "1h".into(),
            data: vec![ExternalDataEntry {
                secret_key: "password".into(),
                remote_key: "shared/postgres/password".into(),
                ..Default::default()
            }],
            ..Default::default()
        };
        let Manifest(canonical) = manifest::external_secret(&placement(), &spec, UseCase::Generic);
        let spec = SecretSpec::External(spec);
        let Manifest(v1) = object(&placement(), &spec, UseCase::Generic, "v1");
        assert_eq!(v1, canonical);
        let Manifest(old) = object(&placement(), &spec, UseCase::Generic, "v1beta1");
        assert_eq!(old["apiVersion"], "external-secrets.io/v1beta1");
        // v1beta1 has no nullBytePolicy: its pinned default is left out, and nothing absent
        // from the canonical spec appears (no `dataFrom: null`).
        let mut expected = canonical["spec"].clone();
        expected["data"][0]["remoteRef"]
            .as_object_mut()
            .unwrap()
            .remove("nullBytePolicy");
        assert_eq!(old["spec"], expected);
        let yaml = to_yaml(&v1).unwrap();
        let back: serde_json::Value = serde_saphyr::from_str(&yaml).unwrap();
        assert_eq!(
            back, canonical,
            "the YAML reads back as the very object:\n{yaml}"
        );
    }

    #[test]
    fn a_kubernetes_secret_shows_its_keys_and_never_a_value() {
        let spec = SecretSpec::Kubernetes(KubernetesSpec {
            secret_type: "Opaque".into(),
            keys: vec!["API_KEY".into(), "token".into()],
        });
        let Manifest(secret) = object(&placement(), &spec, UseCase::Generic, "v1");
        assert_eq!(secret["kind"], "Secret");
        assert_eq!(secret["type"], "Opaque");
        assert_eq!(secret["data"]["API_KEY"], VALUE_PLACEHOLDER);
        assert_eq!(secret["data"]["token"], VALUE_PLACEHOLDER);
        let yaml = to_yaml(&secret).unwrap();
        assert!(yaml.contains("API_KEY"), "{yaml}");
        assert!(yaml.contains(VALUE_PLACEHOLDER), "{yaml}");
    }
}
