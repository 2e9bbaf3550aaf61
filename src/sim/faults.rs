//! Fault switches: what tests (and the `/sim/faults` endpoint) turn on to make the simulated
//! cluster slow, flaky, unreachable, its controller idle, or External Secrets Operator absent.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use tokio::sync::watch;

use super::status::ApiError;

/// An injected error: the HTTP code and the fraction of requests that get it.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ErrorRate {
    /// 500, 503 or 429.
    pub code: u16,
    /// 0.0 (never) to 1.0 (always).
    pub rate: f64,
}

/// The switches, as the `/sim/faults` endpoint reads and writes them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, rename_all = "camelCase")]
pub struct FaultSettings {
    /// Added to every API request, in milliseconds.
    pub latency_ms: u64,
    /// Error rates by verb: get, list, watch, create, update, patch, delete, deletecollection.
    pub errors: BTreeMap<String, ErrorRate>,
    /// The API is unreachable: connections are dropped without an answer.
    pub outage: bool,
    /// The External Secrets controller does nothing until resumed.
    pub controller_paused: bool,
    /// External Secrets Operator is not installed: no CRD serves the `external-secrets.io`
    /// group, so every request for one of its resources is answered as kube-apiserver answers
    /// a resource it does not serve (404 NotFound, "the server could not find the requested
    /// resource"), and its controller does nothing.
    pub eso_uninstalled: bool,
    /// External Secrets Operator is an older install that serves `external-secrets.io` at
    /// `v1beta1` only, not `v1` (`legacy_eso.rs`).
    #[serde(rename = "esoV1beta1Only")]
    pub eso_v1beta1_only: bool,
}

/// Shared, live fault switches of one cluster.
#[derive(Debug)]
pub struct Faults {
    settings: Mutex<FaultSettings>,
    outage: watch::Sender<bool>,
    paused: watch::Sender<bool>,
    counter: AtomicU64,
}

impl Default for Faults {
    fn default() -> Self {
        Self {
            settings: Mutex::new(FaultSettings::default()),
            outage: watch::channel(false).0,
            paused: watch::channel(false).0,
            counter: AtomicU64::new(0),
        }
    }
}

impl Faults {
    /// The current settings.
    pub fn settings(&self) -> FaultSettings {
        self.settings
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// Replaces every setting at once.
    pub fn set(&self, settings: FaultSettings) {
        self.outage.send_replace(settings.outage);
        // Without the operator there is no controller either.
        self.paused
            .send_replace(settings.controller_paused || settings.eso_uninstalled);
        *self.settings.lock().unwrap_or_else(|e| e.into_inner()) = settings;
    }

    fn update(&self, change: impl FnOnce(&mut FaultSettings)) {
        let mut settings = self.settings();
        change(&mut settings);
        self.set(settings);
    }

    /// Adds latency to every request.
    pub fn set_latency(&self, latency: Duration) {
        let ms = u64::try_from(latency.as_millis()).unwrap_or(u64::MAX);
        self.update(|s| s.latency_ms = ms);
    }

    /// Fails a share of one verb's requests with `code`.
    pub fn set_error_rate(&self, verb: &str, code: u16, rate: f64) {
        self.update(|s| {
            s.errors.insert(verb.to_owned(), ErrorRate { code, rate });
        });
    }

    /// Switches the whole API off or on.
    pub fn set_outage(&self, outage: bool) {
        self.update(|s| s.outage = outage);
    }

    /// Pauses or resumes the controller.
    pub fn set_controller_paused(&self, paused: bool) {
        self.update(|s| s.controller_paused = paused);
    }

    /// Uninstalls (or installs again) External Secrets Operator's CRDs and controller.
    pub fn set_eso_uninstalled(&self, uninstalled: bool) {
        self.update(|s| s.eso_uninstalled = uninstalled);
    }

    /// Whether External Secrets Operator's resources are served.
    pub fn eso_uninstalled(&self) -> bool {
        self.settings
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .eso_uninstalled
    }

    /// Whether External Secrets Operator serves `v1beta1` only.
    pub fn eso_v1beta1_only(&self) -> bool {
        self.settings
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .eso_v1beta1_only
    }

    /// Clears every fault.
    pub fn clear(&self) {
        self.set(FaultSettings::default());
    }

    /// Whether the API is down.
    pub fn outage(&self) -> bool {
        *self.outage.borrow()
    }

    /// Follows the outage switch (watch streams end when it turns on).
    pub fn outage_changes(&self) -> watch::Receiver<bool> {
        self.outage.subscribe()
    }

    /// Follows the controller's pause switch.
    pub fn paused_changes(&self) -> watch::Receiver<bool> {
        self.paused.subscribe()
    }

    /// Applies latency and error injection before a request of `verb` is served.
    pub async fn before(&self, verb: &str) -> Result<(), ApiError> {
        let (latency, error) = {
            let s = self.settings.lock().unwrap_or_else(|e| e.into_inner());
            (s.latency_ms, s.errors.get(verb).copied())
        };
        if latency > 0 {
            tokio::time::sleep(Duration::from_millis(latency)).await;
        }
        if let Some(ErrorRate { code, rate }) = error
            && rate > 0.0
        {
            // Deterministic spreading: with rate r, request n fails when it crosses a multiple
            // of 1/r. Tests get exactly the share they asked for, with no random seed to pin.
            let n = self.counter.fetch_add(1, Ordering::Relaxed);
            #[expect(
                clippy::cast_precision_loss,
                reason = "request counts stay far below 2^52"
            )]
            let (before, after) = ((n as f64) * rate, ((n + 1) as f64) * rate);
            if after.floor() > before.floor() || rate >= 1.0 {
                return Err(ApiError::injected(code));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn error_rate_fails_exactly_that_share_of_requests() {
        let faults = Faults::default();
        faults.set_error_rate("get", 503, 0.25);
        let mut failed = 0;
        for _ in 0..100 {
            if let Err(e) = faults.before("get").await {
                assert_eq!(e.code, 503);
                failed += 1;
            }
        }
        assert_eq!(failed, 25);
        assert!(faults.before("list").await.is_ok());
    }

    #[test]
    fn without_the_operator_its_controller_does_nothing_either() {
        let faults = Faults::default();
        let paused = faults.paused_changes();
        faults.set_eso_uninstalled(true);
        assert!(faults.eso_uninstalled());
        assert!(*paused.borrow());
        faults.set_eso_uninstalled(false);
        assert!(!*paused.borrow());
        // Over HTTP it is one more switch.
        let settings: FaultSettings =
            serde_json::from_value(serde_json::json!({"esoUninstalled": true})).unwrap();
        assert!(settings.eso_uninstalled);
    }
}
