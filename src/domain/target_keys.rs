//! Which keys an External secret's target Secret will have, as far as its spec says: what the
//! use-case rules (validation) check for required keys.

use crate::model::secret::ExternalSpec;

/// The keys the target Secret will have, when the spec says (`data[].secretKey` and
/// `template.data` keys; with a replacing template only its keys, with a merging one both);
/// `None` when they depend on the store (`dataFrom`, `templateFrom`).
pub fn target_keys(spec: &ExternalSpec) -> Option<Vec<&str>> {
    let template = spec.target.template.as_ref();
    if !spec.data_from.is_empty() || template.is_some_and(|t| !t.template_from.is_empty()) {
        return None;
    }
    let mut keys: Vec<&str> = match template {
        Some(t) if !t.data.is_empty() && t.merge_policy.is_default() => Vec::new(),
        _ => spec.data.iter().map(|e| e.secret_key.as_str()).collect(),
    };
    if let Some(t) = template {
        keys.extend(t.data.keys().map(String::as_str));
    }
    Some(keys)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::external::{ExternalDataFrom, ExternalTemplate, MergePolicy};
    use crate::model::secret::ExternalDataEntry;

    fn spec() -> ExternalSpec {
        ExternalSpec {
            store: "vault".into(),
            refresh_interval: "1h0m0s".into(),
            ..Default::default()
        }
    }

    #[test]
    fn target_keys_follow_the_template_and_are_unknown_with_data_from() {
        let mut spec = spec();
        spec.data = vec![ExternalDataEntry {
            secret_key: "password".into(),
            remote_key: "db".into(),
            ..Default::default()
        }];
        assert_eq!(target_keys(&spec), Some(vec!["password"]));
        let mut template = ExternalTemplate::default();
        template.data.insert("url".into(), "{{ .password }}".into());
        spec.target.template = Some(template.clone());
        assert_eq!(target_keys(&spec), Some(vec!["url"]));
        template.merge_policy = MergePolicy::Merge;
        spec.target.template = Some(template);
        assert_eq!(target_keys(&spec), Some(vec!["password", "url"]));
        spec.data_from = vec![ExternalDataFrom::default()];
        assert_eq!(target_keys(&spec), None);
    }
}
