//! What each command of the command line does: serve (in `startup`), `sim`, `bench`,
//! `rotate-master-key`, `create-admin`.

use anyhow::Context;

use super::config::{self, Cli, Config};
use super::db::Db;
use super::errors::ServiceError;
use super::{auth, key_rotation, startup, telemetry};

/// Runs the command the command line names (serving, by default).
pub async fn main(cli: Cli) -> anyhow::Result<()> {
    let command = cli.command.clone().unwrap_or(config::Command::Serve);
    let config = Config::from_cli(cli);
    telemetry::init(&config)?;
    match command {
        config::Command::Serve => startup::run(config).await,
        config::Command::Sim(args) => run_sim(args).await,
        config::Command::Bench(args) => crate::bench::run(args).await,
        config::Command::RotateMasterKey => {
            let db = Db::connect(&config.database_url).await?;
            db.migrate().await?;
            let report = key_rotation::rotate(&db, &config.master_key).await?;
            db.close().await;
            println!(
                "re-wrapped {} data key(s); master key {} is now in use",
                report.rewrapped, report.key_id
            );
            Ok(())
        }
        config::Command::CreateAdmin { email } => create_admin(&config, &email).await,
    }
}

/// `secrets-console create-admin`: one administrator account, its password from the
/// environment or standard input.
async fn create_admin(config: &Config, email: &str) -> anyhow::Result<()> {
    let password = match std::env::var(config::ADMIN_PASSWORD_ENV) {
        Ok(password) => zeroize::Zeroizing::new(password),
        Err(_) => {
            let mut line = zeroize::Zeroizing::new(String::new());
            std::io::stdin()
                .read_line(&mut line)
                .context("cannot read the password from standard input")?;
            zeroize::Zeroizing::new(line.trim_end_matches(['\r', '\n']).to_owned())
        }
    };
    let db = Db::connect(&config.database_url).await?;
    db.migrate().await?;
    let created = auth::users::create_user(&db, None, email, &password, true).await;
    db.close().await;
    match created {
        Ok(id) => {
            println!(
                "administrator {} created (user {id})",
                email.trim().to_lowercase()
            );
            Ok(())
        }
        Err(ServiceError::Invalid(error)) => {
            anyhow::bail!("{}: {}", error.field, error.message)
        }
        Err(error) => Err(error.into()),
    }
}

/// `secrets-console sim`: the simulated clusters alone, until SIGTERM or SIGINT.
async fn run_sim(args: config::SimArgs) -> anyhow::Result<()> {
    let shutdown = startup::shutdown_signal()?;
    let clusters = if args.clusters.is_empty() {
        vec!["sim".to_owned()]
    } else {
        args.clusters.clone()
    };
    let rbac = match &args.rbac {
        Some(path) => {
            let manifests = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            let policy =
                crate::sim::rbac::Policy::from_manifests(&manifests, &args.rbac_service_account)
                    .map_err(|e| anyhow::anyhow!("--rbac {}: {e}", path.display()))?;
            tracing::info!(user = %policy.user, "enforcing the roles of {}", path.display());
            Some(std::sync::Arc::new(policy))
        }
        None => None,
    };
    let options = crate::sim::SimOptions {
        clusters,
        rbac,
        listen: args.listen,
        state_dir: args.state_dir.clone(),
        controller: crate::sim::controller::ControllerOptions {
            failure_base: args.failure_backoff,
            client_qps: args.client_qps,
            ..Default::default()
        },
        ..Default::default()
    };
    let sim = crate::sim::Sim::start(options)
        .await
        .with_context(|| format!("cannot start the simulated cluster on {}", args.listen))?;
    if args.demo_stores {
        for cluster in sim.clusters() {
            crate::sim::demo::seed_stores(&cluster.store);
        }
    }
    sim.write_kubeconfig(&args.kubeconfig)
        .await
        .with_context(|| format!("cannot write {}", args.kubeconfig.display()))?;
    for cluster in sim.clusters() {
        tracing::info!(cluster = %cluster.name, url = %cluster.url(), "serving");
    }
    tracing::info!(kubeconfig = %args.kubeconfig.display(), "kubeconfig written; ready");
    let signal = shutdown.await;
    tracing::info!(signal, "shutting down");
    sim.shutdown().await;
    Ok(())
}
