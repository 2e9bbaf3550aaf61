//! Limits that keep one team member from hurting the others through shared infrastructure:
//! the shortest refresh interval an External secret may have (ESO re-reads the shared store
//! on every refresh), and how often one user may press Sync now for one secret (every press
//! is a force-sync, so a read of the store, in each project).
//!
//! The other limits live next to what they bound: bulk id lists and search text in
//! `model::listing`, live streams per session in `server::live`.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::domain::validation::{FieldError, validate_min_refresh_interval};
use crate::error::AppError;
use crate::model::secret::SecretSpec;

/// How many (user, secret) presses [`SyncNowLimit`] remembers at most. Entries older than the
/// cooldown are pruned when it is full; if all are recent, the oldest goes (memory stays
/// bounded, and only a user who pressed Sync now on thousands of secrets in one cooldown could
/// notice).
pub const SYNC_NOW_CAPACITY: usize = 10_000;

/// Checks an External secret's refresh interval against the configured minimum (`0s`, no
/// periodic refresh, is always allowed). Field `refresh_interval`.
pub fn check_refresh_interval(spec: &SecretSpec, min: Duration) -> Result<(), FieldError> {
    match spec {
        SecretSpec::External(external) => {
            validate_min_refresh_interval(&external.refresh_interval, min)
        }
        SecretSpec::Kubernetes(_) => Ok(()),
    }
}

/// At most one Sync now per user and secret per cooldown, in memory (per replica), in a map
/// of bounded size.
#[derive(Debug)]
pub struct SyncNowLimit {
    cooldown: Duration,
    capacity: usize,
    /// When each (user id, secret id) last pressed Sync now.
    pressed: Mutex<HashMap<(i64, i64), Instant>>,
}

impl SyncNowLimit {
    /// At most one press per `cooldown` for each user and secret, remembering at most
    /// `capacity` presses.
    pub fn new(cooldown: Duration, capacity: usize) -> Self {
        SyncNowLimit {
            cooldown,
            capacity: capacity.max(1),
            pressed: Mutex::new(HashMap::new()),
        }
    }

    /// Takes `user`'s Sync now for `secret`, or refuses with a Conflict that says when it may
    /// be pressed again. Give it back with [`Self::release`] if the sync is then refused for
    /// another reason.
    pub fn acquire(&self, user: i64, secret: i64) -> Result<(), AppError> {
        self.acquire_at(user, secret, Instant::now())
    }

    fn acquire_at(&self, user: i64, secret: i64, now: Instant) -> Result<(), AppError> {
        let key = (user, secret);
        let mut pressed = self.pressed.lock().expect("sync limit lock");
        if let Some(at) = pressed.get(&key) {
            let since = now.saturating_duration_since(*at);
            if since < self.cooldown {
                return Err(self.refusal(self.cooldown - since));
            }
        }
        if pressed.len() >= self.capacity && !pressed.contains_key(&key) {
            pressed.retain(|_, at| now.saturating_duration_since(*at) < self.cooldown);
            if pressed.len() >= self.capacity
                && let Some(oldest) = pressed.iter().min_by_key(|(_, at)| **at).map(|(k, _)| *k)
            {
                pressed.remove(&oldest);
            }
        }
        pressed.insert(key, now);
        Ok(())
    }

    /// Forgets `user`'s last Sync now of `secret` (it was refused for another reason, so it
    /// reached no store and must not hold the next press back).
    pub fn release(&self, user: i64, secret: i64) {
        self.pressed
            .lock()
            .expect("sync limit lock")
            .remove(&(user, secret));
    }

    /// Presses remembered now (tests).
    #[cfg(test)]
    fn len(&self) -> usize {
        self.pressed.lock().expect("sync limit lock").len()
    }

    fn refusal(&self, wait: Duration) -> AppError {
        // Whole seconds, rounded up: "try again in 0 s" would be refused again.
        let wait = wait.as_nanos().div_ceil(1_000_000_000).max(1);
        AppError::Conflict {
            message: format!(
                "Sync now was pressed for this secret less than {} s ago; try again in {wait} s \
                 (at most one Sync now per secret every {} s, so that the shared store is not \
                 hammered)",
                self.cooldown.as_secs_f64(),
                self.cooldown.as_secs_f64()
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::secret::{ExternalSpec, KubernetesSpec};

    fn message(error: AppError) -> String {
        match error {
            AppError::Conflict { message } => message,
            other => panic!("expected a Conflict, got {other:?}"),
        }
    }

    #[test]
    fn a_second_sync_now_within_the_cooldown_is_refused_saying_when_to_retry() {
        let limit = SyncNowLimit::new(Duration::from_secs(10), 100);
        let start = Instant::now();
        limit.acquire_at(1, 7, start).unwrap();
        let refused = limit
            .acquire_at(1, 7, start + Duration::from_millis(3_500))
            .unwrap_err();
        let text = message(refused);
        assert!(
            text.starts_with(
                "Sync now was pressed for this secret less than 10 s ago; try again in 7 s"
            ),
            "{text}"
        );
        assert!(
            limit
                .acquire_at(1, 7, start + Duration::from_secs(10))
                .is_ok()
        );
    }

    #[test]
    fn another_user_or_another_secret_is_not_held_back() {
        let limit = SyncNowLimit::new(Duration::from_secs(10), 100);
        let now = Instant::now();
        limit.acquire_at(1, 7, now).unwrap();
        assert!(limit.acquire_at(2, 7, now).is_ok());
        assert!(limit.acquire_at(1, 8, now).is_ok());
    }

    #[test]
    fn a_released_sync_now_does_not_hold_the_next_press_back() {
        let limit = SyncNowLimit::new(Duration::from_secs(10), 100);
        let now = Instant::now();
        limit.acquire_at(1, 7, now).unwrap();
        limit.release(1, 7);
        assert!(limit.acquire_at(1, 7, now).is_ok());
    }

    #[test]
    fn the_sync_now_memory_never_grows_past_its_capacity() {
        let limit = SyncNowLimit::new(Duration::from_secs(10), 3);
        let start = Instant::now();
        for secret in 0..3 {
            limit.acquire_at(1, secret, start).unwrap();
        }
        // Expired entries make room first.
        let later = start + Duration::from_secs(11);
        limit.acquire_at(1, 10, later).unwrap();
        assert_eq!(limit.len(), 1);
        // When every entry is recent, the oldest goes.
        for secret in 11..20 {
            limit
                .acquire_at(1, secret, later + Duration::from_millis(secret as u64))
                .unwrap();
            assert!(limit.len() <= 3);
        }
        assert!(
            limit
                .acquire_at(1, 19, later + Duration::from_millis(30))
                .is_err(),
            "the newest press is still remembered"
        );
    }

    #[test]
    fn only_external_secrets_are_held_to_the_minimum_refresh_interval() {
        let external = |interval: &str| {
            SecretSpec::External(ExternalSpec {
                store: "vault".into(),
                refresh_interval: interval.into(),
                data: Vec::new(),
                ..Default::default()
            })
        };
        let min = Duration::from_secs(60);
        let error = check_refresh_interval(&external("10s"), min).unwrap_err();
        assert_eq!(error.field, "refresh_interval");
        assert!(
            error
                .message
                .contains("at least 1m0s: shorter intervals hammer the shared store"),
            "{}",
            error.message
        );
        assert!(check_refresh_interval(&external("1m"), min).is_ok());
        assert!(check_refresh_interval(&external("10s"), Duration::from_secs(5)).is_ok());
        let kubernetes = SecretSpec::Kubernetes(KubernetesSpec {
            secret_type: "Opaque".into(),
            keys: vec!["K".into()],
        });
        assert!(check_refresh_interval(&kubernetes, min).is_ok());
    }
}
