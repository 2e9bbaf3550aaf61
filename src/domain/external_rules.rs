//! Rules for the parts of an External spec the form does not edit (`dataFrom`, the target's
//! template and policies, `sourceRef`s; see [`crate::model::external`]). The server runs them
//! on every create and update, and on a pasted manifest; the CRD schema has checked the shape
//! by then (on the server), so these are the console's own rules on top.
//!
//! Errors name manifest paths (`spec.dataFrom[0].extract.key`), since these fields are only
//! ever written as YAML.

use crate::domain::validation::{FieldError, validate_key_name, validate_remote_key};
use crate::model::secret::ExternalSpec;

/// Kubernetes issues these to service accounts: a template must not make one.
const SERVICE_ACCOUNT_TOKEN_TYPE: &str = "kubernetes.io/service-account-token";

/// Every problem of the fields beyond store, refresh interval and `data` rows, in field order.
pub fn external_extra_errors(spec: &ExternalSpec) -> Vec<FieldError> {
    let mut errors = Vec::new();
    for (i, item) in spec.data_from.iter().enumerate() {
        let at = format!("spec.dataFrom[{i}]");
        let generator = item
            .source_ref
            .as_ref()
            .is_some_and(|s| s.get("generatorRef").is_some());
        let sources = [item.extract.is_some(), item.find.is_some(), generator];
        if sources.iter().filter(|s| **s).count() != 1 {
            errors.push(FieldError::new(
                at.clone(),
                "set exactly one of extract, find or sourceRef.generatorRef: each dataFrom item \
                 reads one thing",
            ));
        }
        if let Some(extract) = &item.extract {
            errors.extend(validate_remote_key(&format!("{at}.extract.key"), &extract.key).err());
        }
        if let Some(find) = &item.find {
            if find.name_regexp.as_deref().is_none_or(str::is_empty) && find.tags.is_empty() {
                errors.push(FieldError::new(
                    format!("{at}.find"),
                    "set name.regexp or tags (or both): a find with neither matches nothing in \
                     most stores",
                ));
            }
            if find.path.as_deref().is_some_and(|p| p.trim().is_empty()) {
                errors.push(FieldError::new(
                    format!("{at}.find.path"),
                    "must not be empty: name the folder to search, e.g. payments/, or leave it out",
                ));
            }
        }
    }
    if let Some(template) = &spec.target.template {
        for key in template.data.keys() {
            let field = format!("spec.target.template.data[{key}]");
            errors.extend(validate_key_name(&field, key).err());
        }
        match template.secret_type.as_deref() {
            Some("") => errors.push(FieldError::new(
                "spec.target.template.type",
                "must not be empty: name the Secret type, e.g. Opaque, or leave it out",
            )),
            Some(SERVICE_ACCOUNT_TOKEN_TYPE) => errors.push(FieldError::new(
                "spec.target.template.type",
                "service-account tokens are protected: Kubernetes issues them to service \
                 accounts, so a template cannot make one",
            )),
            _ => {}
        }
    }
    errors
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::external::ExternalTemplate;
    use crate::model::external::{ExternalDataFrom, ExternalExtract, ExternalFind};

    fn spec() -> ExternalSpec {
        ExternalSpec {
            store: "vault".into(),
            refresh_interval: "1h0m0s".into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_data_from_item_reads_exactly_one_thing() {
        let mut spec = spec();
        spec.data_from = vec![ExternalDataFrom::default()];
        let errors = external_extra_errors(&spec);
        assert_eq!(errors[0].field, "spec.dataFrom[0]");
        spec.data_from[0].extract = Some(ExternalExtract {
            key: "shared/postgres".into(),
            ..Default::default()
        });
        assert_eq!(external_extra_errors(&spec), vec![]);
    }

    #[test]
    fn extract_keys_are_checked_as_remote_keys_are_and_named_by_their_path() {
        let mut spec = spec();
        spec.data_from = vec![ExternalDataFrom {
            extract: Some(ExternalExtract {
                key: "shared//postgres".into(),
                ..Default::default()
            }),
            ..Default::default()
        }];
        let errors = external_extra_errors(&spec);
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "spec.dataFrom[0].extract.key");
    }

    #[test]
    fn a_find_needs_a_name_or_tags() {
        let mut spec = spec();
        spec.data_from = vec![ExternalDataFrom {
            find: Some(ExternalFind {
                path: Some("payments".into()),
                ..Default::default()
            }),
            ..Default::default()
        }];
        assert_eq!(
            external_extra_errors(&spec)[0].field,
            "spec.dataFrom[0].find"
        );
    }

    #[test]
    fn template_keys_and_type_are_checked() {
        let mut spec = spec();
        let mut template = ExternalTemplate {
            secret_type: Some(SERVICE_ACCOUNT_TOKEN_TYPE.into()),
            ..Default::default()
        };
        template.data.insert("bad key".into(), "{{ .x }}".into());
        spec.target.template = Some(template);
        let fields: Vec<String> = external_extra_errors(&spec)
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(
            fields,
            [
                "spec.target.template.data[bad key]",
                "spec.target.template.type"
            ]
        );
    }
}
