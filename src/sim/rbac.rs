//! Role-based access control, as the API server enforces it, for one service account: the
//! simulated cluster can hold the console to the very roles `deploy/` grants it, so a test
//! proves those roles are enough for everything the console does, and that it never reads
//! Secrets outside its project namespaces.
//!
//! What is modelled: ClusterRoles and Roles with `apiGroups`, `resources` (`plural` or
//! `plural/subresource`) and `verbs` (`*` matches any), bound by ClusterRoleBindings (anywhere)
//! or RoleBindings (in their namespace only) to the service account. A server-side apply that
//! creates its object needs `create` besides `patch`, as on a real API server.

use std::sync::Mutex;

use k8s_openapi::api::rbac::v1::{ClusterRole, ClusterRoleBinding, PolicyRule, Role, RoleBinding};
use serde_json::Value;

/// One request, as an authorizer sees it.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// get, list, watch, create, update, patch, delete, deletecollection.
    pub verb: &'a str,
    /// The API group (`""` for the core group).
    pub group: &'a str,
    /// The plural, with `/subresource` when one is addressed.
    pub resource: &'a str,
    /// `None` for a cluster-scoped object or a request across all namespaces.
    pub namespace: Option<&'a str>,
}

/// Rules granted to the service account, each where its binding applies.
#[derive(Debug)]
pub struct Policy {
    /// `system:serviceaccount:<namespace>:<name>`.
    pub user: String,
    /// (namespace the grant is limited to, or `None` for everywhere; the rule; the binding that
    /// grants it, as the RBAC authorizer names it in an allowed review's reason).
    grants: Vec<(Option<String>, PolicyRule, String)>,
    denied: Mutex<Vec<String>>,
}

impl Policy {
    /// The policy of one service account (`namespace:name`), from rendered manifests (the
    /// output of `kubectl kustomize`: any number of YAML documents; kinds other than roles and
    /// bindings are ignored).
    pub fn from_manifests(yaml: &str, service_account: &str) -> Result<Self, String> {
        let (sa_namespace, sa_name) = service_account.split_once(':').ok_or_else(|| {
            format!("service account `{service_account}`: expected NAMESPACE:NAME")
        })?;
        let documents: Vec<Value> = serde_saphyr::from_multiple(yaml)
            .map_err(|e| format!("the manifests do not parse: {e}"))?;
        let kind = |d: &Value| d["kind"].as_str().unwrap_or_default().to_owned();
        let mut cluster_roles = Vec::new();
        let mut roles = Vec::new();
        let mut bindings = Vec::new();
        for document in documents.iter().filter(|d| !d.is_null()) {
            match kind(document).as_str() {
                "ClusterRole" => cluster_roles.push(typed::<ClusterRole>(document)?),
                "Role" => roles.push(typed::<Role>(document)?),
                "ClusterRoleBinding" => {
                    let binding: ClusterRoleBinding = typed(document)?;
                    let name = binding.metadata.name.clone().unwrap_or_default();
                    bindings.push((None, name, binding.role_ref, binding.subjects));
                }
                "RoleBinding" => {
                    let binding: RoleBinding = typed(document)?;
                    let namespace = binding.metadata.namespace.clone().ok_or_else(|| {
                        format!(
                            "RoleBinding {} has no namespace",
                            binding.metadata.name.as_deref().unwrap_or("?")
                        )
                    })?;
                    let name = binding.metadata.name.clone().unwrap_or_default();
                    bindings.push((Some(namespace), name, binding.role_ref, binding.subjects));
                }
                _ => {}
            }
        }
        let mut grants = Vec::new();
        for (namespace, binding, role_ref, subjects) in bindings {
            let bound = subjects.iter().flatten().any(|s| {
                s.kind == "ServiceAccount"
                    && s.name == sa_name
                    && s.namespace.as_deref() == Some(sa_namespace)
            });
            if !bound {
                continue;
            }
            let rules = match role_ref.kind.as_str() {
                "ClusterRole" => cluster_roles
                    .iter()
                    .find(|r| r.metadata.name.as_deref() == Some(role_ref.name.as_str()))
                    .map(|r| r.rules.clone().unwrap_or_default()),
                // A RoleBinding may only name a Role of its own namespace.
                "Role" => roles
                    .iter()
                    .find(|r| {
                        r.metadata.name.as_deref() == Some(role_ref.name.as_str())
                            && namespace.is_some()
                            && r.metadata.namespace == namespace
                    })
                    .map(|r| r.rules.clone().unwrap_or_default()),
                other => return Err(format!("roleRef kind `{other}` is not a role")),
            }
            .ok_or_else(|| {
                format!(
                    "{} {} is bound but not defined",
                    role_ref.kind, role_ref.name
                )
            })?;
            // `clusterRoleBindingDescriber` / `roleBindingDescriber` (kubernetes
            // `pkg/registry/rbac/validation/rule.go`), the subject as `describeSubject` writes a
            // service account: `ServiceAccount "name/namespace"`.
            let source = match &namespace {
                None => format!("ClusterRoleBinding \"{binding}\""),
                Some(ns) => format!("RoleBinding \"{binding}/{ns}\""),
            };
            let source = format!(
                "{source} of {} \"{}\" to ServiceAccount \"{sa_name}/{sa_namespace}\"",
                role_ref.kind, role_ref.name
            );
            let granted = rules
                .into_iter()
                .map(|rule| (namespace.clone(), rule, source.clone()));
            grants.extend(granted);
        }
        Ok(Self {
            user: format!("system:serviceaccount:{sa_namespace}:{sa_name}"),
            grants,
            denied: Mutex::new(Vec::new()),
        })
    }

    /// Whether the service account may make the request.
    pub fn allows(&self, request: &Request<'_>) -> bool {
        self.allowed_by(request).is_some()
    }

    /// The binding that allows the request, as kube-apiserver's RBAC authorizer names it after
    /// "RBAC: allowed by " (`authorizingVisitor.visit`, kubernetes
    /// `plugin/pkg/auth/authorizer/rbac/rbac.go`): ClusterRoleBindings are visited first, then
    /// the RoleBindings of the request's namespace (`VisitRulesFor`).
    pub fn allowed_by(&self, request: &Request<'_>) -> Option<&str> {
        let cluster_wide = self.grants.iter().filter(|(ns, _, _)| ns.is_none());
        let namespaced = self.grants.iter().filter(|(ns, _, _)| ns.is_some());
        let mut grants = cluster_wide.chain(namespaced);
        let found = grants.find(|(namespace, rule, _)| {
            let where_ok = match namespace {
                None => true,
                Some(only) => request.namespace == Some(only.as_str()),
            };
            let matches =
                |list: &[String], value: &str| list.iter().any(|v| v == "*" || v == value);
            where_ok
                && rule.resource_names.as_ref().is_none_or(Vec::is_empty)
                && matches(&rule.verbs, request.verb)
                && matches(
                    rule.api_groups.as_deref().unwrap_or_default(),
                    request.group,
                )
                && matches(
                    rule.resources.as_deref().unwrap_or_default(),
                    request.resource,
                )
        });
        found.map(|(_, _, source)| source.as_str())
    }

    /// Every rule that applies in `namespace`: those of ClusterRoleBindings, then those of the
    /// namespace's RoleBindings, as `RulesFor` lists them for a SelfSubjectRulesReview.
    pub fn rules_in(&self, namespace: &str) -> Vec<&PolicyRule> {
        let cluster_wide = self.grants.iter().filter(|(ns, _, _)| ns.is_none());
        let here = (self.grants.iter()).filter(|(ns, _, _)| ns.as_deref() == Some(namespace));
        cluster_wide.chain(here).map(|(_, rule, _)| rule).collect()
    }

    /// Checks a request; a refusal is remembered (see [`Policy::denied`]) and returned in the
    /// API server's words.
    pub fn authorize(&self, request: &Request<'_>) -> Result<(), String> {
        if self.allows(request) {
            return Ok(());
        }
        let group = request.group;
        let scope = match request.namespace {
            Some(namespace) => format!("in the namespace \"{namespace}\""),
            None => "at the cluster scope".to_owned(),
        };
        let why = format!(
            "User \"{}\" cannot {} resource \"{}\" in API group \"{group}\" {scope}",
            self.user, request.verb, request.resource
        );
        let mut denied = self.denied.lock().unwrap_or_else(|e| e.into_inner());
        // Bounded: a client retrying a refused watch forever must not grow it forever.
        if denied.len() < 1000 {
            denied.push(why.clone());
        }
        Err(why)
    }

    /// The refusals so far, oldest first (the first thousand).
    pub fn denied(&self) -> Vec<String> {
        self.denied
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

/// One manifest as its Kubernetes type; an error names the object.
fn typed<T: serde::de::DeserializeOwned>(document: &Value) -> Result<T, String> {
    serde_json::from_value(document.clone()).map_err(|e| {
        let kind = document["kind"].as_str().unwrap_or("?");
        let name = document["metadata"]["name"].as_str().unwrap_or("?");
        format!("{kind} {name}: {e}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const MANIFESTS: &str = r#"
apiVersion: v1
kind: ServiceAccount
metadata: {name: console, namespace: ops}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: objects}
rules:
- apiGroups: [""]
  resources: [secrets]
  verbs: [get, list, watch, create, patch, delete]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: read-stores}
rules:
- apiGroups: [external-secrets.io]
  resources: [clustersecretstores]
  verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: read-stores}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: read-stores}
subjects: [{kind: ServiceAccount, name: console, namespace: ops}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: objects, namespace: payments}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: objects}
subjects: [{kind: ServiceAccount, name: console, namespace: ops}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: objects, namespace: elsewhere}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: objects}
subjects: [{kind: ServiceAccount, name: someone-else, namespace: ops}]
"#;

    fn request<'a>(
        verb: &'a str,
        group: &'a str,
        resource: &'a str,
        ns: Option<&'a str>,
    ) -> Request<'a> {
        Request {
            verb,
            group,
            resource,
            namespace: ns,
        }
    }

    #[test]
    fn a_role_bound_in_a_namespace_grants_there_only() {
        let policy = Policy::from_manifests(MANIFESTS, "ops:console").unwrap();
        assert!(policy.allows(&request("patch", "", "secrets", Some("payments"))));
        assert!(!policy.allows(&request("patch", "", "secrets", Some("elsewhere"))));
        assert!(!policy.allows(&request("list", "", "secrets", None)));
        assert!(!policy.allows(&request("update", "", "secrets", Some("payments"))));
        assert!(policy.allows(&request(
            "watch",
            "external-secrets.io",
            "clustersecretstores",
            None
        )));
        assert!(!policy.allows(&request(
            "patch",
            "external-secrets.io",
            "clustersecretstores",
            None
        )));
    }

    #[test]
    fn a_grant_names_its_binding_as_the_rbac_authorizer_does() {
        let policy = Policy::from_manifests(MANIFESTS, "ops:console").unwrap();
        assert_eq!(
            policy.allowed_by(&request("patch", "", "secrets", Some("payments"))),
            Some(
                "RoleBinding \"objects/payments\" of ClusterRole \"objects\" to ServiceAccount \"console/ops\""
            )
        );
        let stores = request("list", "external-secrets.io", "clustersecretstores", None);
        assert_eq!(
            policy.allowed_by(&stores),
            Some(
                "ClusterRoleBinding \"read-stores\" of ClusterRole \"read-stores\" to ServiceAccount \"console/ops\""
            )
        );
        assert_eq!(policy.rules_in("payments").len(), 2);
        assert_eq!(policy.rules_in("elsewhere").len(), 1);
    }

    #[test]
    fn a_refusal_is_worded_like_the_api_server_and_remembered() {
        let policy = Policy::from_manifests(MANIFESTS, "ops:console").unwrap();
        let why = policy
            .authorize(&request("list", "", "secrets", None))
            .unwrap_err();
        assert_eq!(
            why,
            "User \"system:serviceaccount:ops:console\" cannot list resource \"secrets\" in API group \"\" at the cluster scope"
        );
        assert_eq!(policy.denied(), vec![why]);
    }

    #[test]
    fn a_binding_to_an_undefined_role_is_an_error() {
        let yaml = MANIFESTS.replace("name: read-stores}\nsubjects", "name: missing}\nsubjects");
        let error = Policy::from_manifests(&yaml, "ops:console").unwrap_err();
        assert!(
            error.contains("ClusterRole missing is bound but not defined"),
            "{error}"
        );
    }
}
