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
            use crate::server::eso::parse::manifest_path;
            let parsed = crate::server::eso::parse_external_secret(&yaml).or_else(|errors| {
                AppError::invalid(errors)?;
                Err(AppError::validation("manifest", "was refused"))
            })?;
            let spec = crate::model::secret::SecretSpec::External(parsed.spec.clone());
            let in_manifest = |e: crate::error::FieldError| {
                AppError::validation(manifest_path(&e.field), e.message)
            };
            crate::server::limits::check_refresh_interval(&spec, state.min_refresh_interval)
                .map_err(in_manifest)?;
            if !principal.is_admin
                && let Some(project) = project_id
            {
                let allowlist = crate::server::auth::users::allowlist(&state.db, project).await?;
                crate::domain::permissions::check_allowlist(&allowlist, &spec)
                    .map_err(in_manifest)?;
            }
            Ok(parsed)
        }
        .await,
    )
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
