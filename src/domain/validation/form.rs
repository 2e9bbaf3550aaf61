//! Every problem of a secret form at once, as the server names them: the browser shows them as
//! the person types, and the server refuses a post with all of them (not only the first), so a
//! form can show each beside its field. Nothing is written while any is found.

use std::time::Duration;

use super::{
    FieldError, validate_all, validate_min_refresh_interval, validate_secret_name,
    validate_typed_value,
};
use crate::domain::labels::parse_selectors;
use crate::model::secret::{SecretForm, SecretSpec};

/// Every problem of `form`, in field order; `min_refresh`: the shortest refresh interval
/// allowed (the server's configured one; the browser checks against the default).
pub fn form_problems(form: &SecretForm, min_refresh: Duration) -> Vec<FieldError> {
    let mut found = Vec::new();
    if let Err(error) = validate_secret_name(form.name.trim()) {
        found.push(error);
    }
    match form.into_input() {
        Ok(input) => {
            found.extend(validate_all(input.use_case, &input.spec));
            // What the cluster would refuse of a typed Secret's values (a blank value while
            // editing keeps the stored one: only what was typed is checked).
            if let SecretSpec::Kubernetes(k8s) = &input.spec {
                found.extend(
                    input
                        .values
                        .iter()
                        .filter(|(_, value)| !value.is_empty())
                        .filter_map(|(key, value)| {
                            validate_typed_value(&k8s.secret_type, key, value).err()
                        }),
                );
            }
            if let SecretSpec::External(external) = &input.spec
                && !found.iter().any(|e| e.field == "refresh_interval")
            {
                found.extend(
                    validate_min_refresh_interval(&external.refresh_interval, min_refresh).err(),
                );
            }
        }
        Err(error) => found.push(error),
    }
    // The create form's selectors, as the selector form reads them.
    if let Err(error) = parse_selectors("selectors", &form.selectors) {
        found.push(error);
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::validation::DEFAULT_MIN_REFRESH_INTERVAL;

    #[test]
    fn every_problem_of_a_form_is_found_not_only_the_first() {
        let form = SecretForm {
            name: "Bad_Name".into(),
            scope: "Organization".into(),
            use_case: "Generic".into(),
            kind: "External".into(),
            store: "".into(),
            refresh_interval: "1h".into(),
            secret_key: vec!["a".into(), "b".into()],
            remote_key: vec!["".into(), "x/b".into()],
            selectors: "env=prod\ntier in web".into(),
            ..SecretForm::default()
        };
        let fields: Vec<String> = form_problems(&form, DEFAULT_MIN_REFRESH_INTERVAL)
            .into_iter()
            .map(|e| e.field)
            .collect();
        assert_eq!(fields, ["name", "store", "data[0].remote_key", "selectors"]);
    }
}
