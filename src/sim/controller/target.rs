//! Writing the target Secret, as ESO creates and updates it with its field manager.

use serde_json::{Value, json};

use crate::sim::eso::{
    CREATED_BY_LABEL, DATA_HASH_ANNOTATION, MANAGED_LABEL, MANAGER, api_message, controller_ref,
    data_hash, sha224_hex,
};
use crate::sim::store::{Key, WriteContext};

use super::{Controller, SyncError, render};

impl Controller {
    /// Creates or updates the target Secret as ESO does (Create/Update with its field manager).
    pub(super) fn write_target(
        &mut self,
        es: &Value,
        target_key: &Key,
        existing: Option<&Value>,
        data: serde_json::Map<String, Value>,
        creation: &str,
    ) -> Result<(), SyncError> {
        let es_uid = es
            .pointer("/metadata/uid")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let es_name = es
            .pointer("/metadata/name")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let es_namespace = es
            .pointer("/metadata/namespace")
            .and_then(Value::as_str)
            .unwrap_or_default();
        let manager = format!("externalsecrets.external-secrets.io/{es_name}");
        let immutable = es.pointer("/spec/target/immutable") == Some(&json!(true));
        let mut secret = existing.cloned().unwrap_or_else(|| {
            json!({
                "apiVersion": "v1",
                "kind": "Secret",
                "metadata": {"name": target_key.name, "namespace": target_key.namespace},
            })
        });
        for field in ["labels", "annotations"] {
            if !secret["metadata"][field].is_object() {
                secret["metadata"][field] = json!({});
            }
        }
        if !secret["data"].is_object() {
            secret["data"] = json!({});
        }
        if immutable {
            secret["immutable"] = json!(true);
        }
        // ESO's mutationFunc (`externalsecret_controller.go`): the keys this ExternalSecret
        // wrote go first (`getManagedDataKeys`), then `ApplyTemplate` writes metadata, type
        // and data, unless the target is immutable and exists already
        // (`objectDoesNotExistOrCanBeMutated`).
        if existing.is_none() || !immutable {
            for key in render::managed_keys(&secret, &manager, &["f:data"]) {
                if let Some(map) = secret["data"].as_object_mut() {
                    map.remove(&key);
                }
            }
            let store = self.store.clone();
            let namespace = target_key.namespace.clone();
            let lookup = move |kind: &str, name: &str| {
                let type_id = crate::sim::resources::by_kind("", kind)?;
                store.get(&Key::new(type_id, &namespace, name)).ok()
            };
            // updateSecret wraps the mutation's error (errMutate), createSecret does not.
            render::apply_template(es, &mut secret, &data, &manager, &lookup).map_err(|error| {
                SyncError {
                    message: "could not update secret".to_owned(),
                    detail: match existing {
                        Some(_) => format!("unable to mutate secret {}: {error}", target_key.name),
                        None => error,
                    },
                    terminal: false,
                }
            })?;
        }
        // applyOwnership. Another ExternalSecret's, by name: ESO compares group, kind and
        // name, not the uid ("for consistency with the SetControllerReference function"), so
        // an ExternalSecret deleted and created again under its name takes its old Secret back.
        if let Some(owner) = controller_ref(&secret)
            && owner["kind"] == "ExternalSecret"
            && owner["name"].as_str() != Some(es_name)
        {
            return Err(SyncError {
                message: "target is owned by another ExternalSecret".to_owned(),
                detail: format!(
                    "unable to mutate secret {}: secret is owned by another ExternalSecret: {}",
                    target_key.name,
                    owner["name"].as_str().unwrap_or_default()
                ),
                terminal: true,
            });
        }
        // ESO makes itself the controller (`controllerutil.SetControllerReference`), which
        // fails for a Secret another controller owns: "failed to take ownership of target
        // secret", SyncedError, and no retry (the error is not returned to the work queue).
        if creation == "Owner"
            && let Some(owner) = controller_ref(&secret)
            && owner["kind"] != "ExternalSecret"
        {
            return Err(SyncError {
                message: "failed to take ownership of target secret".to_owned(),
                detail: format!(
                    "unable to mutate secret {name}: could not set controller reference on secret: Object {namespace}/{name} is already owned by another {kind} controller {owner}",
                    name = target_key.name,
                    namespace = target_key.namespace,
                    kind = owner["kind"].as_str().unwrap_or_default(),
                    owner = owner["name"].as_str().unwrap_or_default(),
                ),
                terminal: true,
            });
        }
        // SetControllerReference adds (or updates) this owner and keeps the others; another
        // creation policy drops this ExternalSecret's controller reference
        // (RemoveControllerReference) and the created-by label.
        let mut owners: Vec<Value> = secret
            .pointer("/metadata/ownerReferences")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        owners.retain(|o| !(o["kind"] == "ExternalSecret" && o["name"] == es_name));
        if creation == "Owner" {
            owners.push(json!({
                "apiVersion": "external-secrets.io/v1",
                "kind": "ExternalSecret",
                "name": es_name,
                "uid": es_uid,
                "controller": true,
                "blockOwnerDeletion": true,
            }));
        }
        if owners.is_empty() {
            if let Some(metadata) = secret["metadata"].as_object_mut() {
                metadata.remove("ownerReferences");
            }
        } else {
            secret["metadata"]["ownerReferences"] = Value::Array(owners);
        }
        let labels = &mut secret["metadata"]["labels"];
        if creation == "Owner" {
            labels[CREATED_BY_LABEL] = json!(sha224_hex(&format!("{es_namespace}/{es_name}")));
        } else if let Some(map) = labels.as_object_mut() {
            map.remove(CREATED_BY_LABEL);
        }
        labels[MANAGED_LABEL] = json!("true");
        let final_data = secret["data"].as_object().cloned().unwrap_or_default();
        secret["metadata"]["annotations"][DATA_HASH_ANNOTATION] = json!(data_hash(&final_data));
        let ctx = WriteContext::new(&format!("externalsecrets.external-secrets.io/{es_name}"));
        // updateSecret wraps what an update fails with (errUpdate; a conflict it passes on as
        // it is), createSecret passes the create's error on as it is.
        let update_failed = |error: crate::sim::status::ApiError| SyncError {
            message: "could not update secret".to_owned(),
            detail: if error.code == 409 {
                api_message(&error)
            } else {
                format!(
                    "unable to update secret {}: {}",
                    target_key.name,
                    api_message(&error)
                )
            },
            terminal: false,
        };
        let Some(existing) = existing else {
            return match self
                .store
                .create(self.types.secret, &target_key.namespace, secret, &ctx)
            {
                Ok(_) => {
                    self.record(es, "Normal", "Created", "secret created", MANAGER);
                    Ok(())
                }
                Err(error) => Err(SyncError {
                    message: "could not update secret".to_owned(),
                    detail: api_message(&error),
                    terminal: false,
                }),
            };
        };
        // updateSecret on an immutable Secret: the metadata is written all the same, a change
        // to anything else (data, type) is refused, and ESO does not retry.
        if existing["immutable"] == true {
            let mut metadata_only = existing.clone();
            metadata_only["metadata"] = secret["metadata"].clone();
            if metadata_only != secret {
                if metadata_only != *existing {
                    self.store
                        .update(target_key, metadata_only, false, &ctx)
                        .map_err(update_failed)?;
                }
                return Err(SyncError {
                    message: "could not update secret, target is immutable".to_owned(),
                    detail: format!(
                        "unable to update secret {}: secret is immutable",
                        target_key.name
                    ),
                    terminal: true,
                });
            }
        }
        let before = existing.pointer("/metadata/resourceVersion").cloned();
        let updated = self
            .store
            .update(target_key, secret, false, &ctx)
            .map_err(update_failed)?;
        if updated.pointer("/metadata/resourceVersion").cloned() != before {
            self.record(es, "Normal", "Updated", "secret updated", MANAGER);
        }
        Ok(())
    }
}
