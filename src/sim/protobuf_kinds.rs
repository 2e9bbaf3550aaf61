//! Field tables for the protobuf bodies kubectl's typed clientset sends beyond those
//! `protobuf.rs` decodes: `kubectl create configmap` (core/v1 ConfigMap), `kubectl auth can-i`
//! (authorization/v1 SelfSubjectAccessReview, and SelfSubjectRulesReview with `--list`) and
//! `kubectl auth whoami` (authentication/v1 SelfSubjectReview). `protobuf::decode_object` asks
//! [`table`] for a kind it does not know itself, and decodes with the same rules.
//!
//! Field numbers are those of k8s.io/api `core/v1/generated.proto` (ConfigMap),
//! `authorization/v1/generated.proto` (SelfSubjectAccessReview and its Spec,
//! ResourceAttributes, NonResourceAttributes, FieldSelectorAttributes, LabelSelectorAttributes,
//! SubjectAccessReviewStatus, SelfSubjectRulesReview and its Spec, SubjectRulesReviewStatus,
//! ResourceRule, NonResourceRule), `authentication/v1/generated.proto` (SelfSubjectReview,
//! SelfSubjectReviewStatus, UserInfo) and apimachinery `pkg/apis/meta/v1/generated.proto`
//! (FieldSelectorRequirement, LabelSelectorRequirement), read at kubernetes/api 10b39a39 and
//! kubernetes/apimachinery eed236ce. The statuses are decoded too: gogo-protobuf writes a
//! non-pointer struct and its non-pointer bools even when empty (`allowed = false` is on the
//! wire), so a status a client sends blank must not be refused as an unknown field with data.
//! `UserInfo.extra` (a map of messages) is not modelled: a client sending one is refused.

use super::protobuf::{Field, OBJECT_META, Ty, f, ptr};

const CONFIG_MAP: &[Field] = &[
    f(1, "metadata", Ty::Msg(OBJECT_META)),
    f(2, "data", Ty::StrMap),
    f(3, "binaryData", Ty::BytesMap),
    ptr(4, "immutable", Ty::Bool),
];

const SELECTOR_REQUIREMENT: &[Field] = &[
    f(1, "key", Ty::Str),
    f(2, "operator", Ty::Str),
    f(3, "values", Ty::Strs),
];

const SELECTOR_ATTRIBUTES: &[Field] = &[
    f(1, "rawSelector", Ty::Str),
    f(2, "requirements", Ty::Msgs(SELECTOR_REQUIREMENT)),
];

const RESOURCE_ATTRIBUTES: &[Field] = &[
    f(1, "namespace", Ty::Str),
    f(2, "verb", Ty::Str),
    f(3, "group", Ty::Str),
    f(4, "version", Ty::Str),
    f(5, "resource", Ty::Str),
    f(6, "subresource", Ty::Str),
    f(7, "name", Ty::Str),
    ptr(8, "fieldSelector", Ty::Msg(SELECTOR_ATTRIBUTES)),
    ptr(9, "labelSelector", Ty::Msg(SELECTOR_ATTRIBUTES)),
];

const NON_RESOURCE_ATTRIBUTES: &[Field] = &[f(1, "path", Ty::Str), f(2, "verb", Ty::Str)];

const ACCESS_REVIEW_SPEC: &[Field] = &[
    ptr(1, "resourceAttributes", Ty::Msg(RESOURCE_ATTRIBUTES)),
    ptr(2, "nonResourceAttributes", Ty::Msg(NON_RESOURCE_ATTRIBUTES)),
];

const ACCESS_REVIEW_STATUS: &[Field] = &[
    f(1, "allowed", Ty::Bool),
    f(4, "denied", Ty::Bool),
    f(2, "reason", Ty::Str),
    f(3, "evaluationError", Ty::Str),
];

const SELF_SUBJECT_ACCESS_REVIEW: &[Field] = &[
    f(1, "metadata", Ty::Msg(OBJECT_META)),
    f(2, "spec", Ty::Msg(ACCESS_REVIEW_SPEC)),
    f(3, "status", Ty::Msg(ACCESS_REVIEW_STATUS)),
];

const RESOURCE_RULE: &[Field] = &[
    f(1, "verbs", Ty::Strs),
    f(2, "apiGroups", Ty::Strs),
    f(3, "resources", Ty::Strs),
    f(4, "resourceNames", Ty::Strs),
];

const NON_RESOURCE_RULE: &[Field] = &[f(1, "verbs", Ty::Strs), f(2, "nonResourceURLs", Ty::Strs)];

const RULES_REVIEW_STATUS: &[Field] = &[
    f(1, "resourceRules", Ty::Msgs(RESOURCE_RULE)),
    f(2, "nonResourceRules", Ty::Msgs(NON_RESOURCE_RULE)),
    f(3, "incomplete", Ty::Bool),
    f(4, "evaluationError", Ty::Str),
];

const SELF_SUBJECT_RULES_REVIEW: &[Field] = &[
    f(1, "metadata", Ty::Msg(OBJECT_META)),
    f(2, "spec", Ty::Msg(&[f(1, "namespace", Ty::Str)])),
    f(3, "status", Ty::Msg(RULES_REVIEW_STATUS)),
];

const USER_INFO: &[Field] = &[
    f(1, "username", Ty::Str),
    f(2, "uid", Ty::Str),
    f(3, "groups", Ty::Strs),
];

const SELF_SUBJECT_REVIEW: &[Field] = &[
    f(1, "metadata", Ty::Msg(OBJECT_META)),
    f(
        2,
        "status",
        Ty::Msg(&[f(1, "userInfo", Ty::Msg(USER_INFO))]),
    ),
];

/// The field table of a kind by group and kind, for the kinds this file models.
pub(super) fn table(group: &str, kind: &str) -> Option<&'static [Field]> {
    Some(match (group, kind) {
        ("", "ConfigMap") => CONFIG_MAP,
        ("authorization.k8s.io", "SelfSubjectAccessReview") => SELF_SUBJECT_ACCESS_REVIEW,
        ("authorization.k8s.io", "SelfSubjectRulesReview") => SELF_SUBJECT_RULES_REVIEW,
        ("authentication.k8s.io", "SelfSubjectReview") => SELF_SUBJECT_REVIEW,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use crate::sim::protobuf::decode_object;
    use crate::sim::protobuf::tests::{bytes, entry, num, wrap};
    use crate::sim::resources::{TYPES, by_kind};
    use crate::sim::served_kinds as reviews;

    #[test]
    fn what_kubectl_create_configmap_sends_decodes_as_its_json_would() {
        let metadata = bytes(1, &bytes(1, b"settings"));
        let raw = [
            metadata,
            entry(2, "mode", b"fast"),
            entry(3, "blob", &[0, 1, 2]),
            num(4, 1),
        ]
        .concat();
        let t = &TYPES[by_kind("", "ConfigMap").expect("served")];
        let object = decode_object(&wrap("v1", "ConfigMap", &raw), t).expect("decodes");
        assert_eq!(
            object,
            json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings"},
                   "data": {"mode": "fast"}, "binaryData": {"blob": "AAEC"}, "immutable": true})
        );
    }

    #[test]
    fn access_reviews_decode_with_the_blank_status_kubectl_sends() {
        let attributes = [
            bytes(1, b"payments"),
            bytes(2, b"create"),
            bytes(5, b"secrets"),
        ];
        let spec = bytes(1, &attributes.concat());
        // `allowed = false` and `denied = false`, written although zero.
        let status = [num(1, 0), num(4, 0)].concat();
        let raw = [bytes(1, &[]), bytes(2, &spec), bytes(3, &status)].concat();
        let body = wrap("authorization.k8s.io/v1", "SelfSubjectAccessReview", &raw);
        let review = decode_object(&body, &reviews::ACCESS_REVIEW).expect("decodes");
        assert_eq!(
            review,
            json!({"apiVersion": "authorization.k8s.io/v1", "kind": "SelfSubjectAccessReview",
                   "metadata": {}, "status": {},
                   "spec": {"resourceAttributes":
                       {"namespace": "payments", "verb": "create", "resource": "secrets"}}})
        );

        let status = bytes(2, &bytes(1, &[]));
        let raw = [bytes(1, &[]), status].concat();
        let body = wrap("authentication.k8s.io/v1", "SelfSubjectReview", &raw);
        let review = decode_object(&body, &reviews::SELF_REVIEW).expect("decodes");
        assert_eq!(review["status"], json!({"userInfo": {}}));

        let raw = [bytes(2, &bytes(1, b"payments")), bytes(3, &num(3, 0))];
        let body = wrap(
            "authorization.k8s.io/v1",
            "SelfSubjectRulesReview",
            &raw.concat(),
        );
        let review = decode_object(&body, &reviews::RULES_REVIEW).expect("decodes");
        assert_eq!(review["spec"], json!({"namespace": "payments"}));
    }
}
