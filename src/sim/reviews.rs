//! The self-reviews `kubectl auth can-i` and `kubectl auth whoami` create:
//! `authorization.k8s.io/v1` SelfSubjectAccessReview and SelfSubjectRulesReview, and
//! `authentication.k8s.io/v1` SelfSubjectReview. Nothing is stored: each create answers the
//! object back with its `status` filled in (201), as kube-apiserver's REST storages for them do
//! (kubernetes `pkg/registry/authorization/selfsubjectaccessreview/rest.go`,
//! `…/selfsubjectrulesreview/rest.go`, `pkg/registry/authentication/selfsubjectreview/rest.go`).
//!
//! Who asks: the cluster admin's token is user `sim-admin` in `system:masters` (kube-apiserver
//! allows that group everything before RBAC is asked, with an empty reason:
//! `privilegedGroupAuthorizer`, apiserver `pkg/authorization/authorizerfactory/builtin.go`); the
//! service account's token, when `--rbac` holds it to roles, is
//! `system:serviceaccount:<namespace>:<name>` in `system:serviceaccounts` and
//! `system:serviceaccounts:<namespace>` (`MakeGroupNames`, apiserver
//! `pkg/authentication/serviceaccount/util.go`); both are in `system:authenticated`
//! (`AuthenticatedGroupAdder`). Without `--rbac` every token is the admin.
//!
//! The service account's answers come from [`Policy`], plus the bootstrap roles every
//! authenticated user is bound to (kubernetes
//! `plugin/pkg/auth/authorizer/rbac/bootstrappolicy/policy.go`): `system:basic-user` (create
//! these three reviews) and `system:discovery` (get on the discovery, health, version and
//! OpenAPI paths). So the reviews themselves need no grant, as on a real cluster.

use std::sync::Arc;

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::response::Response;
use serde_json::{Value, json};

use super::auth::same;
use super::protobuf;
use super::rbac::{Policy, Request};
use super::request::{ApiState, content_type, json_response, parse_body};
use super::resources::ResourceType;
use super::status::ApiError;

use super::served_kinds::{ACCESS_REVIEW, REVIEW_KINDS as KINDS};

/// The review kind a path addresses, if it is one of them.
pub(crate) fn kind_at(path: &str) -> Option<&'static ResourceType> {
    let path = path.trim_end_matches('/');
    KINDS
        .iter()
        .copied()
        .find(|t| path == format!("/apis/{}/{}/{}", t.group, t.version, t.plural))
}

/// Who a request is: user name, groups, and the roles it is held to (`None`: the admin).
pub(crate) struct Caller {
    pub(crate) username: String,
    pub(crate) groups: Vec<String>,
    pub(crate) policy: Option<Arc<Policy>>,
}

/// The user the request's bearer token maps to (`authenticate` let only known tokens in).
pub(crate) fn caller(state: &ApiState, headers: &HeaderMap) -> Caller {
    let token = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim);
    let service_account = state.credentials.service_account.as_deref();
    let held = match (&state.rbac, token, service_account) {
        (Some(policy), Some(token), Some(sa)) if same(token, sa) => Some(policy.clone()),
        _ => None,
    };
    match held {
        Some(policy) => {
            let namespace = (policy.user.strip_prefix("system:serviceaccount:"))
                .and_then(|rest| rest.split_once(':'))
                .map_or("", |(namespace, _)| namespace);
            Caller {
                username: policy.user.clone(),
                groups: vec![
                    "system:serviceaccounts".to_owned(),
                    format!("system:serviceaccounts:{namespace}"),
                    "system:authenticated".to_owned(),
                ],
                policy: Some(policy),
            }
        }
        None => Caller {
            username: "sim-admin".to_owned(),
            groups: vec!["system:masters".into(), "system:authenticated".into()],
            policy: None,
        },
    }
}

/// A bootstrap role every authenticated user is bound to: its binding's description as the RBAC
/// authorizer writes it, its resource rules (verb, group, resources) and non-resource URLs.
struct Bootstrap {
    source: &'static str,
    resources: &'static [(&'static str, &'static str, &'static [&'static str])],
    urls: &'static [&'static str],
}

const BASIC_USER: Bootstrap = Bootstrap {
    source: "ClusterRoleBinding \"system:basic-user\" of ClusterRole \"system:basic-user\" to \
             Group \"system:authenticated\"",
    resources: &[
        (
            "create",
            "authorization.k8s.io",
            &["selfsubjectaccessreviews", "selfsubjectrulesreviews"],
        ),
        ("create", "authentication.k8s.io", &["selfsubjectreviews"]),
    ],
    urls: &[],
};

const DISCOVERY: Bootstrap = Bootstrap {
    source: "ClusterRoleBinding \"system:discovery\" of ClusterRole \"system:discovery\" to \
             Group \"system:authenticated\"",
    resources: &[],
    urls: &[
        "/livez",
        "/readyz",
        "/healthz",
        "/version",
        "/version/",
        "/openapi",
        "/openapi/*",
        "/api",
        "/api/*",
        "/apis",
        "/apis/*",
    ],
};

const PUBLIC_INFO: Bootstrap = Bootstrap {
    source: "ClusterRoleBinding \"system:public-info-viewer\" of ClusterRole \
             \"system:public-info-viewer\" to Group \"system:authenticated\"",
    resources: &[],
    urls: &["/livez", "/readyz", "/healthz", "/version", "/version/"],
};

/// The bootstrap bindings every authenticated user has.
const BOOTSTRAP: [Bootstrap; 3] = [BASIC_USER, DISCOVERY, PUBLIC_INFO];

/// `NonResourceURLMatches` (kubernetes `pkg/apis/rbac/v1/evaluation_helpers.go`): exact, `*`,
/// or a prefix ending in `*`.
fn url_matches(rule: &str, path: &str) -> bool {
    rule == "*"
        || rule == path
        || rule
            .strip_suffix('*')
            .is_some_and(|prefix| path.starts_with(prefix))
}

/// Creates one review for the caller; the answer is 201 with the review and its status.
pub(crate) fn create(
    state: &ApiState,
    t: &'static ResourceType,
    method: &Method,
    headers: &HeaderMap,
    body: &Bytes,
) -> Result<Response, ApiError> {
    if method != Method::POST {
        return Err(ApiError::method_not_allowed());
    }
    let mut object = if content_type(headers) == protobuf::MEDIA_TYPE {
        protobuf::decode_object(body, t)?
    } else {
        parse_body(body, true)?
    };
    if !object.is_object() {
        return Err(ApiError::bad_request(format!(
            "the body of a {} must be a JSON object",
            t.kind
        )));
    }
    let kind = object["kind"].as_str().unwrap_or(t.kind);
    if kind != t.kind {
        return Err(ApiError::bad_request(format!(
            "the kind in the data ({kind}) does not match the expected kind ({})",
            t.kind
        )));
    }
    let caller = caller(state, headers);
    let status = match t.kind {
        "SelfSubjectAccessReview" => access_review(&caller, &object)?,
        "SelfSubjectRulesReview" => rules_review(&caller, &object)?,
        _ => {
            // The storage writes a fresh object: only its creation time and the user.
            object = json!({"metadata": {"creationTimestamp": super::time::now_rfc3339()}});
            json!({"userInfo": {"username": caller.username, "groups": caller.groups}})
        }
    };
    object["apiVersion"] = json!(t.api_version());
    object["kind"] = json!(t.kind);
    if object["metadata"].as_object().is_none_or(|m| m.is_empty()) {
        object["metadata"] = json!({"creationTimestamp": null});
    }
    object["status"] = status;
    Ok(json_response(StatusCode::CREATED, &object))
}

/// `ValidateSelfSubjectAccessReview` (kubernetes `pkg/apis/authorization/validation`), then the
/// decision. The Invalid error names the kind `""`: the REST storage builds it from the decoded
/// internal object, whose kind is empty (`.authorization.k8s.io "" is invalid: …`).
fn access_review(caller: &Caller, review: &Value) -> Result<Value, ApiError> {
    let spec = &review["spec"];
    let resource = spec.get("resourceAttributes").filter(|v| !v.is_null());
    let non_resource = spec.get("nonResourceAttributes").filter(|v| !v.is_null());
    let mut problems = Vec::new();
    if let (Some(_), Some(attributes)) = (resource, non_resource) {
        let path = attributes["path"].as_str().unwrap_or_default();
        let verb = attributes["verb"].as_str().unwrap_or_default();
        problems.push((
            "spec.nonResourceAttributes",
            format!(
                "Invalid value: authorization.NonResourceAttributes{{Path:{path:?}, \
                 Verb:{verb:?}}}: cannot be specified in combination with resourceAttributes"
            ),
        ));
    }
    if resource.is_none() && non_resource.is_none() {
        problems.push((
            "spec.resourceAttributes",
            "Invalid value: \"null\": exactly one of nonResourceAttributes or \
             resourceAttributes must be specified"
                .to_owned(),
        ));
    }
    let metadata_set = review["metadata"].as_object().is_some_and(|m| {
        m.iter()
            .any(|(k, v)| k != "managedFields" && !v.is_null() && !is_empty(v))
    });
    if metadata_set {
        problems.push((
            "metadata",
            format!("Invalid value: {}: must be empty", review["metadata"]),
        ));
    }
    if !problems.is_empty() {
        return Err(invalid(&ACCESS_REVIEW, &problems));
    }
    let text = |attributes: &Value, key: &str| -> String {
        attributes[key].as_str().unwrap_or_default().to_owned()
    };
    let allowed_by: Option<String> = match (resource, non_resource) {
        (Some(attributes), _) => {
            let (verb, group) = (text(attributes, "verb"), text(attributes, "group"));
            let (plural, sub) = (
                text(attributes, "resource"),
                text(attributes, "subresource"),
            );
            let resource = if sub.is_empty() {
                plural
            } else {
                format!("{plural}/{sub}")
            };
            let namespace = text(attributes, "namespace");
            let request = Request {
                verb: &verb,
                group: &group,
                resource: &resource,
                namespace: Some(namespace.as_str()).filter(|ns| !ns.is_empty()),
            };
            decide(
                caller,
                |bootstrap| {
                    bootstrap.resources.iter().any(|(v, g, plurals)| {
                        *v == verb && *g == group && plurals.contains(&resource.as_str())
                    })
                },
                |policy| policy.allowed_by(&request).map(str::to_owned),
            )
        }
        (None, Some(attributes)) => {
            let (verb, path) = (text(attributes, "verb"), text(attributes, "path"));
            // The simulated policy models no non-resource rules (`rbac.rs`).
            decide(
                caller,
                |bootstrap| {
                    verb == "get" && bootstrap.urls.iter().any(|rule| url_matches(rule, &path))
                },
                |_| None,
            )
        }
        (None, None) => None,
    };
    Ok(match allowed_by {
        // The union authorizer returns the deciding authorizer's reason as it is.
        Some(reason) if reason.is_empty() => json!({"allowed": true}),
        Some(reason) => json!({"allowed": true, "reason": reason}),
        // RBAC has no opinion and gives no reason when nothing matched (`Authorize`, kubernetes
        // `plugin/pkg/auth/authorizer/rbac/rbac.go`); nothing denies outright.
        None => json!({"allowed": false}),
    })
}

/// The reason an allowed request is allowed (`""` for the admin), `None` when it is not.
fn decide(
    caller: &Caller,
    bootstrap: impl Fn(&Bootstrap) -> bool,
    policy: impl Fn(&Policy) -> Option<String>,
) -> Option<String> {
    let Some(held) = &caller.policy else {
        return Some(String::new());
    };
    BOOTSTRAP
        .iter()
        .find(|b| bootstrap(b))
        .map(|b| b.source.to_owned())
        .or_else(|| policy(held))
        .map(|source| format!("RBAC: allowed by {source}"))
}

/// What `RulesFor` lists in `spec.namespace` (400 without one, as the storage answers).
fn rules_review(caller: &Caller, review: &Value) -> Result<Value, ApiError> {
    let namespace = review.pointer("/spec/namespace").and_then(Value::as_str);
    let Some(namespace) = namespace.filter(|ns| !ns.is_empty()) else {
        return Err(ApiError::bad_request("no namespace on request"));
    };
    let mut resource_rules = Vec::new();
    let mut non_resource_rules = Vec::new();
    match &caller.policy {
        // `cluster-admin`, bound to `system:masters`.
        None => {
            resource_rules.push(json!({"verbs": ["*"], "apiGroups": ["*"], "resources": ["*"]}));
            non_resource_rules.push(json!({"verbs": ["*"], "nonResourceURLs": ["*"]}));
        }
        Some(policy) => {
            for rule in policy.rules_in(namespace) {
                let rule = serde_json::to_value(rule).unwrap_or_default();
                let pick = |keys: &[&str]| -> Value {
                    keys.iter()
                        .filter_map(|k| rule.get(*k).filter(|v| !is_empty(v)).map(|v| (*k, v)))
                        .map(|(k, v)| (k.to_owned(), v.clone()))
                        .collect::<serde_json::Map<_, _>>()
                        .into()
                };
                if !is_empty(&rule["resources"]) {
                    resource_rules.push(pick(&[
                        "verbs",
                        "apiGroups",
                        "resources",
                        "resourceNames",
                    ]));
                }
                if !is_empty(&rule["nonResourceURLs"]) {
                    non_resource_rules.push(pick(&["verbs", "nonResourceURLs"]));
                }
            }
        }
    }
    for bootstrap in BOOTSTRAP {
        for (verb, group, plurals) in bootstrap.resources {
            resource_rules
                .push(json!({"verbs": [verb], "apiGroups": [group], "resources": plurals}));
        }
        if !bootstrap.urls.is_empty() {
            non_resource_rules.push(json!({"verbs": ["get"], "nonResourceURLs": bootstrap.urls}));
        }
    }
    Ok(json!({
        "resourceRules": resource_rules,
        "nonResourceRules": non_resource_rules,
        "incomplete": false,
    }))
}

fn is_empty(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.is_empty(),
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

/// A 422 for a review kind, named as the storage names it (see [`access_review`]).
fn invalid(t: &ResourceType, problems: &[(&str, String)]) -> ApiError {
    let listed: Vec<String> = problems.iter().map(|(f, m)| format!("{f}: {m}")).collect();
    let summary = match listed.as_slice() {
        [one] => one.clone(),
        many => format!("[{}]", many.join(", ")),
    };
    let causes: Vec<Value> = problems
        .iter()
        .map(|(field, message)| {
            json!({"reason": "FieldValueInvalid", "message": message, "field": field})
        })
        .collect();
    ApiError {
        code: 422,
        reason: "Invalid",
        message: format!(".{} \"\" is invalid: {summary}", t.group),
        details: Some(json!({"group": t.group, "causes": causes})),
    }
}
