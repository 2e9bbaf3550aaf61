//! Resolving an ExternalSecret's `dataFrom` and `data` from its store's fake data, as ESO's
//! `GetProviderSecretData` (`pkg/controllers/externalsecret/externalsecret_controller_secret.go`)
//! does with the fake provider (`providers/v1/fake/fake.go`): `dataFrom` first, in order, each
//! map merged over the last, then each `data` entry.

use base64::Engine;
use serde_json::{Map, Value, json};

use super::strategies::{self, ByteMap};
use super::{Controller, SyncError};
use crate::sim::eso::{MANAGER, json_property};

/// Why the fake provider returned nothing.
enum Failure {
    /// `esv1.NoSecretErr`: skipped (with an event) unless deletionPolicy is Retain.
    NoSecret,
    /// Any other error, already worded.
    Other(String),
}

impl Failure {
    fn text(&self) -> String {
        match self {
            Self::NoSecret => "Secret does not exist".to_owned(),
            Self::Other(text) => text.clone(),
        }
    }
}

/// The fake provider's map: `key + version` to (key, version, value); later entries win.
fn fake_entries(store: &Value) -> Vec<(String, String, String)> {
    let mut entries: Vec<(String, String, String)> = Vec::new();
    for d in store
        .pointer("/spec/provider/fake/data")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let key = d["key"].as_str().unwrap_or_default().to_owned();
        let version = d["version"].as_str().unwrap_or_default().to_owned();
        let value = d["value"].as_str().unwrap_or_default().to_owned();
        entries.retain(|(k, v, _)| format!("{k}{v}") != format!("{key}{version}"));
        entries.push((key, version, value));
    }
    entries
}

/// The fake provider's `GetSecret`: by key and exact version, `property` a gjson path.
fn get_secret(fake: &[(String, String, String)], remote: &Value) -> Result<Vec<u8>, Failure> {
    let key = remote["key"].as_str().unwrap_or_default();
    let version = remote["version"].as_str().unwrap_or_default();
    let (_, _, value) = fake
        .iter()
        .find(|(k, v, _)| k == key && v == version)
        .ok_or(Failure::NoSecret)?;
    match remote["property"].as_str().filter(|p| !p.is_empty()) {
        None => Ok(value.clone().into_bytes()),
        Some(property) => {
            let document: Value = serde_json::from_str(value).map_err(|_| Failure::NoSecret)?;
            let found = json_property(&document, property).ok_or(Failure::NoSecret)?;
            Ok(match found {
                Value::String(s) => s.clone().into_bytes(),
                Value::Null => Vec::new(),
                other => other.to_string().into_bytes(),
            })
        }
    }
}

/// The fake provider's `GetSecretMap`: the value is a JSON object; string members are
/// unquoted, others kept as JSON.
fn get_secret_map(fake: &[(String, String, String)], remote: &Value) -> Result<ByteMap, Failure> {
    let value = get_secret(fake, remote)?;
    let object: Map<String, Value> = serde_json::from_slice(&value)
        .map_err(|e| Failure::Other(format!("unable to unmarshal secret: {e}")))?;
    Ok(object
        .into_iter()
        .map(|(k, v)| match v {
            Value::String(s) => (k, s.into_bytes()),
            other => (k, other.to_string().into_bytes()),
        })
        .collect())
}

/// Go's `%#v` of an `ExternalSecretFind`, as the fake provider's refusal prints it (a pointer
/// prints as an address; this one is made up).
fn go_find(find: &Value) -> String {
    let text = |field: &str| find[field].as_str().unwrap_or_default().to_owned();
    let path = if find["path"].is_string() {
        "(*string)(0xc000a1c2d0)"
    } else {
        "(*string)(nil)"
    };
    let tags = match find["tags"].as_object() {
        Some(tags) => {
            let mut pairs: Vec<String> = tags
                .iter()
                .map(|(k, v)| format!("{k:?}:{:?}", v.as_str().unwrap_or_default()))
                .collect();
            pairs.sort();
            format!("map[string]string{{{}}}", pairs.join(", "))
        }
        None => "map[string]string(nil)".to_owned(),
    };
    format!(
        "v1.ExternalSecretFind{{Path:{path}, Name:(*v1.FindName)(nil), Tags:{tags}, ConversionStrategy:{:?}, DecodingStrategy:{:?}, NullBytePolicy:{:?}}}",
        text("conversionStrategy"),
        text("decodingStrategy"),
        text("nullBytePolicy")
    )
}

/// The fake provider's `GetAllSecrets`: only `name.regexp` is supported (path and tags are not
/// read; without a name the find is refused), the latest version of each matching key.
fn get_all_secrets(fake: &[(String, String, String)], find: &Value) -> Result<ByteMap, Failure> {
    let Some(pattern) = find.get("name").filter(|n| n.is_object()) else {
        return Err(Failure::Other(format!(
            "unsupported find operator: {}",
            go_find(find)
        )));
    };
    let pattern = pattern["regexp"].as_str().unwrap_or_default();
    let matcher = regex::Regex::new(pattern).map_err(|e| {
        Failure::Other(format!(
            "could not compile find.name.regexp [{pattern}]: error parsing regexp: {e}"
        ))
    })?;
    let mut latest: std::collections::BTreeMap<&str, (&str, &str)> = Default::default();
    for (key, version, value) in fake {
        if !matcher.is_match(key) {
            continue;
        }
        let newer = latest
            .get(key.as_str())
            .is_none_or(|(v, _)| *v < version.as_str());
        if newer {
            latest.insert(key, (version, value));
        }
    }
    let map: ByteMap = latest
        .into_iter()
        .map(|(k, (_, v))| (k.to_owned(), v.as_bytes().to_vec()))
        .collect();
    strategies::convert_keys(find["conversionStrategy"].as_str().unwrap_or(""), map)
        .map_err(Failure::Other)
}

/// `validateFetchedSecretValue`: with nullBytePolicy Fail, a value holding a NUL byte fails.
fn null_bytes(policy: &str, key: &str, value: &[u8]) -> Result<(), String> {
    if policy == "Fail" && value.contains(&0) {
        return Err(format!(
            "fetched secret value for key {key:?} contains null bytes; use a text-safe format such as PEM/base64 or leave nullBytePolicy unset for intentional binary data"
        ));
    }
    Ok(())
}

/// What `handleExtractSecrets` and `handleFindAllSecrets` do after the provider answered:
/// rewrite (or convert the keys), validate the keys, decode, check for NUL bytes.
fn finish(reference: &Value, rewrite: &[Value], map: ByteMap) -> Result<ByteMap, Failure> {
    let text = |field: &str| reference[field].as_str().unwrap_or("").to_owned();
    let mut map = if rewrite.is_empty() {
        let strategy = text("conversionStrategy");
        strategies::convert_keys(&strategy, map).map_err(|e| {
            Failure::Other(format!(
                "error applying conversion strategy {strategy} to keys: {e}"
            ))
        })?
    } else {
        strategies::rewrite(rewrite, map)
            .map_err(|e| Failure::Other(format!("error applying rewrite to keys: {e}")))?
    };
    strategies::validate_keys(&mut map).map_err(|e| {
        Failure::Other(format!(
            "invalid secret keys (TIP: use rewrite or conversionStrategy to change keys): {e}"
        ))
    })?;
    let strategy = text("decodingStrategy");
    let map = strategies::decode_map(&strategy, map).map_err(|e| {
        Failure::Other(format!(
            "error applying decoding strategy {strategy} to data: {e}"
        ))
    })?;
    for (key, value) in &map {
        null_bytes(&text("nullBytePolicy"), key, value).map_err(Failure::Other)?;
    }
    Ok(map)
}

impl Controller {
    /// Resolves `dataFrom` and `data` from the store's fake data. What is missing fails the
    /// sync under deletionPolicy Retain and is skipped (with an event) under Delete and Merge.
    /// The result is the Secret's data, base64-encoded.
    pub(super) fn resolve(
        &mut self,
        es: &Value,
        store: &Value,
    ) -> Result<Map<String, Value>, SyncError> {
        let fake = fake_entries(store);
        let retain = es
            .pointer("/spec/target/deletionPolicy")
            .and_then(Value::as_str)
            .unwrap_or("Retain")
            == "Retain";
        let failed = |detail: String| SyncError {
            message: "could not get secret data from provider".to_owned(),
            detail,
            terminal: false,
        };
        let mut provider_data = ByteMap::new();
        let data_from: Vec<Value> = es
            .pointer("/spec/dataFrom")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for (i, item) in data_from.iter().enumerate() {
            let rewrite: Vec<Value> = item["rewrite"].as_array().cloned().unwrap_or_default();
            let (what, result) = if let Some(find) = item.get("find").filter(|f| f.is_object()) {
                let found = get_all_secrets(&fake, find)
                    .map_err(|e| Failure::Other(format!("error getting all secrets: {}", e.text())))
                    .and_then(|map| finish(find, &rewrite, map));
                ("find", found)
            } else if let Some(extract) = item.get("extract").filter(|e| e.is_object()) {
                let found =
                    get_secret_map(&fake, extract).and_then(|map| finish(extract, &rewrite, map));
                ("extract", found)
            } else if item.pointer("/sourceRef/generatorRef").is_some() {
                let error = "generators are not simulated by the simulated cluster".to_owned();
                ("sourceRef.generatorRef", Err(Failure::Other(error)))
            } else {
                continue;
            };
            match result {
                Ok(map) => provider_data.extend(map),
                Err(Failure::NoSecret) if !retain => self.record(
                    es,
                    "Normal",
                    "MissingProviderSecret",
                    &format!("secret does not exist at provider using spec.dataFrom[{i}]"),
                    MANAGER,
                ),
                Err(error) => {
                    return Err(failed(format!(
                        "error processing spec.dataFrom[{i}].{what}, err: {}",
                        error.text()
                    )));
                }
            }
        }
        let entries: Vec<Value> = es
            .pointer("/spec/data")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        for (i, entry) in entries.iter().enumerate() {
            let secret_key = entry["secretKey"].as_str().unwrap_or_default();
            let remote = &entry["remoteRef"];
            let remote_key = remote["key"].as_str().unwrap_or_default();
            let strategy = remote["decodingStrategy"].as_str().unwrap_or("");
            let value = get_secret(&fake, remote).and_then(|value| {
                let value = strategies::decode(strategy, value).map_err(|e| {
                    Failure::Other(format!(
                        "error applying decoding strategy {strategy} to data: {e}"
                    ))
                })?;
                let policy = remote["nullBytePolicy"].as_str().unwrap_or("");
                null_bytes(policy, secret_key, &value).map_err(Failure::Other)?;
                Ok(value)
            });
            match value {
                Ok(value) => {
                    provider_data.insert(secret_key.to_owned(), value);
                }
                // ESO's eventMissingProviderSecretKey says dataFrom for data entries too.
                Err(Failure::NoSecret) if !retain => self.record(
                    es,
                    "Normal",
                    "MissingProviderSecret",
                    &format!("secret does not exist at provider using spec.dataFrom[{i}] (key={remote_key})"),
                    MANAGER,
                ),
                Err(error) => {
                    return Err(failed(format!(
                        "error processing spec.data[{i}] (key: {remote_key}), err: {}",
                        error.text()
                    )));
                }
            }
        }
        let engine = base64::engine::general_purpose::STANDARD;
        Ok(provider_data
            .into_iter()
            .map(|(k, v)| (k, json!(engine.encode(v))))
            .collect())
    }
}
