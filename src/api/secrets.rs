//! Server functions for secrets. Each authorizes with `domain::permissions` and calls one
//! service in `server::secrets`.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::listing::{AssignOption, Page, SecretDetail, SecretQuery, SecretRow};
use crate::model::secret::{CreateSecretInput, SecretForm, UpdateSecretInput};

/// A page of the secrets the caller may see.
#[server(prefix = "/api", endpoint = "list_secrets", input = server_fn::codec::Json)]
pub async fn list_secrets(query: SecretQuery) -> Result<Page<SecretRow>, AppError> {
    use crate::domain::permissions::Action;
    use crate::server::api_support::{reader_for, respond};
    respond(
        async {
            let (state, principal) = reader_for(Action::ListSecrets).await?;
            let visibility = crate::server::secrets::Visibility::of(&principal);
            let mut page = crate::server::secrets::list(&state.db, &query, &visibility).await?;
            for row in &mut page.items {
                row.permissions = row_permissions(&principal, row);
            }
            Ok(page)
        }
        .await,
    )
}

/// One secret: spec (never values), per-project status, history.
#[server(prefix = "/api", endpoint = "get_secret")]
pub async fn get_secret(id: i64) -> Result<SecretDetail, AppError> {
    use crate::domain::permissions::Action;
    use crate::server::api_support::{authorize_secret, reader, respond};
    respond(
        async {
            let (state, principal) = reader().await?;
            let access = authorize_secret(&state, &principal, Action::ViewSecret, id).await?;
            let visibility = crate::server::secrets::Visibility::of(&principal);
            let mut detail = crate::server::secrets::detail(&state.db, id, &visibility).await?;
            // What the viewer may do, asked quietly: not being offered a button is no refusal
            // to audit. The assign form's choices come with the detail for whoever may assign.
            let target = crate::domain::permissions::Target::Secret {
                scope: access.scope,
                owner: access.owner,
                assigned: &access.assigned,
            };
            detail.secret.permissions =
                crate::domain::permissions::secret_permissions(&principal, &target);
            if detail.secret.permissions.can_assign {
                detail.assign_options =
                    Some(crate::server::secrets::assign_options(&state.db, id).await?);
                if detail.secret.scope == crate::model::secret::Scope::Organization {
                    detail.selectors =
                        Some(crate::server::secrets::selector_matches(&state.db, id).await?);
                }
            }
            detail.name_path = crate::server::secrets::name_path(&state.db, &detail.secret).await?;
            crate::server::secrets::add_store_conditions(&state.clusters, &mut detail).await;
            Ok(detail)
        }
        .await,
    )
}

/// The id of the secret named `name`: project `project`'s when given, else the organization
/// secret (of `kind`, which is needed only when an External and a Kubernetes one share the
/// name). NotFound, exactly as for an id, for a name the caller may not see.
#[server(prefix = "/api", endpoint = "secret_id_by_name")]
pub async fn secret_id_by_name(
    #[server(default)] project: Option<String>,
    name: String,
    #[server(default)] kind: Option<String>,
) -> Result<i64, AppError> {
    use crate::domain::permissions::{Action, Target, authorize};
    use crate::model::secret::SecretKind;
    use crate::server::api_support::{reader, respond};
    respond(
        async {
            let (state, principal) = reader().await?;
            let kind = match kind.as_deref().filter(|k| !k.is_empty()) {
                None => None,
                Some(text) => Some(SecretKind::parse(text).ok_or(AppError::NotFound)?),
            };
            let found =
                crate::server::secrets::ids_by_name(&state.db, project.as_deref(), &name, kind)
                    .await?;
            // Only what the caller may see counts: another project's secret of the same name
            // neither resolves nor makes a name ambiguous.
            let mut visible = Vec::new();
            for (id, kind) in found {
                let Some(access) = crate::server::secrets::access(&state.db, id).await? else {
                    continue;
                };
                let target = Target::Secret {
                    scope: access.scope,
                    owner: access.owner,
                    assigned: &access.assigned,
                };
                if authorize(Some(&principal), Action::ViewSecret, &target).is_ok() {
                    visible.push((id, kind));
                }
            }
            match visible.as_slice() {
                [] => Err(AppError::NotFound),
                [(id, _)] => Ok(*id),
                _ => Err(AppError::Validation {
                    field: "kind".to_owned(),
                    message: format!(
                        "an External and a Kubernetes organization secret are both named `{name}`: add ?kind=External or ?kind=Kubernetes to the address"
                    ),
                }),
            }
        }
        .await,
    )
}

/// Creates a secret; returns its id.
#[server(prefix = "/api", endpoint = "create_secret", input = server_fn::codec::Json)]
pub async fn create_secret(
    #[server(default)] csrf: String,
    input: CreateSecretInput,
) -> Result<i64, AppError> {
    use crate::server::api_support::{respond, writer};
    respond(
        async {
            let (state, principal) = writer(&csrf).await?;
            Ok(create_checked(&state, &principal, input).await?.0)
        }
        .await,
    )
}

/// The create form, as a browser posts it (also without JavaScript): flat fields, rows as
/// indexed lists; blank rows are ignored. On success the browser is sent to the new secret.
#[server(prefix = "/api", endpoint = "create_secret_form")]
pub async fn create_secret_form(
    #[server(default)] csrf: String,
    form: SecretForm,
) -> Result<i64, AppError> {
    use crate::server::api_support::{respond, writer};
    respond(
        async {
            let (state, principal) = writer(&csrf).await?;
            // Every problem at once, so the form shows each beside its field.
            AppError::invalid(crate::domain::validation::form_problems(
                &form,
                state.min_refresh_interval,
            ))?;
            let input = form.into_input()?;
            let name = input.name.clone();
            let (id, assigned) = create_checked(&state, &principal, input).await?;
            crate::server::form_posts::notice(&match assigned {
                0 => format!("Secret {name} created."),
                1 => format!("Secret {name} created and assigned to 1 project."),
                n => format!("Secret {name} created and assigned to {n} projects."),
            });
            leptos_axum::redirect(&format!("/secrets/{id}"));
            Ok(id)
        }
        .await,
    )
}

/// The object that would be applied for this input, values masked (for the form's preview).
#[server(prefix = "/api", endpoint = "preview_secret", input = server_fn::codec::Json)]
pub async fn preview_secret(form: SecretForm) -> Result<String, AppError> {
    use crate::server::api_support::{reader, respond};
    respond(
        async {
            let (state, principal) = reader().await?;
            let input = form.into_input()?;
            if let Some(project) = input.project_id {
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
            let namespace = match input.project_id {
                Some(project) => crate::server::projects::namespace_of(&state.db, project)
                    .await?
                    .unwrap_or_else(|| "<project namespace>".to_owned()),
                None => "<each assigned project's namespace>".to_owned(),
            };
            Ok(crate::server::cluster::manifest::preview(
                &input, &namespace,
            ))
        }
        .await,
    )
}

/// What `principal` may do with a listed secret. The row names the projects of the viewer's
/// that it is assigned to (all of them for a member; for an admin, who may do everything, a
/// few), which is all that decides what a member may see.
#[cfg(feature = "ssr")]
pub(crate) fn row_permissions(
    principal: &crate::domain::permissions::Principal,
    row: &SecretRow,
) -> crate::model::listing::SecretPermissions {
    let assigned: Vec<i64> = row.assigned_to.iter().map(|a| a.project.id).collect();
    let target = crate::domain::permissions::Target::Secret {
        scope: row.scope,
        owner: row.project.as_ref().map(|p| p.id),
        assigned: &assigned,
    };
    crate::domain::permissions::secret_permissions(principal, &target)
}

/// Every check a create must pass, then the create (with the assignments it names, in the
/// same transaction). Returns the id and how many projects it was assigned to.
#[cfg(feature = "ssr")]
pub(crate) async fn create_checked(
    state: &crate::server::state::AppState,
    principal: &crate::domain::permissions::Principal,
    input: CreateSecretInput,
) -> Result<(i64, usize), AppError> {
    use crate::domain::permissions::{Action, Target, check_allowlist};
    use crate::server::api_support::{actor, check};
    let target = Target::NewSecret {
        scope: input.scope,
        project: input.project_id,
    };
    check(state, principal, Action::CreateSecret, &target, None).await?;
    // Assigning in the same step asks what assigning afterwards would.
    if !input.assign_to.is_empty() || !input.selectors.trim().is_empty() {
        check(
            state,
            principal,
            Action::AssignSecret,
            &Target::Global,
            None,
        )
        .await?;
    }
    state.protected_names.check(&input.name)?;
    crate::server::limits::check_refresh_interval(&input.spec, state.min_refresh_interval)?;
    if !principal.is_admin
        && let Some(project) = input.project_id
    {
        let allowlist = crate::server::auth::users::allowlist(&state.db, project).await?;
        check_allowlist(&allowlist, &input.spec)?;
    }
    let new = crate::server::secrets::NewSecret {
        name: input.name,
        scope: input.scope,
        project_id: input.project_id,
        use_case: input.use_case,
        description: input.description,
        spec: input.spec,
        values: input.values,
        assign_to: input.assign_to,
        selectors: input.selectors,
    };
    let (id, diff) =
        crate::server::secrets::create_assigning(&state.db, &state.keys, &actor(principal), new)
            .await?;
    Ok((id, diff.added.len()))
}

/// Updates a secret; returns its new version. A stale `version` gives Conflict.
#[server(prefix = "/api", endpoint = "update_secret", input = server_fn::codec::Json)]
pub async fn update_secret(
    #[server(default)] csrf: String,
    id: i64,
    input: UpdateSecretInput,
) -> Result<i64, AppError> {
    use crate::server::api_support::{respond, writer};
    respond(
        async {
            let (state, principal) = writer(&csrf).await?;
            update_checked(&state, &principal, id, input).await
        }
        .await,
    )
}

/// The edit form, as a browser posts it (also without JavaScript). Values left blank keep
/// what they were; on success the browser is sent back to the secret.
#[server(prefix = "/api", endpoint = "update_secret_form")]
pub async fn update_secret_form(
    #[server(default)] csrf: String,
    id: i64,
    version: i64,
    form: SecretForm,
) -> Result<i64, AppError> {
    use crate::server::api_support::{respond, writer};
    respond(
        async {
            let (state, principal) = writer(&csrf).await?;
            // A secret's name cannot change: the edit form shows it read-only, and a script
            // need not send it.
            let problems =
                crate::domain::validation::form_problems(&form, state.min_refresh_interval)
                    .into_iter()
                    .filter(|problem| problem.field != "name")
                    .collect();
            AppError::invalid(problems)?;
            let input = form.into_update(version)?;
            let version = update_checked(&state, &principal, id, input).await?;
            let name = crate::server::secrets::name_of(&state.db, id)
                .await?
                .unwrap_or_default();
            crate::server::form_posts::notice(&format!("Secret {name} saved."));
            leptos_axum::redirect(&format!("/secrets/{id}"));
            Ok(version)
        }
        .await,
    )
}

/// Every check an update must pass, then the update.
#[cfg(feature = "ssr")]
async fn update_checked(
    state: &crate::server::state::AppState,
    principal: &crate::domain::permissions::Principal,
    id: i64,
    input: UpdateSecretInput,
) -> Result<i64, AppError> {
    use crate::domain::permissions::{Action, check_allowlist};
    use crate::server::api_support::{actor, authorize_secret};
    let access = authorize_secret(state, principal, Action::EditSecret, id).await?;
    if !principal.is_admin
        && let Some(project) = access.owner
    {
        let allowlist = crate::server::auth::users::allowlist(&state.db, project).await?;
        check_allowlist(&allowlist, &input.spec)?;
    }
    crate::server::limits::check_refresh_interval(&input.spec, state.min_refresh_interval)?;
    let changes = crate::server::secrets::SecretChanges {
        use_case: input.use_case,
        description: input.description,
        spec: input.spec,
        replace_values: input.replace_values,
    };
    Ok(crate::server::secrets::update(
        &state.db,
        &state.keys,
        &actor(principal),
        id,
        input.version,
        changes,
    )
    .await?)
}

/// Makes an organization secret's assignments exactly `project_ids`.
#[server(prefix = "/api", endpoint = "set_assignments")]
pub async fn set_assignments(
    #[server(default)] csrf: String,
    id: i64,
    #[server(default)] project_ids: Vec<i64>,
) -> Result<(), AppError> {
    use crate::domain::permissions::Action;
    use crate::server::api_support::{actor, authorize_secret, respond, writer};
    respond(
        async {
            let (state, principal) = writer(&csrf).await?;
            authorize_secret(&state, &principal, Action::AssignSecret, id).await?;
            crate::server::secrets::set_assignments(
                &state.db,
                &actor(&principal),
                id,
                &project_ids,
            )
            .await?;
            crate::server::form_posts::notice("Assignments saved.");
            Ok(())
        }
        .await,
    )
}

/// Unassigns an organization secret from one project (or retries a failed removal).
#[server(prefix = "/api", endpoint = "unassign_secret")]
pub async fn unassign_secret(
    #[server(default)] csrf: String,
    id: i64,
    project_id: i64,
) -> Result<(), AppError> {
    use crate::domain::permissions::Action;
    use crate::server::api_support::{actor, authorize_secret, respond, writer};
    respond(
        async {
            let (state, principal) = writer(&csrf).await?;
            let access = authorize_secret(&state, &principal, Action::AssignSecret, id).await?;
            crate::server::secrets::unassign(&state.db, &actor(&principal), id, project_id).await?;
            crate::server::form_posts::notice(&format!(
                "{} is being removed from the project.",
                access.name
            ));
            Ok(())
        }
        .await,
    )
}

/// Deletes a secret from every cluster, then from the console. From the delete form,
/// `confirm` must repeat the secret's name, and the browser is then sent to the list, whose
/// flash message says what was deleted.
#[server(prefix = "/api", endpoint = "delete_secret")]
pub async fn delete_secret(
    #[server(default)] csrf: String,
    id: i64,
    #[server(default)] confirm: Option<String>,
) -> Result<(), AppError> {
    use crate::domain::permissions::Action;
    use crate::server::api_support::{actor, authorize_secret, respond, writer};
    respond(
        async {
            let (state, principal) = writer(&csrf).await?;
            authorize_secret(&state, &principal, Action::DeleteSecret, id).await?;
            let mut confirmed = None;
            if let Some(confirm) = &confirm {
                let name = crate::server::secrets::name_of(&state.db, id)
                    .await?
                    .ok_or(AppError::NotFound)?;
                if confirm.trim() != name {
                    return Err(crate::domain::validation::FieldError::new(
                        "confirm",
                        format!("type the secret's name, `{name}`, to confirm"),
                    )
                    .into());
                }
                confirmed = Some(name);
            }
            crate::server::secrets::delete(&state.db, &actor(&principal), id).await?;
            if let Some(name) = confirmed {
                // The list says what was deleted (a name, never a value), once.
                crate::server::form_posts::notice(&format!("Secret {name} deleted."));
                leptos_axum::redirect("/secrets");
            }
            Ok(())
        }
        .await,
    )
}

/// The projects an organization secret can be assigned to, with collisions (admins only).
#[server(prefix = "/api", endpoint = "assign_options")]
pub async fn assign_options(id: i64) -> Result<Vec<AssignOption>, AppError> {
    use crate::domain::permissions::Action;
    use crate::server::api_support::{authorize_secret, reader, respond};
    respond(
        async {
            let (state, principal) = reader().await?;
            authorize_secret(&state, &principal, Action::AssignSecret, id).await?;
            Ok(crate::server::secrets::assign_options(&state.db, id).await?)
        }
        .await,
    )
}

/// Asks for an immediate re-sync in every project the secret is assigned to, or in one
/// (`project_id`); returns how many assignments were queued.
#[server(prefix = "/api", endpoint = "sync_secret")]
pub async fn sync_secret(
    #[server(default)] csrf: String,
    id: i64,
    #[server(default)] project_id: Option<i64>,
) -> Result<i64, AppError> {
    use crate::domain::permissions::Action;
    use crate::server::api_support::{actor, authorize_secret, respond, writer};
    respond(
        async {
            let (state, principal) = writer(&csrf).await?;
            let access = authorize_secret(&state, &principal, Action::SyncSecret, id).await?;
            // A member syncs only where they are a member.
            let mut projects = crate::server::api_support::sync_scope(&principal, &access);
            if let Some(one) = project_id {
                let allowed = projects.as_ref().is_none_or(|ids| ids.contains(&one))
                    && access.assigned.contains(&one);
                if !allowed {
                    return Err(AppError::NotFound);
                }
                projects = Some(vec![one]);
            }
            state.sync_now.acquire(principal.user_id, id)?;
            let queued = crate::server::secrets::request_sync(
                &state.db,
                &actor(&principal),
                id,
                projects.as_deref(),
            )
            .await
            .inspect_err(|_| state.sync_now.release(principal.user_id, id))?;
            crate::server::form_posts::notice(&format!(
                "Sync requested in {queued} project{}.",
                if queued == 1 { "" } else { "s" }
            ));
            Ok(i64::try_from(queued).unwrap_or(i64::MAX))
        }
        .await,
    )
}

/// Takes over a same-named object the console does not own in one project (admins only): the
/// next apply uses server-side apply with `force`.
#[server(prefix = "/api", endpoint = "adopt_object")]
pub async fn adopt_object(
    #[server(default)] csrf: String,
    id: i64,
    project_id: i64,
) -> Result<(), AppError> {
    use crate::domain::permissions::Action;
    use crate::server::api_support::{actor, authorize_secret, respond, writer};
    respond(
        async {
            let (state, principal) = writer(&csrf).await?;
            authorize_secret(&state, &principal, Action::AdoptObject, id).await?;
            crate::server::secrets::adopt(&state.db, &actor(&principal), id, project_id).await?;
            Ok(())
        }
        .await,
    )
}

/// One action on a selection of secrets: `sync`, `delete`, `assign` (adds `project_ids`) or
/// `unassign` (removes them). Each secret is authorized and changed on its own; refusals are
/// reported by name and do not stop the others. Ids count once each, and at most
/// [`MAX_BULK_IDS`](crate::model::listing::MAX_BULK_IDS) of them; Sync now is held to the same
/// per-secret limit as on its own.
#[server(prefix = "/api", endpoint = "bulk_secrets")]
pub async fn bulk_secrets(
    #[server(default)] csrf: String,
    action: String,
    #[server(default)] ids: Vec<i64>,
    #[server(default)] project_ids: Vec<i64>,
    #[server(default)] confirm: String,
) -> Result<crate::model::listing::BulkOutcome, AppError> {
    use crate::domain::permissions::Action;
    use crate::model::listing::BulkOutcome;
    use crate::server::api_support::{actor, authorize_secret, respond, writer};
    respond(
        async {
            let (state, principal) = writer(&csrf).await?;
            let needed = match action.as_str() {
                "sync" => Action::SyncSecret,
                "delete" => Action::DeleteSecret,
                "assign" | "unassign" => Action::AssignSecret,
                _ => {
                    return Err(crate::domain::validation::FieldError::new(
                        "action",
                        "choose sync, delete, assign or unassign",
                    )
                    .into());
                }
            };
            if ids.is_empty() {
                return Err(crate::domain::validation::FieldError::new(
                    "ids",
                    "select at least one secret",
                )
                .into());
            }
            let ids = crate::model::listing::bulk_ids("ids", &ids)?;
            let project_ids = crate::model::listing::bulk_ids("project_ids", &project_ids)?;
            if action == "delete" && confirm.trim() != "delete" {
                return Err(crate::domain::validation::FieldError::new(
                    "confirm",
                    "type delete to confirm deleting the selected secrets",
                )
                .into());
            }
            if matches!(action.as_str(), "assign" | "unassign") && project_ids.is_empty() {
                return Err(crate::domain::validation::FieldError::new(
                    "project_ids",
                    "choose at least one project",
                )
                .into());
            }
            let who = actor(&principal);
            let mut outcome = BulkOutcome {
                action: action.clone(),
                ..BulkOutcome::default()
            };
            for id in ids {
                let result: Result<(), AppError> = async {
                    // (sync, delete; anything else was refused above: assign or unassign)
                    let access = authorize_secret(&state, &principal, needed, id).await?;
                    let db = &state.db;
                    match action.as_str() {
                        "sync" => {
                            let projects =
                                crate::server::api_support::sync_scope(&principal, &access);
                            state.sync_now.acquire(principal.user_id, id)?;
                            crate::server::secrets::request_sync(db, &who, id, projects.as_deref())
                                .await
                                .inspect_err(|_| state.sync_now.release(principal.user_id, id))?;
                        }
                        "delete" => crate::server::secrets::delete(db, &who, id).await?,
                        _ => {
                            crate::server::secrets::change_projects(
                                db,
                                &who,
                                id,
                                &project_ids,
                                action == "assign",
                            )
                            .await?;
                        }
                    }
                    Ok(())
                }
                .await;
                match result {
                    Ok(()) => outcome.done += 1,
                    Err(AppError::NotFound) => {}
                    Err(error) => {
                        let name = crate::server::secrets::name_of(&state.db, id)
                            .await
                            .ok()
                            .flatten()
                            .unwrap_or_else(|| format!("#{id}"));
                        outcome.refused.push(format!("{name}: {error}"));
                    }
                }
            }
            if outcome.done > 0 {
                crate::server::form_posts::notice(&outcome.summary());
            }
            Ok(outcome)
        }
        .await,
    )
}
