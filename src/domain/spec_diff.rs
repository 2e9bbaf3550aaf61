//! What an edit changed, in words: the difference between the two audit snapshots of a secret
//! (`before_spec` and `after_spec` of its history entry), e.g. "refresh interval 1h → 15m" or
//! "key password added". Snapshots hold use case, description, spec and the names of the keys
//! whose values were replaced; never a value, so neither does anything said here.

use serde::Deserialize;

use crate::model::secret::{ExternalDataEntry, ExternalSpec, KubernetesSpec, SecretSpec, UseCase};

/// An audit snapshot, as `server::secrets::record::snapshot` writes it. Entries of other
/// actions (an assignment's project list) have no spec and are not compared.
#[derive(Debug, Deserialize)]
struct Snapshot {
    /// The use case.
    use_case: UseCase,
    /// The description (compared, never quoted: it can be long).
    #[serde(default)]
    description: String,
    /// The spec (no values).
    spec: SecretSpec,
    /// Keys whose values this change replaced (names only), on the snapshot after an update.
    #[serde(default)]
    values_replaced: Vec<String>,
}

/// The changes from `before` to `after` (two audit snapshots, JSON), one phrase each, in the
/// order use case, description, spec, values. Empty when either is missing or not a secret's
/// snapshot (old or other entries): the history then shows the entry without changes.
pub fn spec_changes(before: Option<&str>, after: Option<&str>) -> Vec<String> {
    let parse = |text: Option<&str>| text.and_then(|t| serde_json::from_str::<Snapshot>(t).ok());
    let (Some(before), Some(after)) = (parse(before), parse(after)) else {
        return Vec::new();
    };
    let mut changes = Vec::new();
    if before.use_case != after.use_case {
        changes.push(format!(
            "use case {} → {}",
            before.use_case.as_str(),
            after.use_case.as_str()
        ));
    }
    match (before.description.trim(), after.description.trim()) {
        (old, new) if old == new => {}
        ("", _) => changes.push("description added".to_owned()),
        (_, "") => changes.push("description removed".to_owned()),
        _ => changes.push("description changed".to_owned()),
    }
    match (&before.spec, &after.spec) {
        (SecretSpec::External(old), SecretSpec::External(new)) => external(old, new, &mut changes),
        (SecretSpec::Kubernetes(old), SecretSpec::Kubernetes(new)) => {
            kubernetes(old, new, &mut changes)
        }
        (old, new) => changes.push(format!(
            "kind {} → {}",
            old.kind().as_str(),
            new.kind().as_str()
        )),
    }
    changes.extend(
        after
            .values_replaced
            .iter()
            .map(|key| format!("value of {key} replaced")),
    );
    changes
}

/// Store, refresh interval and keys of an External secret.
fn external(old: &ExternalSpec, new: &ExternalSpec, changes: &mut Vec<String>) {
    if old.store != new.store {
        changes.push(format!("store {} → {}", old.store, new.store));
    }
    let (old_interval, new_interval) = (
        short_duration(&old.refresh_interval),
        short_duration(&new.refresh_interval),
    );
    if old_interval != new_interval {
        changes.push(format!("refresh interval {old_interval} → {new_interval}"));
    }
    fn find<'a>(data: &'a [ExternalDataEntry], key: &str) -> Option<&'a ExternalDataEntry> {
        data.iter().find(|e| e.secret_key == key)
    }
    for entry in &old.data {
        if find(&new.data, &entry.secret_key).is_none() {
            changes.push(format!("key {} removed", entry.secret_key));
        }
    }
    for entry in &new.data {
        let key = &entry.secret_key;
        let Some(was) = find(&old.data, key) else {
            changes.push(format!("key {key} added (remote key {})", entry.remote_key));
            continue;
        };
        if was.remote_key != entry.remote_key {
            changes.push(format!(
                "remote key of {key}: {} → {}",
                was.remote_key, entry.remote_key
            ));
        }
        let or = |value: &Option<String>, none: &str| value.clone().unwrap_or_else(|| none.into());
        if was.property != entry.property {
            changes.push(format!(
                "property of {key}: {} → {}",
                or(&was.property, "none"),
                or(&entry.property, "none")
            ));
        }
        if was.version != entry.version {
            changes.push(format!(
                "version of {key}: {} → {}",
                or(&was.version, "latest"),
                or(&entry.version, "latest")
            ));
        }
    }
}

/// Type and key names of a Kubernetes secret.
fn kubernetes(old: &KubernetesSpec, new: &KubernetesSpec, changes: &mut Vec<String>) {
    if old.secret_type != new.secret_type {
        changes.push(format!("type {} → {}", old.secret_type, new.secret_type));
    }
    for key in old.keys.iter().filter(|k| !new.keys.contains(k)) {
        changes.push(format!("key {key} removed"));
    }
    for key in new.keys.iter().filter(|k| !old.keys.contains(k)) {
        changes.push(format!("key {key} added"));
    }
}

/// A Go duration as a person writes it: the `1h0m0s` a cluster stores reads `1h`, `15m0s`
/// reads `15m`; anything else as it is.
fn short_duration(text: &str) -> String {
    let text = text
        .strip_suffix("m0s")
        .map_or_else(|| text.to_owned(), |minutes| format!("{minutes}m"));
    match text.strip_suffix("h0m") {
        Some(hours) => format!("{hours}h"),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn external_snapshot(interval: &str, data: serde_json::Value) -> String {
        serde_json::json!({
            "use_case": "Generic",
            "description": "",
            "spec": {"kind": "External", "store": "vault", "refresh_interval": interval, "data": data},
        })
        .to_string()
    }

    fn entry(key: &str, remote: &str) -> serde_json::Value {
        serde_json::json!({"secret_key": key, "remote_key": remote, "property": null, "version": null})
    }

    #[test]
    fn an_external_edit_names_the_interval_and_each_key_it_changed() {
        let before = external_snapshot(
            "1h0m0s",
            serde_json::json!([entry("api-key", "a"), entry("old", "shared/old")]),
        );
        let after = external_snapshot(
            "15m0s",
            serde_json::json!([
                entry("api-key", "b"),
                entry("password", "shared/db/password")
            ]),
        );
        assert_eq!(
            spec_changes(Some(&before), Some(&after)),
            [
                "refresh interval 1h → 15m",
                "key old removed",
                "remote key of api-key: a → b",
                "key password added (remote key shared/db/password)",
            ]
        );
    }

    #[test]
    fn a_property_or_version_change_says_from_what_to_what() {
        let before = external_snapshot("1h0m0s", serde_json::json!([entry("k", "r")]));
        let after = external_snapshot(
            "1h30m0s",
            serde_json::json!([{"secret_key": "k", "remote_key": "r", "property": "pw", "version": "v2"}]),
        );
        assert_eq!(
            spec_changes(Some(&before), Some(&after)),
            [
                "refresh interval 1h → 1h30m",
                "property of k: none → pw",
                "version of k: latest → v2",
            ]
        );
    }

    #[test]
    fn a_kubernetes_edit_names_type_keys_and_replaced_values_never_a_value() {
        let snapshot = |kind: &str, keys: &[&str], replaced: &[&str]| {
            serde_json::json!({
                "use_case": "Generic",
                "description": "",
                "spec": {"kind": "Kubernetes", "secret_type": kind, "keys": keys},
                "values_replaced": replaced,
            })
            .to_string()
        };
        let before = snapshot("Opaque", &["password", "token"], &[]);
        let after = snapshot(
            "kubernetes.io/tls",
            &["tls.crt", "tls.key", "token"],
            &["token"],
        );
        assert_eq!(
            spec_changes(Some(&before), Some(&after)),
            [
                "type Opaque → kubernetes.io/tls",
                "key password removed",
                "key tls.crt added",
                "key tls.key added",
                "value of token replaced",
            ]
        );
    }

    #[test]
    fn use_case_and_description_are_compared_but_the_description_is_not_quoted() {
        let before = serde_json::json!({"use_case": "Generic", "description": "old words",
            "spec": {"kind": "Kubernetes", "secret_type": "Opaque", "keys": ["a"]}})
        .to_string();
        let after = serde_json::json!({"use_case": "Database", "description": "new words",
            "spec": {"kind": "Kubernetes", "secret_type": "Opaque", "keys": ["a"]}})
        .to_string();
        let changes = spec_changes(Some(&before), Some(&after));
        assert_eq!(
            changes,
            ["use case Generic → Database", "description changed"]
        );
    }

    #[test]
    fn entries_without_two_snapshots_of_a_secret_have_no_changes() {
        let spec = external_snapshot("1h0m0s", serde_json::json!([entry("k", "r")]));
        assert!(spec_changes(None, Some(&spec)).is_empty(), "a create");
        assert!(spec_changes(Some(&spec), None).is_empty(), "a delete");
        assert!(
            spec_changes(Some(&spec), Some(&spec)).is_empty(),
            "no change"
        );
        let projects = r#"{"projects":[1,2]}"#;
        assert!(spec_changes(Some(projects), Some(r#"{"projects":[1]}"#)).is_empty());
        assert!(spec_changes(Some("not json"), Some(&spec)).is_empty());
    }

    #[test]
    fn go_durations_read_as_a_person_writes_them() {
        assert_eq!(short_duration("1h0m0s"), "1h");
        assert_eq!(short_duration("15m0s"), "15m");
        assert_eq!(short_duration("1h30m0s"), "1h30m");
        assert_eq!(short_duration("1m30s"), "1m30s");
        assert_eq!(short_duration("0s"), "0s");
    }
}
