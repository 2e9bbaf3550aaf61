//! Resolving an ExternalSecret's remote keys from its store's fake data, as ESO's fake
//! provider does.

use base64::Engine;
use serde_json::{Value, json};

use super::*;

impl Controller {
    /// Resolves every `data` entry from the store's fake data. Missing entries fail the sync
    /// under deletionPolicy Retain and are skipped (with an event) under Delete and Merge.
    pub(super) fn resolve(
        &mut self,
        es: &Value,
        store: &Value,
    ) -> Result<serde_json::Map<String, Value>, SyncError> {
        let engine = base64::engine::general_purpose::STANDARD;
        let fake: Vec<Value> = store
            .pointer("/spec/provider/fake/data")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let deletion_policy = es
            .pointer("/spec/target/deletionPolicy")
            .and_then(Value::as_str)
            .unwrap_or("Retain")
            .to_owned();
        let entries: Vec<Value> = es
            .pointer("/spec/data")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let mut data = serde_json::Map::new();
        for (i, entry) in entries.iter().enumerate() {
            let secret_key = entry["secretKey"].as_str().unwrap_or_default();
            let remote = &entry["remoteRef"];
            let remote_key = remote["key"].as_str().unwrap_or_default();
            let version = remote["version"].as_str().unwrap_or("");
            // The fake provider keys its map by key + version; the last entry wins.
            let found = fake.iter().rev().find(|d| {
                d["key"].as_str() == Some(remote_key)
                    && d["version"].as_str().unwrap_or("") == version
            });
            let value =
                found
                    .and_then(|d| d["value"].as_str())
                    .and_then(|value| {
                        match remote["property"].as_str().filter(|p| !p.is_empty()) {
                            None => Some(value.to_owned()),
                            Some(property) => {
                                let document: Value = serde_json::from_str(value).ok()?;
                                json_property(&document, property).map(|v| match v {
                                    Value::String(s) => s.clone(),
                                    Value::Null => String::new(),
                                    other => other.to_string(),
                                })
                            }
                        }
                    });
            match value {
                Some(value) => {
                    data.insert(secret_key.to_owned(), json!(engine.encode(value)));
                }
                None if deletion_policy == "Retain" => {
                    return Err(SyncError {
                        message: "could not get secret data from provider".to_owned(),
                        detail: format!(
                            "error processing spec.data[{i}] (key: {remote_key}), err: Secret does not exist"
                        ),
                        terminal: false,
                    });
                }
                None => self.record(
                    es,
                    "Normal",
                    "MissingProviderSecret",
                    &format!(
                        "secret does not exist at provider using spec.dataFrom[{i}] (key={remote_key})"
                    ),
                    MANAGER,
                ),
            }
        }
        Ok(data)
    }
}
