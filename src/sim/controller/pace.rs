//! How fast the simulated controller may go: the limits real External Secrets Operator runs
//! under, so the console meets a controller as slow as a real one.
//!
//! - Failures are retried with ESO's own rate limiter (`BuildRateLimiter` in
//!   `pkg/controllers/common/common.go`): per object 1 s doubling up to 7 minutes, and at most
//!   10 retries a second overall with a burst of 100 (client-go's `BucketRateLimiter`), the
//!   longer of the two. A success or a failure ESO does not retry forgets the count
//!   (controller-runtime calls `Forget` whenever a reconcile returns no error).
//! - Every write to the API server waits for a token of the client's rate limiter
//!   (`--client-qps 50`, `--client-burst 100` in `cmd/controller/root.go`; client-go's
//!   `tokenBucketRateLimiter`). Reads come from informer caches and cost nothing.
//! - One reconcile at a time (`--concurrent 1`): the controller's loop is a single task.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::sim::store::Key;

/// A token bucket like `golang.org/x/time/rate.Limiter`: `burst` tokens, refilled at `rate`
/// a second; a reservation beyond the tokens left waits for the refill.
#[derive(Debug)]
pub(super) struct Bucket {
    rate: f64,
    burst: f64,
    tokens: f64,
    at: Instant,
}

impl Bucket {
    /// A full bucket (`rate` 0 or below: no limit).
    pub(super) fn new(rate: f64, burst: u32) -> Self {
        Self {
            rate,
            burst: f64::from(burst.max(1)),
            tokens: f64::from(burst.max(1)),
            at: Instant::now(),
        }
    }

    /// Takes a token now; returns how long its user must wait for it.
    pub(super) fn reserve(&mut self, now: Instant) -> Duration {
        if self.rate <= 0.0 {
            return Duration::ZERO;
        }
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.at = self.at.max(now);
        self.tokens = (self.tokens + elapsed * self.rate).min(self.burst) - 1.0;
        if self.tokens >= 0.0 {
            Duration::ZERO
        } else {
            Duration::from_secs_f64(-self.tokens / self.rate)
        }
    }
}

/// The work queue's rate limiter for failed objects.
#[derive(Debug)]
pub(super) struct Backoff {
    base: Duration,
    max: Duration,
    failures: HashMap<Key, u32>,
    overall: Bucket,
}

impl Backoff {
    /// Per object `base` doubling up to `max`; overall `rate` a second with `burst`.
    pub(super) fn new(base: Duration, max: Duration, rate: f64, burst: u32) -> Self {
        Self {
            base,
            max,
            failures: HashMap::new(),
            overall: Bucket::new(rate, burst),
        }
    }

    /// When `key`, failed once more, is tried again: `ItemExponentialFailureRateLimiter`
    /// (`base * 2^failures`, capped) or the overall bucket, whichever is later.
    pub(super) fn when(&mut self, key: &Key, now: Instant) -> Duration {
        let failures = self.failures.entry(key.clone()).or_insert(0);
        let exponent = (*failures).min(30);
        *failures = failures.saturating_add(1);
        let per_item = self
            .base
            .checked_mul(1u32 << exponent)
            .unwrap_or(self.max)
            .min(self.max);
        per_item.max(self.overall.reserve(now))
    }

    /// Forgets `key`'s failures (it succeeded, or is not retried).
    pub(super) fn forget(&mut self, key: &Key) {
        self.failures.remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(name: &str) -> Key {
        Key::new(0, "team", name)
    }

    #[test]
    fn failures_back_off_from_one_second_doubling_up_to_seven_minutes() {
        let mut backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(420), 10.0, 100);
        let now = Instant::now();
        let waits: Vec<u64> = (0..11)
            .map(|_| backoff.when(&key("db"), now).as_secs())
            .collect();
        assert_eq!(waits, [1, 2, 4, 8, 16, 32, 64, 128, 256, 420, 420]);
        // Another object starts at the base; a forgotten one starts over.
        assert_eq!(backoff.when(&key("api"), now), Duration::from_secs(1));
        backoff.forget(&key("db"));
        assert_eq!(backoff.when(&key("db"), now), Duration::from_secs(1));
    }

    #[test]
    fn the_overall_bucket_spaces_retries_past_its_burst() {
        let mut backoff = Backoff::new(Duration::from_millis(1), Duration::from_secs(1), 10.0, 2);
        let now = Instant::now();
        assert_eq!(backoff.when(&key("a"), now), Duration::from_millis(1));
        assert_eq!(backoff.when(&key("b"), now), Duration::from_millis(1));
        // The burst is spent: the third waits a tenth of a second, the fourth two tenths.
        let third = backoff.when(&key("c"), now);
        let fourth = backoff.when(&key("d"), now);
        assert!((third.as_secs_f64() - 0.1).abs() < 1e-6, "{third:?}");
        assert!((fourth.as_secs_f64() - 0.2).abs() < 1e-6, "{fourth:?}");
    }

    #[test]
    fn writes_past_the_burst_wait_for_the_client_rate() {
        let mut bucket = Bucket::new(50.0, 100);
        let now = Instant::now();
        let waits: Vec<Duration> = (0..102).map(|_| bucket.reserve(now)).collect();
        assert!(waits[..100].iter().all(Duration::is_zero));
        assert!((waits[100].as_secs_f64() - 0.02).abs() < 1e-6);
        assert!((waits[101].as_secs_f64() - 0.04).abs() < 1e-6);
        // A second later 50 tokens are back, less the two borrowed.
        let later = now + Duration::from_secs(1);
        let waits: Vec<Duration> = (0..49).map(|_| bucket.reserve(later)).collect();
        assert!(waits[..48].iter().all(Duration::is_zero));
        assert!(!waits[48].is_zero());
    }
}
