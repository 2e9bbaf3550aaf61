//! Tests of `domain::permissions`.

use super::*;
use crate::model::secret::{ExternalDataEntry, ExternalSpec};
use Action::*;
use proptest::prelude::*;

const PAYMENTS: i64 = 1;
const SEARCH: i64 = 2;

fn admin() -> Principal {
    Principal {
        user_id: 1,
        email: "admin@example.com".into(),
        is_admin: true,
        projects: vec![],
    }
}

fn member() -> Principal {
    Principal {
        user_id: 2,
        email: "dev@example.com".into(),
        is_admin: false,
        projects: vec![PAYMENTS],
    }
}

fn outsider() -> Principal {
    Principal {
        user_id: 3,
        email: "other@example.com".into(),
        is_admin: false,
        projects: vec![SEARCH],
    }
}

/// The resources of project `payments` that the matrix walks.
fn targets() -> Vec<(&'static str, Target<'static>)> {
    vec![
        ("global", Target::Global),
        ("project payments", Target::Project(PAYMENTS)),
        (
            "new project secret in payments",
            Target::NewSecret {
                scope: Scope::Project,
                project: Some(PAYMENTS),
            },
        ),
        (
            "new org secret",
            Target::NewSecret {
                scope: Scope::Organization,
                project: None,
            },
        ),
        (
            "project secret of payments",
            Target::Secret {
                scope: Scope::Project,
                owner: Some(PAYMENTS),
                assigned: &[PAYMENTS],
            },
        ),
        (
            "org secret assigned to payments",
            Target::Secret {
                scope: Scope::Organization,
                owner: None,
                assigned: &[PAYMENTS],
            },
        ),
        (
            "org secret assigned nowhere",
            Target::Secret {
                scope: Scope::Organization,
                owner: None,
                assigned: &[],
            },
        ),
    ]
}

/// The designed outcome for a member of `payments`, per action and target.
fn expected_for_member(action: Action, target: &str) -> Result<(), Denied> {
    use Denied::*;
    let invisible = matches!(target, "org secret assigned nowhere");
    if invisible {
        return Err(NotFound);
    }
    match (action, target) {
        (ListSecrets | ListProjects, "global") => Ok(()),
        (ViewProject, "project payments") => Ok(()),
        (ViewSecret, "project secret of payments" | "org secret assigned to payments") => Ok(()),
        (CreateSecret, "new project secret in payments") => Ok(()),
        (EditSecret | SyncSecret | DeleteSecret, "project secret of payments") => Ok(()),
        _ => Err(Forbidden),
    }
}

#[test]
fn anonymous_is_unauthenticated_for_everything() {
    for action in Action::ALL {
        for (_, target) in targets() {
            assert_eq!(
                authorize(None, action, &target),
                Err(Denied::Unauthenticated)
            );
        }
    }
}

#[test]
fn admins_may_do_everything() {
    for action in Action::ALL {
        for (_, target) in targets() {
            assert_eq!(
                authorize(Some(&admin()), action, &target),
                Ok(()),
                "{action:?}"
            );
        }
    }
}

#[test]
fn members_follow_the_matrix() {
    for action in Action::ALL {
        for (name, target) in targets() {
            assert_eq!(
                authorize(Some(&member()), action, &target),
                expected_for_member(action, name),
                "{action:?} on {name}"
            );
        }
    }
}

#[test]
fn members_of_other_projects_see_nothing_of_payments() {
    for action in Action::ALL {
        for (name, target) in targets() {
            let got = authorize(Some(&outsider()), action, &target);
            match name {
                "global" => assert_ne!(got, Err(Denied::NotFound), "{action:?} on {name}"),
                // Creating an org secret names no project: it is refused, not hidden.
                "new org secret" => assert_eq!(got, Err(Denied::Forbidden)),
                _ => assert_eq!(got, Err(Denied::NotFound), "{action:?} on {name}"),
            }
        }
    }
}

#[test]
fn team_member_cannot_assign_org_secret() {
    let target = Target::Secret {
        scope: Scope::Organization,
        owner: None,
        assigned: &[PAYMENTS],
    };
    assert_eq!(
        authorize(Some(&member()), AssignSecret, &target),
        Err(Denied::Forbidden)
    );
}

/// The flags the pages show buttons by are the matrix's own answers, action by action.
#[test]
fn the_permission_flags_are_authorizes_answers() {
    for who in [admin(), member(), outsider()] {
        for (name, target) in targets() {
            if !matches!(target, Target::Secret { .. }) {
                continue;
            }
            let may = |action| authorize(Some(&who), action, &target).is_ok();
            let flags = secret_permissions(&who, &target);
            let label = format!("{} on {name}", who.email);
            assert_eq!(flags.can_edit, may(EditSecret), "{label}");
            assert_eq!(flags.can_delete, may(DeleteSecret), "{label}");
            assert_eq!(flags.can_sync, may(SyncSecret), "{label}");
            assert_eq!(flags.can_adopt, may(AdoptObject), "{label}");
            let organization = name.starts_with("org secret");
            assert_eq!(
                flags.can_assign,
                organization && may(AssignSecret),
                "{label}"
            );
        }
        let global = |action| authorize(Some(&who), action, &Target::Global).is_ok();
        let flags = user_permissions(&who);
        assert_eq!(flags.can_assign_secrets, global(AssignSecret));
        assert_eq!(flags.can_view_stores, global(ViewStores));
        assert_eq!(flags.can_manage_users, global(ManageUsers));
        assert_eq!(flags.can_manage_clusters, global(ManageClusters));
    }
}

#[test]
fn a_member_may_change_their_project_secret_but_only_look_at_an_org_secret() {
    let own = Target::Secret {
        scope: Scope::Project,
        owner: Some(PAYMENTS),
        assigned: &[PAYMENTS],
    };
    let org = Target::Secret {
        scope: Scope::Organization,
        owner: None,
        assigned: &[PAYMENTS],
    };
    let mine = secret_permissions(&member(), &own);
    assert!(mine.can_edit && mine.can_delete && mine.can_sync);
    assert!(!mine.can_assign && !mine.can_adopt);
    assert_eq!(
        secret_permissions(&member(), &org),
        SecretPermissions::default()
    );
    let everything = secret_permissions(&admin(), &org);
    assert!(everything.can_edit && everything.can_delete && everything.can_assign);
    // A project secret is never assigned, not even by an admin.
    assert!(!secret_permissions(&admin(), &own).can_assign);
    assert_eq!(user_permissions(&member()), UserPermissions::default());
    let admin = user_permissions(&admin());
    assert!(admin.can_create_org_secrets && admin.can_assign_secrets && admin.can_manage_users);
}

#[test]
fn denials_map_to_401_404_403() {
    assert_eq!(AppError::from(Denied::Unauthenticated).status(), 401);
    assert_eq!(AppError::from(Denied::NotFound).status(), 404);
    assert_eq!(AppError::from(Denied::Forbidden).status(), 403);
}

fn spec(store: &str, remote_key: &str) -> SecretSpec {
    SecretSpec::External(ExternalSpec {
        store: store.into(),
        refresh_interval: "1h0m0s".into(),
        data: vec![ExternalDataEntry {
            secret_key: "k".into(),
            remote_key: remote_key.into(),
            property: None,
            version: None,
            ..Default::default()
        }],
        ..Default::default()
    })
}

#[test]
fn members_reference_only_allowed_stores_and_prefixes() {
    let allow = Allowlist {
        stores: vec!["vault".into()],
        key_prefixes: vec!["payments/".into()],
    };
    assert!(check_allowlist(&allow, &spec("vault", "payments/db")).is_ok());
    let store = check_allowlist(&allow, &spec("aws-secrets-manager", "payments/db")).unwrap_err();
    assert_eq!(store.field, "store");
    assert!(store.message.contains("vault"));
    let key = check_allowlist(&allow, &spec("vault", "search/db")).unwrap_err();
    assert_eq!(key.field, "data[0].remote_key");
    assert!(key.message.contains("payments/"));
    let none = check_allowlist(&Allowlist::default(), &spec("vault", "x")).unwrap_err();
    assert!(none.message.contains("ask an admin"));
}

fn allow_prefix(prefix: &str) -> Allowlist {
    Allowlist {
        stores: vec!["vault".into()],
        key_prefixes: vec![prefix.into()],
    }
}

#[test]
fn key_prefixes_match_whole_path_parts_with_or_without_a_trailing_slash() {
    for prefix in ["payments", "payments/"] {
        for key in [
            "payments/x",
            "payments/a/b",
            "payments/db/password",
            "payments",
        ] {
            assert!(key_within_prefix(key, prefix), "{key} in {prefix}");
        }
        for key in [
            "payments-admin/x",
            "paymentsx",
            "paymentsx/y",
            "pay",
            "search/payments",
        ] {
            assert!(!key_within_prefix(key, prefix), "{key} in {prefix}");
        }
    }
    assert!(key_within_prefix(
        "shared/postgres/password",
        "shared/postgres/"
    ));
    assert!(!key_within_prefix("shared/postgresql", "shared/postgres/"));
    assert!(!key_within_prefix("shared", "shared/postgres"));
}

#[test]
fn keys_and_prefixes_that_are_not_clean_paths_are_within_nothing() {
    for (key, prefix) in [
        ("payments/../search/db", "payments"),
        ("payments/./db", "payments"),
        ("payments//db", "payments"),
        ("payments/db/", "payments"),
        ("/payments/db", "payments"),
        ("payments/db", "/payments"),
        ("payments/db", "payments//"),
        ("payments/db", ""),
        ("payments/db", "/"),
        ("search/db", "payments/.."),
        ("./db", "."),
    ] {
        assert!(!key_within_prefix(key, prefix), "{key} in {prefix}");
    }
}

#[test]
fn a_member_cannot_climb_out_of_the_prefix_with_dot_dot_and_the_field_is_named() {
    for prefix in ["payments", "payments/"] {
        let error = check_allowlist(
            &allow_prefix(prefix),
            &spec("vault", "payments/../search/db"),
        )
        .unwrap_err();
        assert_eq!(error.field, "data[0].remote_key");
        assert!(error.message.contains("'..'"), "{}", error.message);
    }
}

#[test]
fn a_member_cannot_use_a_sibling_that_only_shares_the_prefix_letters() {
    for prefix in ["payments", "payments/"] {
        let error =
            check_allowlist(&allow_prefix(prefix), &spec("vault", "payments-admin/x")).unwrap_err();
        assert_eq!(error.field, "data[0].remote_key");
        assert!(
            error.message.contains(prefix) && error.message.contains("payments/db"),
            "{}",
            error.message
        );
    }
}

#[test]
fn ordinary_keys_inside_the_prefix_are_still_allowed() {
    assert_eq!(
        check_allowlist(
            &allow_prefix("payments/"),
            &spec("vault", "payments/db/password")
        ),
        Ok(())
    );
    assert_eq!(
        check_allowlist(
            &allow_prefix("shared/postgres"),
            &spec("vault", "shared/postgres")
        ),
        Ok(())
    );
    assert_eq!(
        check_allowlist(&allow_prefix("my app"), &spec("vault", "my app")),
        Ok(())
    );
    assert_eq!(
        check_allowlist(&allow_prefix("my app/"), &spec("vault", "my app/pass word")),
        Ok(())
    );
}

#[test]
fn allowlists_refuse_prefixes_that_are_not_clean_paths_naming_the_field() {
    assert_eq!(allow_prefix("payments/").validate_key_prefixes(), Ok(()));
    for bad in ["/payments", "payments//", "payments/../search", ""] {
        let error = allow_prefix(bad).validate_key_prefixes().unwrap_err();
        assert_eq!(error.field, "key_prefixes", "{bad}");
    }
}

/// Cleans a path the way a provider would (Go's `path.Clean`, roughly): empty and `.` parts
/// dropped, `..` removes the part before it. None when `..` climbs above the store's root.
fn clean(path: &str) -> Option<Vec<&str>> {
    let mut parts = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            other => parts.push(other),
        }
    }
    Some(parts)
}

fn arb_part() -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::sample::select(vec![
            "",
            ".",
            "..",
            "payments",
            "payments-admin",
            "paymentsx",
            "search",
            "db",
            " ",
        ])
        .prop_map(str::to_owned),
        "[a-z. -]{1,5}",
    ]
}

fn arb_path() -> impl Strategy<Value = String> {
    (
        any::<bool>(),
        proptest::collection::vec(arb_part(), 1..5),
        any::<bool>(),
    )
        .prop_map(|(leading, parts, trailing)| {
            let joined = parts.join("/");
            format!(
                "{}{joined}{}",
                if leading { "/" } else { "" },
                if trailing { "/" } else { "" }
            )
        })
}

proptest! {
    #[test]
    fn an_accepted_key_never_resolves_outside_its_prefix(
        prefix in arb_path(),
        joint in proptest::sample::select(vec!["/", "", "-", "none"]),
        tail in arb_path(),
    ) {
        // Most keys start with the prefix's text, joined by a '/' (so that acceptances are
        // common) or by nothing or '-' (siblings such as `payments-admin/x`).
        let key = match joint {
            "none" => tail,
            joint => format!("{}{joint}{tail}", prefix.strip_suffix('/').unwrap_or(&prefix)),
        };
        let accepted = validate_remote_key("data[0].remote_key", &key).is_ok()
            && check_allowlist(&allow_prefix(&prefix), &spec("vault", &key)).is_ok();
        if accepted {
            let cleaned_prefix = clean(&prefix);
            prop_assert!(cleaned_prefix.is_some(), "{prefix:?} climbs out of the root");
            let cleaned_prefix = cleaned_prefix.unwrap();
            prop_assert!(!cleaned_prefix.is_empty(), "{prefix:?} is the whole store");
            let cleaned_key = clean(&key);
            prop_assert!(
                cleaned_key.as_ref().is_some_and(|k| k.starts_with(&cleaned_prefix)),
                "{key:?} resolves to {cleaned_key:?}, outside {prefix:?}"
            );
        }
    }

    #[test]
    fn clean_keys_under_a_valid_prefix_are_accepted(
        prefix in "[a-z]{1,4}(/[a-z .-]{0,3}[a-z])?/?",
        tail in "[a-z]([a-z .-]{0,3}[a-z])?(/[a-z]{1,3}){0,2}",
    ) {
        prop_assert_eq!(allow_prefix(&prefix).validate_key_prefixes(), Ok(()));
        let key = format!("{}/{tail}", prefix.trim_end_matches('/'));
        prop_assert_eq!(
            check_allowlist(&allow_prefix(&prefix), &spec("vault", &key)),
            Ok(())
        );
    }
}

#[test]
fn allowlist_items_are_trimmed_sorted_and_unique() {
    assert_eq!(
        Allowlist::items(" vault \nfake, vault\n\n"),
        vec!["fake".to_owned(), "vault".to_owned()]
    );
}

#[test]
fn stores_no_cluster_offers_are_warned_about_not_refused() {
    let allowlist = Allowlist {
        stores: vec!["fake".into(), "vualt".into()],
        key_prefixes: vec![],
    };
    let unknown = allowlist.unknown_stores(&["fake".into(), "vault".into()]);
    assert_eq!(unknown, vec!["vualt".to_owned()]);
    let warning = unknown_stores_warning(&unknown).unwrap_or_default();
    assert!(
        warning.contains("`vualt`") && warning.contains("Stores page"),
        "{warning}"
    );
    assert_eq!(unknown_stores_warning(&[]), None);
}

/// A spec with one `dataFrom` item and no key rows, as a pasted manifest gives.
fn data_from(item: crate::model::external::ExternalDataFrom) -> SecretSpec {
    let SecretSpec::External(mut external) = spec("vault", "payments/db") else {
        unreachable!("spec is External")
    };
    external.data.clear();
    external.data_from = vec![item];
    SecretSpec::External(external)
}

#[test]
fn a_members_find_outside_the_allowlist_is_refused_naming_its_path() {
    use crate::model::external::{ExternalDataFrom, ExternalFind};
    let allow = Allowlist {
        stores: vec!["vault".into()],
        key_prefixes: vec!["payments/".into()],
    };
    let find = |path: Option<&str>| {
        data_from(ExternalDataFrom {
            find: Some(ExternalFind {
                path: path.map(str::to_owned),
                name_regexp: Some(".*".into()),
                ..Default::default()
            }),
            ..Default::default()
        })
    };
    assert!(check_allowlist(&allow, &find(Some("payments/"))).is_ok());
    assert!(check_allowlist(&allow, &find(Some("payments/db"))).is_ok());
    for outside in [
        Some("search"),
        Some("payments-admin/"),
        Some("payments/../search"),
        None,
    ] {
        let error = check_allowlist(&allow, &find(outside)).unwrap_err();
        assert_eq!(error.field, "spec.dataFrom[0].find.path", "{outside:?}");
    }
}

#[test]
fn a_members_extract_key_is_checked_as_keys_are_and_source_refs_are_for_admins() {
    use crate::model::external::{ExternalDataFrom, ExternalExtract};
    let allow = Allowlist {
        stores: vec!["vault".into()],
        key_prefixes: vec!["payments/".into()],
    };
    let extract = |key: &str| {
        data_from(ExternalDataFrom {
            extract: Some(ExternalExtract {
                key: key.into(),
                ..Default::default()
            }),
            ..Default::default()
        })
    };
    assert!(check_allowlist(&allow, &extract("payments/postgres")).is_ok());
    let error = check_allowlist(&allow, &extract("shared/postgres")).unwrap_err();
    assert_eq!(error.field, "spec.dataFrom[0].extract.key");
    assert!(error.message.contains("payments/"), "{}", error.message);
    let generator = data_from(ExternalDataFrom {
        source_ref: Some(serde_json::json!({"generatorRef": {"kind": "Password", "name": "p"}})),
        ..Default::default()
    });
    let error = check_allowlist(&allow, &generator).unwrap_err();
    assert_eq!(error.field, "spec.dataFrom[0].sourceRef");
}
