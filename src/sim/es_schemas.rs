//! The schemas the simulated API server enforces for External Secrets Operator's v1 kinds:
//! written for the fields the console and its tests use; everything else is preserved unpruned.
//!
//! They are hand-written after the `v1` version of ESO v2.9.0's CRDs. Modelled fields carry the
//! real types, enums, patterns, lengths, `required` lists and defaults, and objects list all of
//! their real fields, so unknown fields are pruned as a real cluster prunes them. Subtrees that
//! are not modelled (`target.template`, `dataFrom` items, `sourceRef` refs, providers other than
//! `fake`, …) are `x-kubernetes-preserve-unknown-fields` objects that still declare every
//! `default` the real CRD has inside them, so that defaulting, and thus what a GitOps diff sees,
//! matches a real cluster; only validation inside them is left to the real server.
//! The real v1 schemas have no CEL rules (`x-kubernetes-validations`) in the modelled parts.

use std::sync::LazyLock;

use serde_json::{Value, json};

use super::schema::Schema;

/// A DNS-1123 subdomain, the pattern ESO puts on the names of the objects it refers to.
const DNS_SUBDOMAIN: &str = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$";

/// The providers a `ClusterSecretStore` can name (`spec.provider` holds exactly one).
const PROVIDERS: &str = "akeyless aws azurekv barbican beyondtrust beyondtrustworkloadcredentials \
    bitwardensecretsmanager chef cloudrusm conjur crd delinea doppler dvls fake fortanix gcpsm \
    github gitlab ibm infisical keepersecurity kubernetes nebiusmysterybox ngrok onboardbase \
    onepassword onepasswordSDK openBao oracle ovh passbolt passworddepot previder pulumi scaleway \
    secretserver senhasegura vault volcengine webhook yandexcertificatemanager yandexlockbox";

/// `ExternalSecret` `external-secrets.io/v1`.
pub fn external_secret_v1() -> Schema {
    // Built (and its patterns compiled) once: the API server asks for it on every write.
    static SCHEMA: LazyLock<Schema> = LazyLock::new(|| Schema::new(external_secret()));
    SCHEMA.clone()
}

/// `ClusterSecretStore` `external-secrets.io/v1`.
pub fn cluster_secret_store_v1() -> Schema {
    static SCHEMA: LazyLock<Schema> = LazyLock::new(|| Schema::new(cluster_secret_store()));
    SCHEMA.clone()
}

pub(crate) fn external_secret() -> Value {
    let name =
        json!({"type": "string", "minLength": 1, "maxLength": 253, "pattern": DNS_SUBDOMAIN});
    let remote_ref = json!({"type": "object", "required": ["key"], "properties": {
        "key": string(), "property": string(), "version": string(),
        "conversionStrategy": one_of(&["Default", "Unicode"]),
        "decodingStrategy": one_of(&["Auto", "Base64", "Base64URL", "None"]),
        "metadataPolicy": one_of(&["None", "Fetch"]),
        "nullBytePolicy": one_of(&["Ignore", "Fail"]),
    }});
    let generator_api = default("generators.external-secrets.io/v1alpha1", &[]);
    let generator_ref = with_defaults(preserved(), json!({ "apiVersion": generator_api }));
    let source_ref = json!({"type": "object", "minProperties": 1, "maxProperties": 1,
        "properties": {"generatorRef": generator_ref, "storeRef": preserved()}});
    let template_as = default("Values", &["Values", "KeysAndValues"]);
    let template = with_defaults(
        preserved(),
        json!({
            "engineVersion": default("v2", &["v2"]),
            "mergePolicy": default("Replace", &["Replace", "Merge"]),
            "templateFrom[].target": default("Data", &[]),
            "templateFrom[].configMap.items[].templateAs": template_as,
            "templateFrom[].secret.items[].templateAs": template_as,
        }),
    );
    let data_from = json!({"type": "object", "x-kubernetes-preserve-unknown-fields": true,
        "properties": {"extract": preserved(), "find": preserved(), "sourceRef": source_ref}});
    let data_from = with_defaults(
        data_from,
        json!({
            "rewrite[].merge.conflictPolicy": default("Error", &["Ignore", "Error"]),
            "rewrite[].merge.into": default("", &[]),
            "rewrite[].merge.priorityPolicy": default("Strict", &["IgnoreNotFound", "Strict"]),
            "rewrite[].merge.strategy": default("Extract", &["Extract", "JSON"]),
        }),
    );
    let creation_policies = ["Owner", "Orphan", "Merge", "None", "CreateOrMerge"];
    let target = json!({
        "type": "object", "default": {"creationPolicy": "Owner", "deletionPolicy": "Retain"},
        "properties": {
            "name": name, "immutable": {"type": "boolean"},
            "creationPolicy": default("Owner", &creation_policies),
            "deletionPolicy": default("Retain", &["Delete", "Merge", "Retain"]),
            "template": template, "manifest": preserved(),
        },
    });
    let secret_key = json!({"type": "string", "minLength": 1, "maxLength": 253,
                            "pattern": "^[-._a-zA-Z0-9]+$"});
    let data = json!({"type": "object", "required": ["remoteRef", "secretKey"],
        "properties": {"secretKey": secret_key, "remoteRef": remote_ref, "sourceRef": source_ref}});
    let spec = json!({"type": "object", "properties": {
        "refreshInterval": {"type": "string", "default": "1h0m0s"},
        "refreshPolicy": one_of(&["CreatedOnce", "Periodic", "OnChange"]),
        "secretStoreRef": {"type": "object", "properties": {
            "kind": one_of(&["SecretStore", "ClusterSecretStore"]), "name": name}},
        "target": target,
        "data": {"type": "array", "items": data},
        "dataFrom": {"type": "array", "items": data_from},
        "syncWindows": preserved(),
    }});
    let binding = json!({"type": "object", "x-kubernetes-map-type": "atomic",
                         "properties": {"name": {"type": "string", "default": ""}}});
    let status = json!({"type": "object", "properties": {
        "conditions": conditions(one_of(&["Ready", "Deleted"])),
        "refreshTime": {"type": "string", "format": "date-time", "nullable": true},
        "syncedResourceVersion": string(),
        "binding": binding,
    }});
    resource(spec, status)
}

pub(crate) fn cluster_secret_store() -> Value {
    let fake_data = json!({"type": "object", "required": ["key", "value"], "properties": {
        "key": string(), "value": string(), "version": string()}});
    let fake = json!({"type": "object", "required": ["data"], "properties": {
        "data": {"type": "array", "items": fake_data},
        "validationResult": {"type": "integer"},
    }});
    let mut provider = json!({"type": "object", "minProperties": 1, "maxProperties": 1});
    for name in PROVIDERS.split_whitespace() {
        provider["properties"][name] = preserved();
    }
    provider["properties"]["fake"] = fake;
    let int_or_string = json!({"x-kubernetes-int-or-string": true,
                               "anyOf": [{"type": "integer"}, {"type": "string"}]});
    let retry = json!({"type": "object", "properties": {
        "maxRetries": {"type": "integer", "format": "int32"}, "retryInterval": string()}});
    let spec = json!({"type": "object", "required": ["provider"], "properties": {
        "controller": string(),
        "refreshInterval": int_or_string,
        "retrySettings": retry,
        "conditions": {"type": "array", "items": preserved()},
        "provider": with_defaults(provider, provider_defaults()),
    }});
    let status = json!({"type": "object", "properties": {
        "conditions": conditions(string()),
        "capabilities": string(),
    }});
    resource(spec, status)
}

/// The defaults the real CRD declares inside the providers that are not modelled, by path.
fn provider_defaults() -> Value {
    let version = || default("v2", &["v1", "v2"]);
    let azure_auth = ["ServicePrincipal", "ManagedIdentity", "WorkloadIdentity"];
    let clouds = [
        "PublicCloud",
        "USGovernmentCloud",
        "ChinaCloud",
        "GermanCloud",
        "AzureStackCloud",
    ];
    json!({
        "aws.sessionTagsPolicy": default("None", &["None", "Simple", "Custom"]),
        "azurekv.authType": default("ServicePrincipal", &azure_auth),
        "azurekv.environmentType": default("PublicCloud", &clouds),
        "azurekv.useAzureSDK": default(false, &[]),
        "beyondtrust.server.decrypt": default(true, &[]),
        "crd.server.url": default("kubernetes.default", &[]),
        "doppler.auth.oidcConfig.expirationSeconds": default(600, &[]),
        "gcpsm.secretVersionSelectionPolicy": default("LatestOrFail", &[]),
        "github.url": default("https://github.com/", &[]),
        "infisical.hostAPI": default("https://app.infisical.com/api", &[]),
        "infisical.secretsScope.expandSecretReferences": default(true, &[]),
        "infisical.secretsScope.recursive": default(false, &[]),
        "infisical.secretsScope.secretsPath": default("/", &[]),
        "kubernetes.remoteNamespace": default("default", &[]),
        "kubernetes.server.url": default("kubernetes.default", &[]),
        "ngrok.apiUrl": default("https://api.ngrok.com", &[]),
        "onboardbase.apiHost": default("https://public.onboardbase.com/api/v1/", &[]),
        "onboardbase.environment": default("development", &[]),
        "onboardbase.project": default("development", &[]),
        "onepasswordSDK.cache.maxSize": default(100, &[]),
        "onepasswordSDK.cache.ttl": default("5m", &[]),
        "onepasswordSDK.integrationInfo.name": default("1Password SDK", &[]),
        "onepasswordSDK.integrationInfo.version": default("v1.0.0", &[]),
        "openBao.auth.appRole.path": default("approle", &[]),
        "openBao.auth.userPass.path": default("userpass", &[]),
        "openBao.version": version(),
        "ovh.okmsTimeout": default(30, &[]),
        "pulumi.apiUrl": default("https://api.pulumi.com/api/esc", &[]),
        "pulumi.auth.oidcConfig.expirationSeconds": default(600, &[]),
        "senhasegura.ignoreSslCertificate": default(false, &[]),
        "vault.auth.appRole.path": default("approle", &[]),
        "vault.auth.cert.path": default("cert", &[]),
        "vault.auth.gcp.path": default("gcp", &[]),
        "vault.auth.jwt.path": default("jwt", &[]),
        "vault.auth.kubernetes.mountPath": default("kubernetes", &[]),
        "vault.auth.ldap.path": default("ldap", &[]),
        "vault.auth.userPass.path": default("userpass", &[]),
        "vault.version": version(),
    })
}

/// The object around a kind's `spec` and `status`.
fn resource(spec: Value, status: Value) -> Value {
    json!({"type": "object", "properties": {
        "apiVersion": string(), "kind": string(), "metadata": {"type": "object"},
        "spec": spec, "status": status,
    }})
}

/// `status.conditions`, whose `type` differs between the kinds.
fn conditions(condition_type: Value) -> Value {
    let condition = json!({"type": "object", "required": ["status", "type"], "properties": {
        "type": condition_type, "status": string(), "reason": string(), "message": string(),
        "lastTransitionTime": {"type": "string", "format": "date-time"},
    }});
    json!({"type": "array", "items": condition})
}

fn string() -> Value {
    json!({"type": "string"})
}

fn one_of(values: &[&str]) -> Value {
    json!({"type": "string", "enum": values})
}

/// A scalar with a default, and its allowed values when it has an enum.
fn default(value: impl Into<Value>, allowed: &[&str]) -> Value {
    let value = value.into();
    let kind = match &value {
        Value::Bool(_) => "boolean",
        Value::Number(_) => "integer",
        _ => "string",
    };
    let mut schema = json!({"type": kind, "default": value});
    if !allowed.is_empty() {
        schema["enum"] = json!(allowed);
    }
    schema
}

/// An object whose content is not modelled: kept as it is.
fn preserved() -> Value {
    json!({"type": "object", "x-kubernetes-preserve-unknown-fields": true})
}

/// Declares `defaults` (leaf schemas by dotted path of properties, `name[]` standing for an
/// array of objects) in `node`, creating the objects on the way as preserved ones.
fn with_defaults(mut node: Value, defaults: Value) -> Value {
    for (path, leaf) in defaults.as_object().into_iter().flatten() {
        let segments: Vec<&str> = path.split('.').collect();
        let mut at = &mut node;
        for (i, segment) in segments.iter().enumerate() {
            let (name, array) = segment
                .strip_suffix("[]")
                .map_or((*segment, false), |n| (n, true));
            at = &mut at["properties"][name];
            if i + 1 == segments.len() {
                *at = leaf.clone();
            } else if array {
                if at.is_null() {
                    *at = json!({"type": "array", "items": preserved()});
                }
                at = &mut at["items"];
            } else if at.is_null() {
                *at = preserved();
            }
        }
    }
    node
}

#[cfg(test)]
mod agrees_with_real_crds {
    //! Checks the hand-written schemas against the real CRDs, read from
    //! `$SECRETS_CONSOLE_ESO_CRDS`, else `../shared/crds` next to the crate, else
    //! `/work/shared/crds`; `SECRETS_CONSOLE_SKIP_CRD_TESTS=1` skips these tests.

    use std::collections::BTreeSet;
    use std::path::{Path, PathBuf};
    use std::sync::OnceLock;

    use serde_json::{Value, json};

    use super::*;

    /// The real `v1` openAPIV3Schemas of ExternalSecret and ClusterSecretStore, or None when
    /// told to skip. Panics, naming where it looked, when the CRDs cannot be found.
    fn real() -> Option<&'static (Value, Value)> {
        static REAL: OnceLock<Option<(Value, Value)>> = OnceLock::new();
        REAL.get_or_init(|| {
            if std::env::var("SECRETS_CONSOLE_SKIP_CRD_TESTS").as_deref() == Ok("1") {
                eprintln!("SECRETS_CONSOLE_SKIP_CRD_TESTS=1: not comparing with the real CRDs");
                return None;
            }
            let candidates: Vec<PathBuf> = match std::env::var_os("SECRETS_CONSOLE_ESO_CRDS") {
                Some(dir) => vec![dir.into()],
                None => vec![
                    Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/crds"),
                    PathBuf::from("/work/shared/crds"),
                ],
            };
            let Some(dir) = candidates.iter().find(|dir| dir.is_dir()) else {
                panic!(
                    "the real ESO CRDs were not found in {candidates:?}: set \
                     SECRETS_CONSOLE_ESO_CRDS to their directory, or \
                     SECRETS_CONSOLE_SKIP_CRD_TESTS=1 to skip this comparison"
                );
            };
            let load = |file: &str| {
                let path = dir.join(file);
                let text = std::fs::read_to_string(&path)
                    .unwrap_or_else(|e| panic!("reading {}: {e}", path.display()));
                let crd: Value = serde_saphyr::from_str(&text)
                    .unwrap_or_else(|e| panic!("parsing {}: {e}", path.display()));
                let versions = crd["spec"]["versions"]
                    .as_array()
                    .cloned()
                    .unwrap_or_default();
                let v1 = versions.into_iter().find(|v| v["name"] == "v1");
                let v1 = v1.unwrap_or_else(|| panic!("{} has no version v1", path.display()));
                v1["schema"]["openAPIV3Schema"].clone()
            };
            let external_secret = load("external-secrets.io_externalsecrets.yaml");
            Some((
                external_secret,
                load("external-secrets.io_clustersecretstores.yaml"),
            ))
        })
        .as_ref()
    }

    /// Built-in and real schema of each kind, by kind name.
    fn pairs() -> Option<[(&'static str, Value, &'static Value); 2]> {
        let (external_secret, store) = real()?;
        Some([
            ("ExternalSecret", super::external_secret(), external_secret),
            ("ClusterSecretStore", super::cluster_secret_store(), store),
        ])
    }

    fn external(spec: Value) -> Value {
        let metadata = json!({"name": "db", "namespace": "apps", "labels": {"team": "a"}});
        json!({"apiVersion": "external-secrets.io/v1", "kind": "ExternalSecret",
               "metadata": metadata, "spec": spec})
    }

    fn store(spec: Value) -> Value {
        json!({"apiVersion": "external-secrets.io/v1", "kind": "ClusterSecretStore",
               "metadata": {"name": "fake"}, "spec": spec})
    }

    /// Named objects, with whether a real server accepts them.
    fn corpus() -> Vec<(&'static str, bool, Value)> {
        let store_ref = json!({"name": "fake", "kind": "ClusterSecretStore"});
        let password = json!([{"secretKey": "password", "remoteRef": {"key": "/db/password"}}]);
        let minimal = external(json!({"secretStoreRef": store_ref, "data": password}));
        let mut full = external(json!({
            "refreshInterval": "15m", "refreshPolicy": "Periodic", "secretStoreRef": store_ref,
            "target": {"name": "db-creds", "creationPolicy": "Merge", "deletionPolicy": "Delete",
                "immutable": true, "template": {"type": "kubernetes.io/basic-auth",
                    "engineVersion": "v2", "data": {"url": "{{ .host }}"},
                    "metadata": {"labels": {"app": "db"}},
                    "templateFrom": [{"configMap": {"name": "tpl", "items": [{"key": "cfg"}]}},
                                     {"literal": "{{ .x }}"}]}},
            "data": [{"secretKey": "password", "remoteRef": {"key": "/db", "property": "pw",
                "version": "3", "conversionStrategy": "Default", "decodingStrategy": "None",
                "metadataPolicy": "None", "nullBytePolicy": "Ignore"}}],
            "dataFrom": [{"extract": {"key": "/db"}}],
        }));
        full["status"] = json!({
            "conditions": [{"type": "Ready", "status": "True", "reason": "SecretSynced",
                            "message": "ok", "lastTransitionTime": "2024-05-01T10:00:00Z"}],
            "refreshTime": "2024-05-01T10:00:00Z", "syncedResourceVersion": "1-abc",
            "binding": {"name": "db-creds"},
        });
        let property = external(json!({"secretStoreRef": store_ref, "data": [
            {"secretKey": "user", "remoteRef": {"key": "/db", "property": "user", "version": "v3"}},
        ]}));
        let data_from = external(json!({"secretStoreRef": store_ref, "dataFrom": [
            {"extract": {"key": "/db"}},
            {"find": {"name": {"regexp": "^db-"}, "tags": {"env": "prod"}},
             "rewrite": [{"regexp": {"source": "db-", "target": ""}}, {"merge": {}}]},
            {"sourceRef": {"generatorRef": {"kind": "Password", "name": "pw"}}},
        ]}));
        let bad_enums = external(json!({
            "refreshPolicy": "Always", "secretStoreRef": {"name": "fake", "kind": "Store"},
            "target": {"creationPolicy": "Sometimes"},
            "data": [{"secretKey": "a", "remoteRef": {"key": "k", "decodingStrategy": "Base32"}}],
        }));
        let missing = external(json!({"secretStoreRef": store_ref, "data": [
            {"secretKey": "a", "remoteRef": {"property": "p"}}, {"remoteRef": {"key": "k"}},
        ]}));
        let mut wrong_types = external(json!({
            "refreshInterval": 3600, "secretStoreRef": {"name": 42}, "target": {"immutable": "yes"},
            "data": {"secretKey": "a"}, "dataFrom": [{"extract": "k"}],
        }));
        wrong_types["status"] = json!({"refreshTime": 5, "conditions": [
            {"type": "Ready", "status": true, "lastTransitionTime": "yesterday"}]});
        let strings = external(json!({
            "secretStoreRef": {"name": "Fake_Store"}, "target": {"name": "x".repeat(254)},
            "data": [{"secretKey": "", "remoteRef": {"key": "k"}},
                     {"secretKey": "bad key!", "remoteRef": {"key": "k"}}],
        }));
        let mut unknown = external(json!({
            "secretStoreRef": {"name": "fake", "namespace": "x"}, "foo": 1,
            "target": {"bogus": true, "template": {"data": {"a": "b"}}},
            "data": [{"secretKey": "a", "bogus": 1, "remoteRef": {"key": "k", "bogus": 2},
                      "sourceRef": {"storeRef": {"name": "s"}, "bogus": {}}}],
        }));
        unknown["extra"] = json!({"a": 1});
        unknown["status"] = json!({"bogus": 1, "binding": {"name": "x", "uid": "1"}});
        unknown["metadata"]["annotations"] = json!({"kept": "yes"});
        let mut nulls = external(json!({
            "refreshInterval": null, "target": null, "secretStoreRef": store_ref,
            "data": [{"secretKey": "a", "remoteRef": {"key": "k", "property": null}}],
        }));
        nulls["status"] = json!({"refreshTime": null, "binding": {"name": null}});

        let fake = json!({"data": [{"key": "/db/password", "value": "s3cr3t"},
                                   {"key": "/db", "value": "{\"a\":1}", "version": "v1"}],
                          "validationResult": 0});
        let mut fake_store = store(json!({
            "controller": "dev", "refreshInterval": 60, "provider": {"fake": fake},
            "retrySettings": {"maxRetries": 3, "retryInterval": "10s"},
            "conditions": [{"namespaces": ["apps"]}],
        }));
        fake_store["status"] = json!({"capabilities": "ReadWrite", "conditions": [
            {"type": "Ready", "status": "True", "reason": "Valid", "message": "store validated",
             "lastTransitionTime": "2024-05-01T10:00:00Z"}]});
        let vault = store(json!({"refreshInterval": "1m", "provider": {"vault": {
            "server": "https://vault:8200", "path": "secret",
            "auth": {"kubernetes": {"role": "eso", "serviceAccountRef": {"name": "eso"}}},
        }}}));
        let broken = store(json!({"refreshInterval": true, "provider": {
            "fake": {"data": [{"key": "a"}], "validationResult": "x"},
            "vault": {"server": "https://vault:8200"},
        }}));
        let unknown_store = store(json!({"bogus": 1, "retrySettings": {"bogus": 1},
            "provider": {"notAProvider": {}, "fake": {"bogus": 1, "data": [
                {"key": "k", "value": "v", "bogus": 1, "valueMap": {"a": "b"}}]}}}));
        vec![
            ("minimal ExternalSecret", true, minimal),
            ("fully specified ExternalSecret", true, full),
            ("property and version", true, property),
            ("dataFrom", true, data_from),
            ("invalid enums", false, bad_enums),
            ("missing required fields", false, missing),
            ("wrong types", false, wrong_types),
            ("string lengths and patterns", false, strings),
            ("unknown fields at several levels", true, unknown),
            ("explicit nulls", true, nulls),
            ("fake ClusterSecretStore", true, fake_store),
            ("vault ClusterSecretStore", true, vault),
            ("two providers and broken fake data", false, broken),
            ("no provider", false, store(json!({"controller": "dev"}))),
            (
                "unknown provider only",
                false,
                store(json!({"provider": {"notAProvider": {}}})),
            ),
            ("unknown fields in a store", true, unknown_store),
        ]
    }

    #[test]
    fn built_in_and_real_schemas_store_and_reject_the_same() {
        let Some(real) = real() else { return };
        let external_secret = (external_secret_v1(), Schema::new(real.0.clone()));
        let store = (cluster_secret_store_v1(), Schema::new(real.1.clone()));
        for (name, valid, object) in corpus() {
            let (built_in, real) = if object["kind"] == "ExternalSecret" {
                &external_secret
            } else {
                &store
            };
            let stored = |schema: &Schema| {
                let mut object = object.clone();
                schema.prune(&mut object);
                schema.apply_defaults(&mut object);
                object
            };
            let (ours, theirs) = (stored(built_in), stored(real));
            assert_eq!(ours, theirs, "{name}: the stored objects differ");
            // Whole errors, messages included: their order is deterministic.
            let errors = real.validate(&theirs);
            assert_eq!(
                built_in.validate(&ours),
                errors,
                "{name}: the errors differ"
            );
            assert_eq!(errors.is_empty(), valid, "{name}: {errors:#?}");
        }
    }

    /// Compares each node the built-in schema declares with the real one at the same place:
    /// the constraints it states must be the real ones, and outside preserved subtrees it must
    /// state them all and list every real property.
    fn compare(
        ours: &Value,
        theirs: &Value,
        at: &str,
        preserved: bool,
        problems: &mut Vec<String>,
    ) {
        const RULES: [&str; 15] = [
            "type",
            "format",
            "enum",
            "default",
            "nullable",
            "pattern",
            "minLength",
            "maxLength",
            "minItems",
            "maxItems",
            "minProperties",
            "maxProperties",
            "required",
            "anyOf",
            "x-kubernetes-int-or-string",
        ];
        let preserved = preserved || ours["x-kubernetes-preserve-unknown-fields"] == true;
        for rule in RULES {
            let (mine, real) = (ours.get(rule), theirs.get(rule));
            if (mine.is_some() || !preserved) && mine != real {
                problems.push(format!("{at}: {rule} is {mine:?}, the CRD has {real:?}"));
            }
        }
        let names = |node: &Value| -> BTreeSet<String> {
            node["properties"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, _)| k.clone())
                .collect()
        };
        let (mine, real) = (names(ours), names(theirs));
        if !mine.is_subset(&real) || (!preserved && mine != real) {
            problems.push(format!("{at}: properties {mine:?}, the CRD has {real:?}"));
        }
        for name in mine.intersection(&real) {
            let (o, t) = (&ours["properties"][name], &theirs["properties"][name]);
            compare(o, t, &format!("{at}.{name}"), preserved, problems);
        }
        if let Some(items) = ours.get("items") {
            compare(
                items,
                &theirs["items"],
                &format!("{at}[]"),
                preserved,
                problems,
            );
        }
    }

    #[test]
    fn every_modelled_node_matches_the_real_crd() {
        let Some(pairs) = pairs() else { return };
        for (kind, ours, theirs) in pairs {
            let mut problems = Vec::new();
            compare(&ours, theirs, kind, false, &mut problems);
            assert!(problems.is_empty(), "{kind}:\n{}", problems.join("\n"));
        }
    }

    /// Every `default` in a schema, by JSON pointer.
    fn defaults(node: &Value, at: &str, found: &mut Vec<(String, Value)>) {
        if let Some(default) = node.get("default") {
            found.push((format!("{at}/default"), default.clone()));
        }
        for (name, property) in node["properties"].as_object().into_iter().flatten() {
            defaults(property, &format!("{at}/properties/{name}"), found);
        }
        if let Some(items) = node.get("items") {
            defaults(items, &format!("{at}/items"), found);
        }
    }

    #[test]
    fn every_real_default_is_built_in_with_the_same_value() {
        let Some(pairs) = pairs() else { return };
        for (kind, ours, theirs) in pairs {
            let (mut mine, mut real) = (Vec::new(), Vec::new());
            defaults(&ours, "", &mut mine);
            defaults(theirs, "", &mut real);
            assert!(
                !real.is_empty(),
                "{kind}: the real CRD declares no defaults?"
            );
            for (at, value) in &real {
                assert_eq!(ours.pointer(at), Some(value), "{kind}: default at {at}");
            }
            assert_eq!(
                mine.len(),
                real.len(),
                "{kind}: defaults the real CRD does not have"
            );
        }
    }
}
