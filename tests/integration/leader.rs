//! Exactly one reconciler across replicas on one PostgreSQL: two processes, one leader; killing
//! the leader hands over to the other.

use std::time::Duration;

use crate::support::{Backend, ServerOptions, TestServer};

const LEADER: &str = "reconciler leader";

fn leads(server: &TestServer) -> bool {
    server
        .output
        .lock()
        .unwrap()
        .iter()
        .any(|line| line.contains(LEADER) && !line.contains("lost"))
}

#[tokio::test]
async fn two_replicas_elect_one_reconciler_and_hand_over_when_it_dies() {
    let Some(backend) = Backend::postgres() else {
        return;
    };
    let db = backend.fresh_database().await;
    let start = || {
        TestServer::start_with(ServerOptions {
            database_url: &db.url,
            env: vec![("SECRETS_CONSOLE_DEMO", "true".to_owned())],
            data_dir: None,
            ..ServerOptions::default()
        })
    };
    let first = start()
        .await
        .unwrap_or_else(|o| panic!("replica A did not start:\n{o}"));
    let second = start()
        .await
        .unwrap_or_else(|o| panic!("replica B did not start:\n{o}"));

    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !leads(&first) && !leads(&second) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no replica became leader"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Give a would-be second leader time to (wrongly) appear.
    tokio::time::sleep(Duration::from_secs(3)).await;
    assert!(
        leads(&first) != leads(&second),
        "exactly one leader (A: {}, B: {})",
        leads(&first),
        leads(&second)
    );
    let (leader, follower) = if leads(&first) {
        (first, second)
    } else {
        (second, first)
    };

    // SIGKILL: no clean shutdown, the lock goes with the connection.
    let pid = leader.pid();
    std::process::Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
        .unwrap();
    drop(leader);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while !leads(&follower) {
        assert!(
            tokio::time::Instant::now() < deadline,
            "the other replica did not take over"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
