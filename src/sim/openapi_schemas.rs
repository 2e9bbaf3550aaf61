//! OpenAPI schemas of the built-in kinds the simulated cluster serves, for `/openapi/v3` and
//! `/openapi/v2` (`openapi.rs`): enough for `kubectl explain secret.data`, `configmap`,
//! `namespace.status.phase`, `event.involvedObject`, `lease.spec` and the self-reviews.
//!
//! Hand-written, not generated: k8s-openapi ships no OpenAPI JSON and no real swagger is kept in
//! this repository. Definition names, property names, types and formats are those of
//! kube-apiserver's documents (`io.k8s.api.core.v1.Secret`, `…meta.v1.ObjectMeta`; refs
//! `#/definitions/<name>`, which `openapi.rs` rewrites for v3); the descriptions are short ones
//! written here (the real ones are the Go doc comments of k8s.io/api), but for the type meta and
//! metadata descriptions every kind shares, which are the API conventions' own words. Only
//! fields the served kinds have are listed; a kind's `x-kubernetes-group-version-kind` is added
//! by `openapi.rs`.

use serde_json::{Map, Value, json};

/// Where the definitions live in OpenAPI v2; v3 documents use `#/components/schemas/`.
pub(super) const REF_PREFIX: &str = "#/definitions/";

const META: &str = "io.k8s.apimachinery.pkg.apis.meta.v1.";
const CORE: &str = "io.k8s.api.core.v1.";

/// `TypeMeta.apiVersion`, as every kind (and a CRD's schema, `addTypeMetaProperties`) has it.
pub(super) fn api_version() -> Value {
    string(
        "APIVersion defines the versioned schema of this representation of an object. Servers \
         should convert recognized schemas to the latest internal value, and may reject \
         unrecognized values. More info: \
         https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources",
    )
}

/// `TypeMeta.kind`.
pub(super) fn kind() -> Value {
    string(
        "Kind is a string value representing the REST resource this object represents. Servers \
         may infer this from the endpoint the client submits requests to. Cannot be updated. In \
         CamelCase. More info: \
         https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds",
    )
}

/// An object's `metadata`: a ref to ObjectMeta with the description every kind gives it.
pub(super) fn object_metadata() -> Value {
    reference(
        &format!("{META}ObjectMeta"),
        "Standard object's metadata. More info: \
         https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#metadata",
    )
}

/// A list's `metadata`.
pub(super) fn list_metadata() -> Value {
    reference(
        &format!("{META}ListMeta"),
        "Standard list metadata. More info: \
         https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds",
    )
}

fn string(description: &str) -> Value {
    json!({"type": "string", "description": description})
}

fn boolean(description: &str) -> Value {
    json!({"type": "boolean", "description": description})
}

fn integer(format: &str, description: &str) -> Value {
    json!({"type": "integer", "format": format, "description": description})
}

fn strings(description: &str) -> Value {
    json!({"type": "array", "items": {"type": "string", "default": ""},
           "description": description})
}

fn string_map(description: &str) -> Value {
    json!({"type": "object", "additionalProperties": {"type": "string", "default": ""},
           "description": description})
}

/// A ref with a description beside it (v2 form; v3 wraps it in `allOf`).
pub(super) fn reference(name: &str, description: &str) -> Value {
    json!({"$ref": format!("{REF_PREFIX}{name}"), "description": description})
}

fn array_of(name: &str, description: &str) -> Value {
    json!({"type": "array", "items": {"$ref": format!("{REF_PREFIX}{name}")},
           "description": description})
}

/// An object with its properties (in the order given) and required ones.
fn object(description: &str, properties: Value, required: &[&str]) -> Value {
    let mut schema = json!({"type": "object", "description": description,
                            "properties": properties});
    if !required.is_empty() {
        schema["required"] = json!(required);
    }
    schema
}

/// A kind: type meta, metadata and its own properties.
fn kind_schema(description: &str, own: Value, required: &[&str]) -> Value {
    let mut properties = json!({"apiVersion": api_version(), "kind": kind(),
                                "metadata": object_metadata()});
    if let (Some(all), Some(own)) = (properties.as_object_mut(), own.as_object()) {
        all.extend(own.clone());
    }
    object(description, properties, required)
}

fn meta() -> Vec<(&'static str, Value)> {
    let time = || {
        json!({"type": "string", "format": "date-time",
        "description": "A point in time, RFC 3339 to the second (`2024-05-01T10:00:00Z`)."})
    };
    let owner_reference = object(
        "Names an object this one depends on; the garbage collector deletes this one once all \
         its owners are gone.",
        json!({
            "apiVersion": string("API version of the owner."),
            "kind": string("Kind of the owner."),
            "name": string("Name of the owner."),
            "uid": string("UID of the owner."),
            "controller": boolean("Whether the owner is this object's managing controller."),
            "blockOwnerDeletion": boolean(
                "Whether a foreground deletion of the owner waits for this object to go."),
        }),
        &["apiVersion", "kind", "name", "uid"],
    );
    let mut owner_reference = owner_reference;
    owner_reference["x-kubernetes-map-type"] = json!("atomic");
    let mut owners = array_of(
        &format!("{META}OwnerReference"),
        "The objects this one depends on.",
    );
    owners["x-kubernetes-patch-merge-key"] = json!("uid");
    owners["x-kubernetes-patch-strategy"] = json!("merge");
    owners["x-kubernetes-list-type"] = json!("map");
    owners["x-kubernetes-list-map-keys"] = json!(["uid"]);
    let mut finalizers = strings(
        "Conditions that must be cleared before the object is deleted from the registry; a \
         deletion only sets deletionTimestamp while any remain.",
    );
    finalizers["x-kubernetes-patch-strategy"] = json!("merge");
    finalizers["x-kubernetes-list-type"] = json!("set");
    let object_meta = object(
        "Metadata every persisted object has: name, namespace, labels, annotations, owners, \
         finalizers, and what the server records (uid, resourceVersion, timestamps, managed \
         fields).",
        json!({
            "name": string("Unique within a namespace; cannot be updated."),
            "generateName": string("A prefix the server completes with random characters when \
                                    no name is given."),
            "namespace": string("The namespace the object lives in; empty for cluster-scoped \
                                 kinds."),
            "selfLink": string("Deprecated; not set by the server."),
            "uid": string("Unique in time and space; set by the server."),
            "resourceVersion": string("Opaque version of the object, changed by every write; \
                                       used for optimistic concurrency and watches."),
            "generation": integer("int64", "Sequence number of changes to the desired state \
                                            (the spec)."),
            "creationTimestamp": reference(&format!("{META}Time"), "When the object was \
                                                                    created; set by the server."),
            "deletionTimestamp": reference(&format!("{META}Time"), "When deletion was \
                                           requested; the object goes once its finalizers do."),
            "deletionGracePeriodSeconds": integer("int64", "Seconds the object is allowed to \
                                                            terminate gracefully."),
            "labels": string_map("Key/value pairs selectors match on."),
            "annotations": string_map("Key/value pairs tools keep with the object; not \
                                       queryable."),
            "ownerReferences": owners,
            "finalizers": finalizers,
            "managedFields": array_of(&format!("{META}ManagedFieldsEntry"),
                "Which field manager owns which fields, as server-side apply records it."),
        }),
        &[],
    );
    let managed_fields_entry = object(
        "The fields one manager owns through one operation.",
        json!({
            "manager": string("The field manager (the client's fieldManager)."),
            "operation": string("Apply or Update."),
            "apiVersion": string("The version the fields are described in."),
            "time": reference(&format!("{META}Time"), "When the entry last changed."),
            "fieldsType": string("The format of fieldsV1: always FieldsV1."),
            "fieldsV1": reference(&format!("{META}FieldsV1"), "The owned fields."),
            "subresource": string("The subresource written, if any (status)."),
        }),
        &[],
    );
    let list_meta = object(
        "Metadata of a list: its resourceVersion and how to fetch the next page.",
        json!({
            "resourceVersion": string("The version the list was read at; a watch can start \
                                       from it."),
            "continue": string("Token for the next page when the list was limited."),
            "remainingItemCount": integer("int64", "How many items the following pages hold."),
            "selfLink": string("Deprecated; not set by the server."),
        }),
        &[],
    );
    let mut micro = time();
    micro["description"] = json!("A point in time with microseconds.");
    vec![
        ("ObjectMeta", object_meta),
        ("ListMeta", list_meta),
        ("OwnerReference", owner_reference),
        ("ManagedFieldsEntry", managed_fields_entry),
        ("Time", time()),
        ("MicroTime", micro),
        (
            "FieldsV1",
            json!({"type": "object", "description": "A set of fields, as JSON (`f:data: {}`)."}),
        ),
    ]
}

fn core() -> Vec<(&'static str, Value)> {
    let time = |d: &str| reference(&format!("{META}Time"), d);
    let micro_time = |d: &str| reference(&format!("{META}MicroTime"), d);
    let immutable = boolean(
        "If true, data cannot be changed once stored (only metadata can); it cannot be unset.",
    );
    let secret = kind_schema(
        "Secret holds secret data of a certain type: values up to 1 MiB in total, each key a \
         config key.",
        json!({
            "data": {"type": "object", "description": "The secret's values, base64-encoded in \
                     JSON and YAML. Keys: alphanumerics, '-', '_' or '.'.",
                     "additionalProperties": {"type": "string", "format": "byte"}},
            "stringData": string_map("Write-only plain-text values, merged into data on write \
                                      (they win over data's); never read back."),
            "type": string("Used to validate the data: Opaque (default), \
                            kubernetes.io/dockerconfigjson, kubernetes.io/tls, \
                            kubernetes.io/basic-auth, kubernetes.io/ssh-auth, …; immutable."),
            "immutable": immutable,
        }),
        &[],
    );
    let config_map = kind_schema(
        "ConfigMap holds configuration data for workloads: up to 1 MiB in total.",
        json!({
            "data": string_map("UTF-8 values by key. Keys: alphanumerics, '-', '_' or '.', \
                                and not also in binaryData."),
            "binaryData": {"type": "object", "description": "Binary values by key, \
                           base64-encoded in JSON and YAML.",
                           "additionalProperties": {"type": "string", "format": "byte"}},
            "immutable": boolean("If true, data and binaryData cannot be changed once stored; \
                                  it cannot be unset."),
        }),
        &[],
    );
    let namespace = kind_schema(
        "Namespace provides a scope for names; deleting one deletes everything in it.",
        json!({
            "spec": reference(&format!("{CORE}NamespaceSpec"), "What the namespace should be."),
            "status": reference(&format!("{CORE}NamespaceStatus"), "What it is: its phase."),
        }),
        &[],
    );
    let namespace_spec = object(
        "The namespace's finalizers.",
        json!({"finalizers": strings("Must be empty before the namespace is removed \
                                      (`kubernetes` until its content is deleted).")}),
        &[],
    );
    let mut phase = string("Active, or Terminating while its content is deleted.");
    phase["enum"] = json!(["Active", "Terminating"]);
    let namespace_status = object(
        "The namespace's observed state.",
        json!({"phase": phase, "conditions": array_of(&format!("{CORE}NamespaceCondition"),
            "Why a deletion is still under way.")}),
        &[],
    );
    let namespace_condition = object(
        "One condition of a namespace.",
        json!({
            "type": string("Type of the condition."),
            "status": string("True, False or Unknown."),
            "lastTransitionTime": time("When the status last changed."),
            "reason": string("A one-word reason, CamelCase."),
            "message": string("A human-readable explanation."),
        }),
        &["type", "status"],
    );
    let reference_to = object(
        "A reference to an object.",
        json!({
            "apiVersion": string("API version of the referent."),
            "kind": string("Kind of the referent."),
            "namespace": string("Namespace of the referent."),
            "name": string("Name of the referent."),
            "uid": string("UID of the referent."),
            "resourceVersion": string("The referent's resourceVersion at the time."),
            "fieldPath": string("A part of the referent, if the event is about one."),
        }),
        &[],
    );
    let event = kind_schema(
        "Event reports something that happened to an object (core/v1; kept an hour after its \
         last write).",
        json!({
            "involvedObject": reference(&format!("{CORE}ObjectReference"),
                                        "The object the event is about."),
            "reason": string("A short, machine-readable reason (CamelCase)."),
            "message": string("A human-readable description."),
            "source": reference(&format!("{CORE}EventSource"), "Who reported it."),
            "firstTimestamp": time("When it was first seen."),
            "lastTimestamp": time("When it was last seen."),
            "count": integer("int32", "How many times it was seen."),
            "type": string("Normal or Warning."),
            "eventTime": micro_time("When it was first observed (new-style events)."),
            "series": reference(&format!("{CORE}EventSeries"), "A series of repeats, if any."),
            "action": string("What was done, or failed."),
            "related": reference(&format!("{CORE}ObjectReference"), "A second object, if any."),
            "reportingComponent": string("The controller that reported it."),
            "reportingInstance": string("Which instance of that controller."),
        }),
        &["metadata", "involvedObject"],
    );
    let event_source = object(
        "Who reported an event.",
        json!({"component": string("The reporting component."),
               "host": string("The node it ran on.")}),
        &[],
    );
    let event_series = object(
        "Repeats of an event.",
        json!({"count": integer("int32", "Repeats so far."),
               "lastObservedTime": micro_time("When the last repeat was seen.")}),
        &[],
    );
    vec![
        ("Namespace", namespace),
        ("NamespaceSpec", namespace_spec),
        ("NamespaceStatus", namespace_status),
        ("NamespaceCondition", namespace_condition),
        ("Secret", secret),
        ("ConfigMap", config_map),
        ("Event", event),
        ("ObjectReference", reference_to),
        ("EventSource", event_source),
        ("EventSeries", event_series),
    ]
}

fn coordination() -> Vec<(&'static str, Value)> {
    let micro_time = |d: &str| reference(&format!("{META}MicroTime"), d);
    let lease = kind_schema(
        "Lease is a lock with a holder and a duration (leader election).",
        json!({"spec": reference("io.k8s.api.coordination.v1.LeaseSpec",
                                 "Who holds it and until when.")}),
        &[],
    );
    let spec = object(
        "The lease's holder and timing.",
        json!({
            "holderIdentity": string("Who holds the lease."),
            "leaseDurationSeconds": integer("int32", "How long candidates wait before taking \
                                                      it over after the last renewal."),
            "acquireTime": micro_time("When the current holder acquired it."),
            "renewTime": micro_time("When the holder last renewed it."),
            "leaseTransitions": integer("int32", "How many times the holder changed."),
            "strategy": string("How a holder is chosen (coordinated leader election)."),
            "preferredHolder": string("The holder the strategy prefers next."),
        }),
        &[],
    );
    vec![("Lease", lease), ("LeaseSpec", spec)]
}

fn reviews() -> Vec<(&'static str, Value)> {
    const AUTHZ: &str = "io.k8s.api.authorization.v1.";
    const AUTHN: &str = "io.k8s.api.authentication.v1.";
    let r = |prefix: &str, name: &str, d: &str| reference(&format!("{prefix}{name}"), d);
    let access = kind_schema(
        "SelfSubjectAccessReview asks whether the requesting user may perform an action; the \
         answer is in status. `kubectl auth can-i` creates one.",
        json!({"spec": r(AUTHZ, "SelfSubjectAccessReviewSpec", "The action to check."),
               "status": r(AUTHZ, "SubjectAccessReviewStatus", "The answer.")}),
        &["spec"],
    );
    let access_spec = object(
        "Exactly one of resourceAttributes and nonResourceAttributes.",
        json!({"resourceAttributes": r(AUTHZ, "ResourceAttributes", "A request on a resource."),
               "nonResourceAttributes": r(AUTHZ, "NonResourceAttributes",
                                          "A request on a path that is not a resource.")}),
        &[],
    );
    let resource_attributes = object(
        "The attributes of a resource request.",
        json!({
            "namespace": string("The namespace; empty for cluster-scoped resources or all \
                                 namespaces."),
            "verb": string("get, list, watch, create, update, patch, delete, \
                            deletecollection, or * for all."),
            "group": string("The API group; empty for the core group, * for all."),
            "version": string("The API version, * for all."),
            "resource": string("The resource (plural), * for all."),
            "subresource": string("The subresource (status), if any."),
            "name": string("The object's name; empty for all."),
        }),
        &[],
    );
    let non_resource_attributes = object(
        "The attributes of a non-resource request.",
        json!({"path": string("The URL path."), "verb": string("The HTTP verb, lower case.")}),
        &[],
    );
    let access_status = object(
        "The answer to an access review.",
        json!({
            "allowed": boolean("Whether the action is allowed."),
            "denied": boolean("Whether it is explicitly denied (RBAC never denies)."),
            "reason": string("Why it is allowed (the RBAC binding that allows it)."),
            "evaluationError": string("Why the authorizer could not decide, if it could not."),
        }),
        &["allowed"],
    );
    let rules = kind_schema(
        "SelfSubjectRulesReview lists what the requesting user may do in a namespace. `kubectl \
         auth can-i --list` creates one.",
        json!({"spec": r(AUTHZ, "SelfSubjectRulesReviewSpec", "The namespace to list."),
               "status": r(AUTHZ, "SubjectRulesReviewStatus", "The rules.")}),
        &["spec"],
    );
    let rules_spec = object(
        "The namespace to list the rules of.",
        json!({"namespace": string("The namespace to evaluate the rules in.")}),
        &[],
    );
    let rules_status = object(
        "The rules that apply.",
        json!({
            "resourceRules": array_of(&format!("{AUTHZ}ResourceRule"), "Resource rules."),
            "nonResourceRules": array_of(&format!("{AUTHZ}NonResourceRule"),
                                         "Non-resource rules."),
            "incomplete": boolean("Whether some authorizer could not list its rules."),
            "evaluationError": string("Why the list may be incomplete."),
        }),
        &["resourceRules", "nonResourceRules", "incomplete"],
    );
    let resource_rule = object(
        "Verbs allowed on resources.",
        json!({"verbs": strings("The verbs; * for all."),
               "apiGroups": strings("The API groups; * for all."),
               "resources": strings("The resources; * for all."),
               "resourceNames": strings("The names it is limited to, if any.")}),
        &["verbs"],
    );
    let non_resource_rule = object(
        "Verbs allowed on paths.",
        json!({"verbs": strings("The verbs; * for all."),
               "nonResourceURLs": strings("The paths; a trailing * matches a prefix.")}),
        &["verbs"],
    );
    let self_review = kind_schema(
        "SelfSubjectReview returns the user the request authenticated as. `kubectl auth \
         whoami` creates one.",
        json!({"status": r(AUTHN, "SelfSubjectReviewStatus", "The user.")}),
        &[],
    );
    let self_status = object(
        "The user a request authenticated as.",
        json!({"userInfo": r(AUTHN, "UserInfo", "The user.")}),
        &[],
    );
    let user_info = object(
        "A user as the authenticator found it.",
        json!({
            "username": string("The user's name."),
            "uid": string("A unique value for the user, if the authenticator has one."),
            "groups": strings("The groups the user is in."),
            "extra": {"type": "object", "description": "Other information from the \
                      authenticator.", "additionalProperties": {"type": "array",
                      "items": {"type": "string", "default": ""}}},
        }),
        &[],
    );
    vec![
        ("authorization.v1.SelfSubjectAccessReview", access),
        ("authorization.v1.SelfSubjectAccessReviewSpec", access_spec),
        ("authorization.v1.ResourceAttributes", resource_attributes),
        (
            "authorization.v1.NonResourceAttributes",
            non_resource_attributes,
        ),
        ("authorization.v1.SubjectAccessReviewStatus", access_status),
        ("authorization.v1.SelfSubjectRulesReview", rules),
        ("authorization.v1.SelfSubjectRulesReviewSpec", rules_spec),
        ("authorization.v1.SubjectRulesReviewStatus", rules_status),
        ("authorization.v1.ResourceRule", resource_rule),
        ("authorization.v1.NonResourceRule", non_resource_rule),
        ("authentication.v1.SelfSubjectReview", self_review),
        ("authentication.v1.SelfSubjectReviewStatus", self_status),
        ("authentication.v1.UserInfo", user_info),
    ]
}

/// Every built-in definition, by its full name.
pub(super) fn built_in() -> Map<String, Value> {
    let named = |prefix: &'static str, list: Vec<(&'static str, Value)>| {
        list.into_iter()
            .map(move |(name, schema)| (format!("{prefix}{name}"), schema))
    };
    named(META, meta())
        .chain(named(CORE, core()))
        .chain(named("io.k8s.api.coordination.v1.", coordination()))
        .chain(named("io.k8s.api.", reviews()))
        .collect()
}

/// Descriptions for the main fields of the custom resources' schemas, which are hand-written
/// without any (`es_schemas.rs`); written here, not ESO's own text (its CRDs stay test data in
/// `../shared/crds`). By kind, then dotted path (`spec.target`).
pub(super) fn crd_descriptions(kind: &str) -> &'static [(&'static str, &'static str)] {
    match kind {
        "ExternalSecret" => &[
            (
                "",
                "ExternalSecret has External Secrets Operator write a Kubernetes Secret from \
                  values a SecretStore or ClusterSecretStore reads from a provider.",
            ),
            (
                "spec",
                "What to fetch, from which store, and the Secret to write.",
            ),
            (
                "spec.refreshInterval",
                "How often the values are fetched again (Go duration, \
                                      1h0m0s by default; 0 fetches once).",
            ),
            (
                "spec.refreshPolicy",
                "CreatedOnce, Periodic (the default) or OnChange.",
            ),
            ("spec.secretStoreRef", "The store to read from."),
            (
                "spec.secretStoreRef.kind",
                "SecretStore (same namespace) or ClusterSecretStore.",
            ),
            ("spec.secretStoreRef.name", "The store's name."),
            (
                "spec.target",
                "The Secret to write: its name, who owns it, and what happens to \
                             it when values or the ExternalSecret go.",
            ),
            (
                "spec.target.name",
                "The Secret's name; the ExternalSecret's name by default.",
            ),
            (
                "spec.target.creationPolicy",
                "Owner (create it and own it, the default), \
                Orphan (create it, not owned), Merge (only write into an existing one), None \
                (write nothing), CreateOrMerge.",
            ),
            (
                "spec.target.deletionPolicy",
                "What happens to the Secret when the provider no \
                longer has the values: Retain (the default), Delete, Merge.",
            ),
            ("spec.target.immutable", "Write the Secret as immutable."),
            (
                "spec.target.template",
                "A template for the Secret's type, metadata and data.",
            ),
            (
                "spec.data",
                "One entry per Secret key: the key and where its value is read.",
            ),
            ("spec.data.secretKey", "The key in the Secret."),
            ("spec.data.remoteRef", "Where the value is at the provider."),
            ("spec.data.remoteRef.key", "The provider's key."),
            (
                "spec.data.remoteRef.property",
                "A property inside the provider's value (JSON).",
            ),
            (
                "spec.dataFrom",
                "Whole sets of keys from the provider (extract, find) or from \
                               generators.",
            ),
            (
                "status",
                "What External Secrets Operator last did: conditions, refresh time, \
                        the Secret written.",
            ),
        ],
        "ClusterSecretStore" => &[
            (
                "",
                "ClusterSecretStore tells External Secrets Operator how to reach a secrets \
                  provider, for ExternalSecrets of any namespace.",
            ),
            ("spec", "The provider and how often the store is validated."),
            (
                "spec.provider",
                "Exactly one provider and its configuration.",
            ),
            (
                "spec.provider.fake",
                "A provider holding fixed values (for tests and demos).",
            ),
            ("status", "Whether the store is valid and what it can do."),
        ],
        _ => &[],
    }
}
