//! The create/edit form's YAML tab: a pasted ExternalSecret manifest read into a spec, and the
//! form's spec written out as one ("Edit as YAML").

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::eso_yaml::ParsedExternalSecret;
use crate::model::secret::SecretForm;

/// Reads an ExternalSecret manifest (`external-secrets.io/v1` or `v1beta1`, YAML or JSON):
/// validated against the CRD schema and the console's rules, every problem naming its path
/// (`spec.dataFrom[0].extract.key`), with notes for the fields the console owns. Changes
/// nothing. With `project_id`, the caller must be able to see that project, and a team member's
/// manifest must stay within the project's allowlist and the server's minimum refresh interval,
/// as saving it would require.
#[server(prefix = "/api", endpoint = "parse_external_secret_yaml", input = server_fn::codec::Json)]
pub async fn parse_external_secret_yaml(
    yaml: String,
    #[server(default)] project_id: Option<i64>,
) -> Result<ParsedExternalSecret, AppError> {
    use crate::server::api_support::{reader, respond};
    respond(
        async {
            let (state, principal) = reader().await?;
            if let Some(project) = project_id {
                use crate::domain::permissions::{Action, Target};
                crate::server::api_support::check(
                    &state,
                    &principal,
                    Action::ViewProject,
                    &Target::Project(project),
                    None,
                )
                .await?;
            }
            read_checked(&state, &principal, &yaml, project_id).await
        }
        .await,
    )
}

/// The YAML tab without JavaScript: an ExternalSecret manifest posted as a plain form from
/// the create page, for the page's `scope` (and `project_id`, on a project's page). Read and
/// checked exactly as the tab's "Load into the form" and then Save do (the manifest's rules,
/// then the form's, then everything a create must pass), every problem naming its manifest
/// path; nothing is written unless all pass. Created as the tab leaves the form: use case
/// Generic, no description, no assignments. On success the browser is sent to the new secret.
#[server(prefix = "/api", endpoint = "create_secret_yaml_form")]
pub async fn create_secret_yaml_form(
    #[server(default)] csrf: String,
    yaml: String,
    scope: String,
    #[server(default)] project_id: Option<i64>,
) -> Result<i64, AppError> {
    use crate::domain::permissions::{Action, Target};
    use crate::model::secret::{Scope, SecretSpec, UseCase};
    use crate::server::api_support::{respond, writer};
    respond(
        async {
            let (state, principal) = writer(&csrf).await?;
            // A pasted manifest that is not an ExternalSecret may be a Secret with its values:
            // never kept to be shown again, whatever is refused.
            if !looks_like_external_secret(&yaml) {
                crate::server::form_posts::forget_input();
            }
            let scope = Scope::parse(&scope)
                .ok_or_else(|| AppError::validation("scope", "choose Organization or Project"))?;
            // Whether the caller may create here at all comes first: nothing about the
            // manifest is said to someone who may not.
            let target = Target::NewSecret {
                scope,
                project: project_id,
            };
            crate::server::api_support::check(
                &state,
                &principal,
                Action::CreateSecret,
                &target,
                None,
            )
            .await?;
            let parsed = read_checked(&state, &principal, &yaml, project_id).await?;
            // The form as the YAML tab fills it, and Save's checks of it.
            let form = crate::model::secret::SecretForm::of(
                &parsed.name,
                scope,
                project_id,
                UseCase::Generic,
                "",
                &SecretSpec::External(parsed.spec),
            );
            AppError::invalid(crate::domain::validation::form_problems(
                &form,
                state.min_refresh_interval,
            ))
            .map_err(in_manifest)?;
            let input = form.into_input().map_err(|e| in_manifest(e.into()))?;
            let name = input.name.clone();
            let (id, _) = crate::api::secrets::create_checked(&state, &principal, input)
                .await
                .map_err(in_manifest)?;
            crate::server::form_posts::notice(&format!("Secret {name} created."));
            leptos_axum::redirect(&format!("/secrets/{id}"));
            Ok(id)
        }
        .await,
    )
}

/// Whether `yaml` says it is an ExternalSecret (`kind: ExternalSecret` on a line of its own):
/// only such a manifest is kept to be shown again after a refusal.
#[cfg(feature = "ssr")]
fn looks_like_external_secret(yaml: &str) -> bool {
    let kinds: Vec<&str> = yaml
        .lines()
        .filter_map(|line| {
            let line = line.trim_start();
            (line.strip_prefix("kind:")).or_else(|| line.strip_prefix("\"kind\":"))
        })
        .map(|kind| kind.trim().trim_end_matches(',').trim_matches(['"', '\'']))
        .collect();
    kinds.contains(&"ExternalSecret") && !kinds.contains(&"Secret")
}

/// `error` with each field it names as the manifest's path (`store`:
/// `spec.secretStoreRef.name`).
#[cfg(feature = "ssr")]
fn in_manifest(error: AppError) -> AppError {
    use crate::error::FieldError;
    use crate::server::eso::parse::manifest_path;
    match error {
        AppError::Validation { field, message } => {
            AppError::validation(manifest_path(&field), message)
        }
        AppError::Invalid { errors } => AppError::Invalid {
            errors: errors
                .into_iter()
                .map(|e| FieldError::new(manifest_path(&e.field), e.message))
                .collect(),
        },
        other => other,
    }
}

/// Reads `yaml` as the YAML tab does: the manifest's own rules, the server's minimum refresh
/// interval, and for a team member on a project's page the project's allowlist. Every problem
/// names its manifest path.
#[cfg(feature = "ssr")]
async fn read_checked(
    state: &crate::server::state::AppState,
    principal: &crate::domain::permissions::Principal,
    yaml: &str,
    project_id: Option<i64>,
) -> Result<ParsedExternalSecret, AppError> {
    use crate::server::eso::parse::manifest_path;
    let parsed = crate::server::eso::parse_external_secret(yaml).or_else(|errors| {
        AppError::invalid(errors)?;
        Err(AppError::validation("manifest", "was refused"))
    })?;
    let spec = crate::model::secret::SecretSpec::External(parsed.spec.clone());
    let in_manifest =
        |e: crate::error::FieldError| AppError::validation(manifest_path(&e.field), e.message);
    crate::server::limits::check_refresh_interval(&spec, state.min_refresh_interval)
        .map_err(in_manifest)?;
    if !principal.is_admin
        && let Some(project) = project_id
    {
        let allowlist = crate::server::auth::users::allowlist(&state.db, project).await?;
        crate::domain::permissions::check_allowlist(&allowlist, &spec).map_err(in_manifest)?;
    }
    Ok(parsed)
}

/// The create/edit form's External secret as the manifest the YAML tab shows for "Edit as
/// YAML": `external-secrets.io/v1`, every default pinned, every field the form holds (its
/// hidden extras too), without the namespace and labels the console sets. Reads nothing
/// stored: the form is the caller's own, so any signed-in person may ask.
#[server(prefix = "/api", endpoint = "external_secret_form_yaml", input = server_fn::codec::Json)]
pub async fn external_secret_form_yaml(form: SecretForm) -> Result<String, AppError> {
    use crate::server::api_support::{reader, respond};
    respond(
        async {
            reader().await?;
            let input = form.into_input()?;
            let crate::model::secret::SecretSpec::External(spec) = &input.spec else {
                return Err(AppError::validation(
                    "kind",
                    "only an External secret is written as an ExternalSecret manifest",
                ));
            };
            Ok(crate::server::eso::authoring_yaml(&input.name, spec))
        }
        .await,
    )
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::looks_like_external_secret;

    #[test]
    fn only_an_external_secret_is_kept_to_be_shown_again() {
        let external = "apiVersion: external-secrets.io/v1\nkind: ExternalSecret\nspec:\n  \
                        secretStoreRef: {name: vault, kind: ClusterSecretStore}\n";
        assert!(looks_like_external_secret(external));
        assert!(looks_like_external_secret(
            "{\n  \"kind\": \"ExternalSecret\",\n  \"spec\": {}\n}"
        ));
        for other in [
            "apiVersion: v1\nkind: Secret\nstringData: {password: x}\n",
            &format!("{external}---\napiVersion: v1\nkind: Secret\n"),
            "{\"kind\":\"ExternalSecret\"}",
            "not yaml at all",
        ] {
            assert!(!looks_like_external_secret(other), "{other}");
        }
    }
}
