//! What the create/edit form's YAML tab gets back for a pasted ExternalSecret manifest.

use serde::{Deserialize, Serialize};

/// A YAML manifest read by the form's YAML tab: what the console will store, and what it
/// changed or ignored on the way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParsedExternalSecret {
    /// `metadata.name`: the secret's name.
    pub name: String,
    /// The spec, every field kept.
    pub spec: crate::model::secret::ExternalSpec,
    /// Fields the console owns that the manifest set differently (namespace, labels, store
    /// kind, target name, …), one sentence each.
    pub notes: Vec<String>,
}

#[cfg(test)]
mod tests {
    use crate::model::secret::{ExternalDataEntry, ExternalSpec, SecretSpec};

    #[test]
    fn saving_the_form_keeps_every_field_a_manifest_set() {
        use crate::model::external::{DecodingStrategy, ExternalDataFrom, ExternalExtract};
        let mut spec = ExternalSpec {
            store: "vault".into(),
            refresh_interval: "1h0m0s".into(),
            data: vec![ExternalDataEntry {
                secret_key: "password".into(),
                remote_key: "payments/db".into(),
                ..Default::default()
            }],
            data_from: vec![ExternalDataFrom {
                extract: Some(ExternalExtract {
                    key: "payments/postgres".into(),
                    ..Default::default()
                }),
                ..Default::default()
            }],
            ..Default::default()
        };
        spec.data[0].strategies.decoding_strategy = DecodingStrategy::Base64;
        spec.target.template = Some(Default::default());
        let whole = SecretSpec::External(spec);
        let form = crate::model::secret::SecretForm::of(
            "db",
            crate::model::secret::Scope::Project,
            Some(1),
            crate::model::secret::UseCase::Generic,
            "",
            &whole,
        );
        assert!(!form.external_extra.is_empty());
        assert_eq!(form.into_input().expect("reads").spec, whole);
        let plain = SecretSpec::External(ExternalSpec {
            store: "vault".into(),
            ..Default::default()
        });
        let form = crate::model::secret::SecretForm::of(
            "db",
            crate::model::secret::Scope::Project,
            Some(1),
            crate::model::secret::UseCase::Generic,
            "",
            &plain,
        );
        assert_eq!(
            form.external_extra, "",
            "an ordinary spec carries nothing hidden"
        );
    }
}
