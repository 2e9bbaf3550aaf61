//! What kube-apiserver's `ValidateSecret` (pkg/apis/core/validation/validation.go) demands of
//! each typed Secret, checked before anything is queued: the well-known keys, and for the
//! types that read their value, the value. Field errors name the key; they never show a value.

use super::{DOCKER_CONFIG_JSON_KEY, DOCKER_CONFIG_JSON_TYPE, FieldError, quote};
use crate::model::secret::KubernetesSpec;

/// The API server refuses typed Secrets without their well-known keys; say so before a
/// cluster does. `any_of` types need at least one of the keys, the others all of them.
pub(super) fn type_key_errors(spec: &KubernetesSpec) -> Option<FieldError> {
    let (required, any_of): (&[&str], bool) = match spec.secret_type.as_str() {
        "kubernetes.io/tls" => (&["tls.crt", "tls.key"], false),
        "kubernetes.io/ssh-auth" => (&["ssh-privatekey"], false),
        "kubernetes.io/basic-auth" => (&["username", "password"], true),
        DOCKER_CONFIG_JSON_TYPE => (&[DOCKER_CONFIG_JSON_KEY], false),
        _ => return None,
    };
    let has = |key: &&str| spec.keys.iter().any(|k| k == key);
    let satisfied = if any_of {
        required.iter().any(has)
    } else {
        required.iter().all(has)
    };
    (!satisfied).then(|| {
        let listed = required.iter().map(|k| quote(k)).collect::<Vec<_>>();
        let joined = listed.join(if any_of { " or " } else { " and " });
        FieldError::new(
            "keys",
            format!(
                "a {} secret needs the key {joined}: add it, or choose the Opaque type",
                spec.secret_type
            ),
        )
    })
}

/// Checks one value of a typed Secret as the API server would: a
/// `kubernetes.io/dockerconfigjson` value must be a JSON object (`json.Unmarshal` into a
/// `map[string]interface{}`), an ssh-auth `ssh-privatekey` must not be empty. Field
/// `values.<key>`. The message says what is wrong with the value, never what it is.
pub fn validate_typed_value(secret_type: &str, key: &str, value: &str) -> Result<(), FieldError> {
    let field = format!("values.{key}");
    match (secret_type, key) {
        (DOCKER_CONFIG_JSON_TYPE, DOCKER_CONFIG_JSON_KEY) => {
            let found = match serde_json::from_str::<serde_json::Value>(value) {
                Ok(serde_json::Value::Object(_)) => return Ok(()),
                Ok(serde_json::Value::Array(_)) => "a JSON array".to_owned(),
                Ok(serde_json::Value::String(_)) => "a JSON string".to_owned(),
                Ok(serde_json::Value::Number(_)) => "a JSON number".to_owned(),
                Ok(serde_json::Value::Bool(_) | serde_json::Value::Null) => {
                    "a JSON literal".to_owned()
                }
                // serde_json's message gives the line and column, never the text.
                Err(error) => format!("not JSON ({error})"),
            };
            Err(FieldError::new(
                field,
                format!(
                    "the value of {} must be a Docker config, a JSON object such as \
                     {{\"auths\": {{\"registry.example.com\": {{\"auth\": \"…\"}}}}}}; it is {found}. \
                     The cluster refuses a {DOCKER_CONFIG_JSON_TYPE} Secret otherwise",
                    quote(key)
                ),
            ))
        }
        ("kubernetes.io/ssh-auth", "ssh-privatekey") if value.is_empty() => Err(FieldError::new(
            field,
            "a kubernetes.io/ssh-auth secret needs a private key in ssh-privatekey: paste it, \
             or load it from a file",
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_docker_config_must_be_a_json_object_and_the_error_never_shows_it() {
        let ok = r#"{"auths":{"registry.example.com":{"auth":"ZGVtbzpkZW1v"}}}"#;
        assert!(validate_typed_value(DOCKER_CONFIG_JSON_TYPE, DOCKER_CONFIG_JSON_KEY, ok).is_ok());
        for (value, says) in [
            ("hunter2-not-json", "not JSON"),
            (r#"["hunter2-in-an-array"]"#, "a JSON array"),
            (r#""hunter2-a-string""#, "a JSON string"),
        ] {
            let error =
                validate_typed_value(DOCKER_CONFIG_JSON_TYPE, DOCKER_CONFIG_JSON_KEY, value)
                    .unwrap_err();
            assert_eq!(error.field, "values..dockerconfigjson");
            assert!(error.message.contains(says), "{}", error.message);
            assert!(!error.message.contains("hunter2"), "{}", error.message);
        }
        // Other types and keys are not read.
        assert!(validate_typed_value("Opaque", DOCKER_CONFIG_JSON_KEY, "x").is_ok());
    }

    #[test]
    fn an_ssh_auth_secret_needs_a_private_key() {
        let error =
            validate_typed_value("kubernetes.io/ssh-auth", "ssh-privatekey", "").unwrap_err();
        assert_eq!(error.field, "values.ssh-privatekey");
        assert!(
            validate_typed_value("kubernetes.io/ssh-auth", "ssh-privatekey", "-----BEGIN").is_ok()
        );
    }
}
