//! What a team member may reference in External secrets of a project, said before they are
//! refused for it.

use leptos::prelude::*;

use crate::model::cluster::FormOptions;

/// "You may use stores: …; remote keys under: …" for a member whose choices the project's
/// allowlist limits (`options` from `form_options` for that project); nothing for admins, who
/// are not limited.
#[component]
pub fn AllowlistNote(options: FormOptions) -> impl IntoView {
    options.limited.then(|| {
        view! {
            <p class="allowlist-note" data-testid="allowlist-note">
                {allowlist_sentence(&options)}
            </p>
        }
    })
}

/// The note's words: both lists, or what to ask for when one is empty.
pub fn allowlist_sentence(options: &FormOptions) -> String {
    let stores = if options.stores.is_empty() {
        "none yet (ask an admin)".to_owned()
    } else {
        options.stores.join(", ")
    };
    let prefixes = if options.key_prefixes.is_empty() {
        "none yet (ask an admin)".to_owned()
    } else {
        options
            .key_prefixes
            .iter()
            .map(|p| format!("{}/", p.trim_end_matches('/')))
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!("You may use stores: {stores}; remote keys under: {prefixes}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_member_reads_their_stores_and_key_folders() {
        let options = FormOptions {
            stores: vec!["fake".into(), "vault".into()],
            key_prefixes: vec!["payments".into(), "shared/".into()],
            limited: true,
        };
        assert_eq!(
            allowlist_sentence(&options),
            "You may use stores: fake, vault; remote keys under: payments/, shared/"
        );
        let empty = FormOptions {
            limited: true,
            ..FormOptions::default()
        };
        assert!(allowlist_sentence(&empty).contains("stores: none yet (ask an admin)"));
    }
}
