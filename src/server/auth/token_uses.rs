//! Which server functions an API token may call, decided here for all of them.
//!
//! Every server function is one of: a read (any token), a change (read-write tokens only), or
//! for the browser session only (signing in and out, the page's one-time messages, and the
//! tokens themselves: a token cannot make or revoke tokens, so a leaked one cannot outlive its
//! revocation). A server function missing from [`use_of`] is refused to every token, and the
//! test below fails until it is classified.

/// What a server function may be called with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Use {
    /// Changes nothing: any token of a user who may call it.
    Read,
    /// Changes something: only a read-write token.
    Write,
    /// Only from a signed-in browser, never with a token.
    SessionOnly,
}

/// How server function `endpoint` (its path after `/api/`) may be used; `None` when it is not
/// classified (refused to tokens).
pub fn use_of(endpoint: &str) -> Option<Use> {
    Some(match endpoint {
        "list_secrets"
        | "live_secrets"
        | "get_secret"
        | "secret_id_by_name"
        | "preview_secret"
        | "assign_options"
        | "used_by"
        | "list_projects"
        | "list_project_names"
        | "get_project"
        | "list_users"
        | "list_clusters"
        | "list_stores"
        | "form_options"
        | "get_allowlist"
        | "secret_selectors"
        | "preview_selectors"
        | "assignable_secrets"
        | "project_tab_rows"
        | "list_audit"
        | "unmanaged_objects"
        | "parse_external_secret_yaml"
        | "external_secret_form_yaml"
        | "applied_manifests" => Use::Read,
        "create_secret"
        | "create_secret_form"
        | "create_secret_yaml_form"
        | "update_secret"
        | "update_secret_form"
        | "set_assignments"
        | "unassign_secret"
        | "delete_secret"
        | "sync_secret"
        | "adopt_object"
        | "manage_existing"
        | "bulk_secrets"
        | "create_user"
        | "set_memberships"
        | "create_project"
        | "set_allowlist"
        | "rename_project"
        | "delete_project"
        | "set_secret_selectors"
        | "assign_existing"
        | "sync_all"
        | "set_project_labels"
        | "set_user_role"
        | "set_user_disabled"
        | "reset_password" => Use::Write,
        "login"
        | "logout"
        | "sign_out_everywhere"
        | "whoami"
        | "server_info"
        | "take_flash"
        | "list_my_tokens"
        | "list_all_tokens"
        | "create_token"
        | "revoke_token"
        | "take_created_token"
        | "choose_password"
        | "sign_in_options" => Use::SessionOnly,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_server_function_is_classified_for_tokens() {
        let unclassified: Vec<&str> = leptos::server_fn::axum::server_fn_paths()
            .map(|(path, _)| path.trim_start_matches("/api/"))
            .filter(|endpoint| use_of(endpoint).is_none())
            .collect();
        assert!(
            unclassified.is_empty(),
            "classify these server functions in server/auth/token_uses.rs (read, write or \
             session only): {unclassified:?}"
        );
    }

    #[test]
    fn the_list_sees_the_server_functions() {
        // The check above means something only if the registry is filled in a unit test.
        assert!(
            leptos::server_fn::axum::server_fn_paths()
                .any(|(path, _)| path == "/api/create_secret")
        );
    }

    #[test]
    fn changes_need_a_read_write_token_and_sign_in_needs_a_browser() {
        assert_eq!(use_of("sync_secret"), Some(Use::Write));
        assert_eq!(use_of("list_secrets"), Some(Use::Read));
        assert_eq!(use_of("create_token"), Some(Use::SessionOnly));
        assert_eq!(use_of("something_new"), None);
    }
}
