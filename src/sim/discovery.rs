//! Discovery: `/api`, `/apis`, `/apis/<group>` and each group/version's resource list, over
//! the stored kinds (`resources::TYPES`) and those served beside them (`served_kinds`).

use serde_json::{Value, json};

use super::resources::{ResourceType, TYPES};
use super::served_kinds;

/// `/api`: the core group's versions.
pub fn core_versions(server_address: &str) -> Value {
    json!({
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}],
    })
}

/// The group/version pairs other than core, in discovery order (after the served kinds', the
/// groups of the self-reviews, `reviews.rs`, and of the kinds served empty, `unmodelled.rs`).
fn groups() -> Vec<(&'static str, Vec<&'static str>)> {
    let mut groups: Vec<(&'static str, Vec<&'static str>)> = Vec::new();
    let reviews = served_kinds::REVIEW_KINDS.iter().copied();
    let others = TYPES
        .iter()
        .chain(reviews)
        .chain(&served_kinds::UNMODELLED_KINDS);
    for t in others.filter(|t| !t.group.is_empty()) {
        match groups.iter_mut().find(|(g, _)| *g == t.group) {
            Some((_, versions)) if !versions.contains(&t.version) => versions.push(t.version),
            Some(_) => {}
            None => groups.push((t.group, vec![t.version])),
        }
    }
    groups
}

fn group_json(group: &str, versions: &[&str]) -> Value {
    let versions: Vec<Value> = versions
        .iter()
        .map(|v| json!({"groupVersion": format!("{group}/{v}"), "version": v}))
        .collect();
    json!({
        "name": group,
        "versions": versions,
        "preferredVersion": versions[0],
    })
}

/// `/apis`: every non-core group.
pub fn group_list() -> Value {
    let groups: Vec<Value> = groups().iter().map(|(g, v)| group_json(g, v)).collect();
    json!({"kind": "APIGroupList", "apiVersion": "v1", "groups": groups})
}

/// `/apis/<group>`.
pub fn group(name: &str) -> Option<Value> {
    groups().iter().find(|(g, _)| *g == name).map(|(g, v)| {
        let mut value = group_json(g, v);
        value["kind"] = json!("APIGroup");
        value["apiVersion"] = json!("v1");
        value
    })
}

/// `/api/v1` or `/apis/<group>/<version>`: the resources of one group/version.
pub fn resource_list(group: &str, version: &str) -> Option<Value> {
    let resources: Vec<Value> = TYPES
        .iter()
        .filter(|t| t.group == group && t.version == version)
        .flat_map(ResourceType::discovery)
        .chain(served_kinds::review_discovery(group, version))
        .chain(served_kinds::unmodelled_discovery(group, version))
        .collect();
    if resources.is_empty() {
        return None;
    }
    let group_version = if group.is_empty() {
        version.to_owned()
    } else {
        format!("{group}/{version}")
    };
    Some(json!({
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": group_version,
        "resources": resources,
    }))
}
