//! Failed sign-ins are limited per account and per client address, in memory.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Counts recent failures by key and refuses once a limit is reached within the window.
#[derive(Debug)]
pub struct LoginThrottle {
    window: Duration,
    per_account: usize,
    per_address: usize,
    failures: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl LoginThrottle {
    /// At most `per_account` failures per account and `per_address` per address in `window`.
    pub fn new(window: Duration, per_account: usize, per_address: usize) -> Self {
        LoginThrottle {
            window,
            per_account,
            per_address,
            failures: Mutex::new(HashMap::new()),
        }
    }

    fn keys(account: &str, address: &str) -> [(String, bool); 2] {
        [
            (format!("account:{}", account.to_lowercase()), true),
            (format!("address:{address}"), false),
        ]
    }

    /// Whether a sign-in attempt may be checked now; if not, how long to wait.
    pub fn check(&self, account: &str, address: &str) -> Result<(), Duration> {
        let now = Instant::now();
        let mut failures = self.failures.lock().expect("throttle lock");
        for (key, is_account) in Self::keys(account, address) {
            let limit = if is_account {
                self.per_account
            } else {
                self.per_address
            };
            if let Some(times) = failures.get_mut(&key) {
                while times
                    .front()
                    .is_some_and(|t| now.duration_since(*t) > self.window)
                {
                    times.pop_front();
                }
                if times.len() >= limit {
                    let oldest = *times.front().expect("non-empty");
                    return Err(self.window.saturating_sub(now.duration_since(oldest)));
                }
            }
        }
        Ok(())
    }

    /// Records a failed attempt.
    pub fn fail(&self, account: &str, address: &str) {
        let mut failures = self.failures.lock().expect("throttle lock");
        for (key, _) in Self::keys(account, address) {
            failures.entry(key).or_default().push_back(Instant::now());
        }
    }

    /// Forgets an account's failures after a successful sign-in.
    pub fn succeed(&self, account: &str) {
        let key = format!("account:{}", account.to_lowercase());
        self.failures.lock().expect("throttle lock").remove(&key);
    }
}

impl Default for LoginThrottle {
    fn default() -> Self {
        LoginThrottle::new(Duration::from_secs(15 * 60), 5, 20)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_account_is_locked_after_five_failures_whatever_the_address() {
        let throttle = LoginThrottle::default();
        for i in 0..5 {
            assert!(
                throttle
                    .check("dev@example.com", &format!("10.0.0.{i}"))
                    .is_ok()
            );
            throttle.fail("dev@example.com", &format!("10.0.0.{i}"));
        }
        assert!(throttle.check("DEV@example.com", "10.0.0.99").is_err());
        assert!(throttle.check("admin@example.com", "10.0.0.99").is_ok());
    }

    #[test]
    fn an_address_is_locked_after_twenty_failures_across_accounts() {
        let throttle = LoginThrottle::default();
        for i in 0..20 {
            throttle.fail(&format!("user{i}@example.com"), "192.0.2.1");
        }
        assert!(throttle.check("new@example.com", "192.0.2.1").is_err());
        assert!(throttle.check("new@example.com", "192.0.2.2").is_ok());
    }

    #[test]
    fn failures_expire_after_the_window() {
        let throttle = LoginThrottle::new(Duration::from_millis(10), 1, 10);
        throttle.fail("a@example.com", "x");
        assert!(throttle.check("a@example.com", "x").is_err());
        std::thread::sleep(Duration::from_millis(20));
        assert!(throttle.check("a@example.com", "x").is_ok());
    }
}
