//! The demo organization the embedded default starts with: three simulated clusters, a few
//! projects, an admin and a team member, and some secrets. Seeded once, into an empty
//! database, through the same services the app uses.

use crate::domain::permissions::Allowlist;
use crate::model::secret::{
    ExternalDataEntry, ExternalSpec, KubernetesSpec, Scope, SecretSpec, SecretValues, UseCase,
};
use crate::server::audit::Actor;
use crate::server::auth::users;
use crate::server::crypto::Keyring;
use crate::server::db::Db;
use crate::server::errors::ServiceError;
use crate::server::projects::{Connection, create_project, ensure_cluster};
use crate::server::secrets::{self, NewSecret};

/// The demo admin.
pub const ADMIN_EMAIL: &str = "admin@example.com";
/// The demo team member (of `payments` only).
pub const MEMBER_EMAIL: &str = "dev@example.com";

fn external(store: &str, entries: &[(&str, &str)]) -> SecretSpec {
    SecretSpec::External(ExternalSpec {
        store: store.to_owned(),
        refresh_interval: "1h0m0s".to_owned(),
        data: entries
            .iter()
            .map(|(key, remote)| ExternalDataEntry {
                secret_key: (*key).to_owned(),
                remote_key: (*remote).to_owned(),
                property: None,
                version: None,
                ..Default::default()
            })
            .collect(),
        ..Default::default()
    })
}

/// Seeds the demo organization if the database has no users yet. Returns whether it did.
pub async fn seed_if_empty(db: &Db, keys: &Keyring, password: &str) -> Result<bool, ServiceError> {
    let users: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(db.pool())
        .await?;
    if users > 0 {
        return Ok(false);
    }
    let aws = ensure_cluster(db, "aws-dev", Connection::Simulated, None).await?;
    let gcp = ensure_cluster(db, "gcp-dev", Connection::Simulated, None).await?;
    let azure = ensure_cluster(db, "azure-dev", Connection::Simulated, None).await?;
    let payments = create_project(db, "payments", aws, "payments").await?;
    let search = create_project(db, "search", gcp, "search").await?;
    let analytics = create_project(db, "analytics", azure, "analytics").await?;
    let ml = create_project(db, "ml-training", gcp, "ml-training").await?;
    users::set_allowlist(
        db,
        None,
        payments,
        &Allowlist {
            stores: vec!["vault".into(), "aws-secrets-manager".into()],
            key_prefixes: vec!["payments/".into()],
        },
    )
    .await?;

    users::create_user(db, None, ADMIN_EMAIL, password, true).await?;
    let dev = users::create_user(db, None, MEMBER_EMAIL, password, false).await?;
    users::set_memberships(db, None, dev, &[payments]).await?;

    let admin = Actor::new(ADMIN_EMAIL);
    let org = |name: &str, use_case: UseCase, spec: SecretSpec, description: &str| NewSecret {
        name: name.to_owned(),
        scope: Scope::Organization,
        project_id: None,
        use_case,
        description: description.to_owned(),
        spec,
        values: SecretValues::default(),
        assign_to: Vec::new(),
        selectors: String::new(),
    };
    let postgres = secrets::create(
        db,
        keys,
        &admin,
        org(
            "postgres-credentials",
            UseCase::Database,
            external(
                "vault",
                &[
                    ("username", "shared/postgres/username"),
                    ("password", "shared/postgres/password"),
                ],
            ),
            "Shared PostgreSQL login for application databases",
        ),
    )
    .await?;
    secrets::set_assignments(db, &admin, postgres, &[payments, search, analytics]).await?;
    let hf = secrets::create(
        db,
        keys,
        &admin,
        org(
            "huggingface-token",
            UseCase::HuggingFace,
            external(
                "gcp-secret-manager",
                &[("HF_TOKEN", "ml/huggingface/token")],
            ),
            "Read token for model downloads",
        ),
    )
    .await?;
    secrets::set_assignments(db, &admin, hf, &[ml, analytics]).await?;
    let missing = secrets::create(
        db,
        keys,
        &admin,
        org(
            "legacy-api-key",
            UseCase::Generic,
            external("vault", &[("API_KEY", "shared/legacy/api-key-removed")]),
            "Points at a remote key the store no longer has",
        ),
    )
    .await?;
    secrets::set_assignments(db, &admin, missing, &[search]).await?;
    secrets::create(
        db,
        keys,
        &admin,
        NewSecret {
            name: "payments-api-key".to_owned(),
            scope: Scope::Project,
            project_id: Some(payments),
            use_case: UseCase::Generic,
            description: "Card processor API key".to_owned(),
            spec: SecretSpec::Kubernetes(KubernetesSpec {
                secret_type: "Opaque".to_owned(),
                keys: vec!["API_KEY".to_owned()],
            }),
            values: SecretValues::from_pairs([(
                "API_KEY".to_owned(),
                "demo-payments-key-0001".to_owned(),
            )]),
            assign_to: Vec::new(),
            selectors: String::new(),
        },
    )
    .await?;
    Ok(true)
}
