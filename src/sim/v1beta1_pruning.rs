//! What an ExternalSecret written at `external-secrets.io/v1beta1` loses: kube-apiserver prunes
//! a custom resource by the structural schema of the version it is written at
//! (`structuralpruning.Prune`, apiextensions-apiserver `pkg/apiserver/schema/pruning`, run by
//! the handler's `schemaCoercingConverter`/`unstructuredSchemaCoercer` on the request's
//! version, `pkg/apiserver/customresource_handler.go`), so the fields only v1 has
//! ([`V1_ONLY_FIELDS`]) are dropped, or refused under `fieldValidation=Strict`. The older
//! install's conversion layer (`legacy_eso`) marks such writes; the store prunes them here. A
//! leaf: it depends on no other part of the simulated cluster's request path.

use serde_json::Value;

use super::resources::ResourceType;

/// The group whose ExternalSecrets are pruned.
const GROUP: &str = "external-secrets.io";

/// The (internal) request header that tells the store a write came at `v1beta1`; a client's
/// own is removed.
pub const WRITTEN_AT_V1BETA1: &str = "x-simulated-written-at-v1beta1";

/// The fields of ExternalSecret v1 that v1beta1's schema does not have, outermost only
/// (`name[]`: each item of the array `name`). Checked against the real CRD in the tests.
pub const V1_ONLY_FIELDS: [&str; 8] = [
    "spec.data[].remoteRef.nullBytePolicy",
    "spec.dataFrom[].extract.nullBytePolicy",
    "spec.dataFrom[].find.nullBytePolicy",
    "spec.dataFrom[].rewrite[].merge",
    "spec.syncWindows",
    "spec.target.manifest",
    "spec.target.template.metadata.finalizers",
    "spec.target.template.templateFrom[].valuesDecodingStrategy",
];

/// Drops from `object`, an ExternalSecret written at `v1beta1`, the fields v1beta1's schema
/// does not have ([`V1_ONLY_FIELDS`]). Other kinds are left alone.
pub fn prune_v1beta1(t: &ResourceType, object: &mut Value) {
    if t.group != GROUP || t.kind != "ExternalSecret" {
        return;
    }
    for field in V1_ONLY_FIELDS {
        let path: Vec<&str> = field.split('.').collect();
        visit(object, &path, "", &mut |_, parent, name| {
            parent.remove(name);
        });
    }
}

/// The fields of `object` (an ExternalSecret) that v1beta1's schema does not have, as dotted
/// paths with indexes (`spec.dataFrom[0].extract.nullBytePolicy`), as strict field
/// validation names them.
pub fn v1_only_fields(object: &Value) -> Vec<String> {
    let mut found = Vec::new();
    let mut object = object.clone();
    for field in V1_ONLY_FIELDS {
        let path: Vec<&str> = field.split('.').collect();
        visit(&mut object, &path, "", &mut |at, _, _| {
            found.push(at.to_owned())
        });
    }
    found
}

/// What [`visit`] calls for each field found: its path, its parent object and its name.
type Found<'a> = dyn FnMut(&str, &mut serde_json::Map<String, Value>, &str) + 'a;

/// Calls `found(path so far, parent, name)` for each field at `path` (segments, `name[]` for
/// each item of an array) under `node`.
fn visit(node: &mut Value, path: &[&str], at: &str, found: &mut Found<'_>) {
    let Some((segment, rest)) = path.split_first() else {
        return;
    };
    let Some(map) = node.as_object_mut() else {
        return;
    };
    let (name, each) = segment
        .strip_suffix("[]")
        .map_or((*segment, false), |name| (name, true));
    let here = if at.is_empty() {
        name.to_owned()
    } else {
        format!("{at}.{name}")
    };
    if rest.is_empty() {
        if map.contains_key(name) {
            found(&here, map, name);
        }
        return;
    }
    match map.get_mut(name) {
        Some(Value::Array(items)) if each => {
            for (i, item) in items.iter_mut().enumerate() {
                visit(item, rest, &format!("{here}[{i}]"), found);
            }
        }
        Some(child) if !each => visit(child, rest, &here, found),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::resources;
    use serde_json::json;

    fn external_secret_type() -> &'static ResourceType {
        let id = resources::by_kind(GROUP, "ExternalSecret").unwrap();
        &resources::TYPES[id]
    }

    #[test]
    fn a_v1beta1_write_loses_the_fields_only_v1_has_and_keeps_the_rest() {
        let mut object = json!({
            "apiVersion": "external-secrets.io/v1", "kind": "ExternalSecret",
            "metadata": {"name": "db"},
            "spec": {
                "secretStoreRef": {"name": "fake", "kind": "ClusterSecretStore"},
                "syncWindows": {"kind": "Allow", "windows": []},
                "target": {"manifest": {"kind": "ConfigMap"}, "template": {
                    "metadata": {"labels": {"a": "b"}, "finalizers": ["x"]},
                    "templateFrom": [{"literal": "{{ .a }}", "valuesDecodingStrategy": "Auto"}],
                }},
                "data": [{"secretKey": "a", "remoteRef": {"key": "k", "nullBytePolicy": "Fail"}}],
                "dataFrom": [
                    {"extract": {"key": "k", "nullBytePolicy": "Ignore"}},
                    {"find": {"path": "p", "nullBytePolicy": "Ignore"},
                     "rewrite": [{"regexp": {"source": "a", "target": "b"}}, {"merge": {}}]},
                ],
            },
        });
        assert_eq!(
            v1_only_fields(&object),
            [
                "spec.data[0].remoteRef.nullBytePolicy",
                "spec.dataFrom[0].extract.nullBytePolicy",
                "spec.dataFrom[1].find.nullBytePolicy",
                "spec.dataFrom[1].rewrite[1].merge",
                "spec.syncWindows",
                "spec.target.manifest",
                "spec.target.template.metadata.finalizers",
                "spec.target.template.templateFrom[0].valuesDecodingStrategy",
            ]
        );
        prune_v1beta1(external_secret_type(), &mut object);
        assert!(v1_only_fields(&object).is_empty());
        assert_eq!(
            object["spec"],
            json!({
                "secretStoreRef": {"name": "fake", "kind": "ClusterSecretStore"},
                "target": {"template": {
                    "metadata": {"labels": {"a": "b"}},
                    "templateFrom": [{"literal": "{{ .a }}"}],
                }},
                "data": [{"secretKey": "a", "remoteRef": {"key": "k"}}],
                "dataFrom": [
                    {"extract": {"key": "k"}},
                    {"find": {"path": "p"}, "rewrite": [{"regexp": {"source": "a", "target": "b"}}, {}]},
                ],
            })
        );
    }

    /// The fields only v1 has are those the real CRD's v1 schema has and its v1beta1 schema
    /// does not, each under an object v1beta1 prunes (no `x-kubernetes-preserve-unknown-fields`).
    /// Reads the CRD as `es_schemas`' comparison does; `SECRETS_CONSOLE_SKIP_CRD_TESTS=1` skips.
    #[test]
    fn the_fields_only_v1_has_are_the_real_crds() {
        use std::collections::{BTreeMap, BTreeSet};
        use std::path::{Path, PathBuf};

        if std::env::var("SECRETS_CONSOLE_SKIP_CRD_TESTS").as_deref() == Ok("1") {
            return;
        }
        let candidates: Vec<PathBuf> = match std::env::var_os("SECRETS_CONSOLE_ESO_CRDS") {
            Some(dir) => vec![dir.into()],
            None => vec![
                Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/crds"),
                PathBuf::from("/work/shared/crds"),
            ],
        };
        let dir = candidates
            .iter()
            .find(|dir| dir.is_dir())
            .unwrap_or_else(|| panic!("the real ESO CRDs were not found in {candidates:?}"));
        let text =
            std::fs::read_to_string(dir.join("external-secrets.io_externalsecrets.yaml")).unwrap();
        let crd: Value = serde_saphyr::from_str(&text).unwrap();
        let schema = |version: &str| {
            let versions = crd["spec"]["versions"].as_array().unwrap();
            let found = versions.iter().find(|v| v["name"] == version).unwrap();
            found["schema"]["openAPIV3Schema"].clone()
        };
        // Every property path, with whether its object keeps unknown fields.
        fn paths(node: &Value, at: &str, out: &mut BTreeMap<String, bool>) {
            let preserves = node["x-kubernetes-preserve-unknown-fields"] == json!(true);
            out.insert(at.to_owned(), preserves);
            for (name, child) in node["properties"].as_object().into_iter().flatten() {
                let here = if at.is_empty() {
                    name.clone()
                } else {
                    format!("{at}.{name}")
                };
                if child["type"] == "array" {
                    out.insert(here.clone(), false);
                    paths(&child["items"], &format!("{here}[]"), out);
                } else {
                    paths(child, &here, out);
                }
            }
        }
        let (mut v1, mut v1beta1) = (BTreeMap::new(), BTreeMap::new());
        paths(&schema("v1"), "", &mut v1);
        paths(&schema("v1beta1"), "", &mut v1beta1);
        // An array's items are under the array; a field under its object.
        let parent = |path: &str| match path.strip_suffix("[]") {
            Some(array) => array.to_owned(),
            None => path[..path.rfind('.').unwrap()].to_owned(),
        };
        let only_v1: BTreeSet<String> = v1
            .keys()
            .filter(|path| !v1beta1.contains_key(*path))
            .filter(|path| v1beta1.contains_key(&parent(path)))
            .cloned()
            .collect();
        let ours: BTreeSet<String> = V1_ONLY_FIELDS.iter().map(|f| (*f).to_owned()).collect();
        assert_eq!(ours, only_v1);
        for field in V1_ONLY_FIELDS {
            assert_eq!(
                v1beta1.get(&parent(field)),
                Some(&false),
                "{field}'s parent prunes"
            );
        }
    }
}
