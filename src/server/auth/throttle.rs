//! Failed sign-ins, counted in memory so that guessing costs time without turning the limit
//! against the people it protects.
//!
//! - The pair (account, client address) is refused after a few failures: a guesser is stopped
//!   where it guesses from.
//! - The account alone, and the address alone, are only *slowed*: past a threshold each attempt
//!   waits a little before its password is checked. A correct password from another address is
//!   therefore never refused because of someone else's failures.
//! - Check and record are one step: an attempt counts as a failure from the moment it is let
//!   through until it succeeds, so a hundred parallel guesses cannot all pass the check.
//! - Memory is bounded: keys are normalised and length-capped, and the table has a fixed size
//!   (expired entries go first, then the least recently failed).

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Longest account name a key keeps (an email address is at most 254 characters).
const MAX_KEY_CHARS: usize = 254;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum Key {
    Pair(String, String),
    Account(String),
    Address(String),
}

/// The throttle's settings.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// How long a failure counts.
    pub window: Duration,
    /// Failures of one account from one address before that pair is refused.
    pub per_pair: usize,
    /// Failures of one account (from anywhere) before its attempts are slowed.
    pub account_slow_after: usize,
    /// Failures from one address (any account) before its attempts are slowed.
    pub address_slow_after: usize,
    /// The wait added to a slowed attempt.
    pub slow_by: Duration,
    /// Most keys kept at once.
    pub capacity: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            window: Duration::from_secs(15 * 60),
            per_pair: 5,
            account_slow_after: 10,
            address_slow_after: 30,
            slow_by: Duration::from_secs(1),
            capacity: 10_000,
        }
    }
}

/// Counts recent failures and decides whether, and how soon, an attempt may be checked.
#[derive(Debug)]
pub struct LoginThrottle {
    limits: Limits,
    failures: Mutex<HashMap<Key, VecDeque<Instant>>>,
}

/// An attempt let through: counted as a failure until [`LoginThrottle::succeed`] or
/// [`LoginThrottle::cancel`] says otherwise.
#[derive(Debug)]
#[must_use = "an attempt is a failure until it succeeds or is cancelled"]
pub struct Attempt {
    account: String,
    address: String,
    /// How long to wait before checking the password.
    pub delay: Duration,
}

impl LoginThrottle {
    /// A throttle with these limits.
    pub fn new(limits: Limits) -> Self {
        LoginThrottle {
            limits,
            failures: Mutex::new(HashMap::new()),
        }
    }

    fn keys(account: &str, address: &str) -> [Key; 3] {
        [
            Key::Pair(account.to_owned(), address.to_owned()),
            Key::Account(account.to_owned()),
            Key::Address(address.to_owned()),
        ]
    }

    /// Lets an attempt through (counted as a failure already), or says how long until the
    /// pair may try again.
    pub fn begin(&self, account: &str, address: &str) -> Result<Attempt, Duration> {
        let account = normalise(account);
        let address = normalise(address);
        let now = Instant::now();
        let window = self.limits.window;
        let mut table = self.failures.lock().expect("throttle lock");
        let [pair, account_key, address_key] = Self::keys(&account, &address);
        let recent = |table: &mut HashMap<Key, VecDeque<Instant>>, key: &Key| {
            let Some(times) = table.get_mut(key) else {
                return (0, None);
            };
            while times
                .front()
                .is_some_and(|t| now.duration_since(*t) > window)
            {
                times.pop_front();
            }
            (times.len(), times.front().copied())
        };
        let (pair_failures, oldest) = recent(&mut table, &pair);
        if pair_failures >= self.limits.per_pair {
            let oldest = oldest.unwrap_or(now);
            return Err(window.saturating_sub(now.duration_since(oldest)));
        }
        let slowed = recent(&mut table, &account_key).0 >= self.limits.account_slow_after
            || recent(&mut table, &address_key).0 >= self.limits.address_slow_after;
        for key in [pair, account_key, address_key] {
            self.record(&mut table, key, now);
        }
        Ok(Attempt {
            account,
            address,
            delay: if slowed {
                self.limits.slow_by
            } else {
                Duration::ZERO
            },
        })
    }

    /// The password was right: the pair's and the account's failures are forgotten, and this
    /// attempt no longer counts against the address.
    pub fn succeed(&self, attempt: Attempt) {
        let mut table = self.failures.lock().expect("throttle lock");
        let [pair, account, address] = Self::keys(&attempt.account, &attempt.address);
        table.remove(&pair);
        table.remove(&account);
        Self::forget_one(&mut table, &address);
    }

    /// The password was never checked (the server was busy): the attempt does not count.
    pub fn cancel(&self, attempt: Attempt) {
        let mut table = self.failures.lock().expect("throttle lock");
        for key in Self::keys(&attempt.account, &attempt.address) {
            Self::forget_one(&mut table, &key);
        }
    }

    /// How many keys the table holds (for tests of its bound).
    pub fn len(&self) -> usize {
        self.failures.lock().expect("throttle lock").len()
    }

    /// Whether the table is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn forget_one(table: &mut HashMap<Key, VecDeque<Instant>>, key: &Key) {
        if let Some(times) = table.get_mut(key) {
            times.pop_back();
            if times.is_empty() {
                table.remove(key);
            }
        }
    }

    fn record(&self, table: &mut HashMap<Key, VecDeque<Instant>>, key: Key, now: Instant) {
        if !table.contains_key(&key) && table.len() >= self.limits.capacity {
            let window = self.limits.window;
            table.retain(|_, times| {
                times
                    .back()
                    .is_some_and(|t| now.duration_since(*t) <= window)
            });
            if table.len() >= self.limits.capacity {
                // Still full of live entries: the one that failed longest ago goes.
                if let Some(stalest) = table
                    .iter()
                    .min_by_key(|(_, times)| times.back().copied())
                    .map(|(key, _)| key.clone())
                {
                    table.remove(&stalest);
                }
            }
        }
        let times = table.entry(key).or_default();
        times.push_back(now);
        // Only the most recent failures matter to any limit.
        let keep = self
            .limits
            .per_pair
            .max(self.limits.account_slow_after)
            .max(self.limits.address_slow_after)
            + 1;
        while times.len() > keep {
            times.pop_front();
        }
    }
}

/// The form a key is counted under: trimmed, lowercase, at most [`MAX_KEY_CHARS`].
fn normalise(text: &str) -> String {
    text.trim()
        .chars()
        .take(MAX_KEY_CHARS)
        .flat_map(char::to_lowercase)
        .collect()
}

impl Default for LoginThrottle {
    fn default() -> Self {
        LoginThrottle::new(Limits::default())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fail(throttle: &LoginThrottle, account: &str, address: &str) {
        let _counted = throttle.begin(account, address).expect("let through");
    }

    #[test]
    fn a_pair_is_refused_after_five_failures_but_the_right_password_from_elsewhere_is_not() {
        let throttle = LoginThrottle::default();
        for _ in 0..5 {
            fail(&throttle, "admin@example.com", "203.0.113.9");
        }
        assert!(throttle.begin("admin@example.com", "203.0.113.9").is_err());
        // The same account, with case and spaces changed, is the same key.
        assert!(throttle.begin(" ADMIN@example.com", "203.0.113.9").is_err());
        let elsewhere = throttle
            .begin("admin@example.com", "198.51.100.1")
            .expect("another address is not refused");
        throttle.succeed(elsewhere);
    }

    #[test]
    fn an_account_under_attack_from_many_addresses_is_slowed_never_refused() {
        let throttle = LoginThrottle::default();
        for i in 0..40 {
            fail(&throttle, "admin@example.com", &format!("10.0.{i}.1"));
        }
        let attempt = throttle
            .begin("admin@example.com", "192.0.2.50")
            .expect("never refused for others' failures");
        assert_eq!(attempt.delay, Duration::from_secs(1));
        throttle.succeed(attempt);
        let after = throttle.begin("admin@example.com", "192.0.2.50").unwrap();
        assert_eq!(
            after.delay,
            Duration::ZERO,
            "a success forgives the account"
        );
        throttle.cancel(after);
    }

    #[test]
    fn parallel_attempts_count_before_their_passwords_are_checked() {
        let throttle = LoginThrottle::default();
        let let_through = (0..100)
            .map(|_| throttle.begin("dev@example.com", "192.0.2.1"))
            .filter(Result::is_ok)
            .count();
        assert_eq!(let_through, 5);
    }

    #[test]
    fn a_cancelled_attempt_does_not_count() {
        let throttle = LoginThrottle::default();
        for _ in 0..20 {
            let attempt = throttle.begin("dev@example.com", "192.0.2.1").unwrap();
            throttle.cancel(attempt);
        }
        assert!(throttle.is_empty());
    }

    #[test]
    fn the_table_stays_within_its_capacity_whatever_the_keys() {
        let throttle = LoginThrottle::new(Limits {
            capacity: 100,
            ..Limits::default()
        });
        for i in 0..1_000 {
            let long = format!("{i}-{}", "x".repeat(10_000));
            fail(&throttle, &long, &format!("198.51.{}.{}", i / 256, i % 256));
        }
        assert!(throttle.len() <= 100, "{}", throttle.len());
        let keys = throttle.failures.lock().unwrap();
        assert!(keys.keys().all(|key| match key {
            Key::Pair(a, _) | Key::Account(a) | Key::Address(a) => a.chars().count() <= 254,
        }));
    }

    #[test]
    fn failures_expire_after_the_window() {
        let throttle = LoginThrottle::new(Limits {
            window: Duration::from_millis(10),
            per_pair: 1,
            ..Limits::default()
        });
        fail(&throttle, "a@example.com", "x");
        assert!(throttle.begin("a@example.com", "x").is_err());
        std::thread::sleep(Duration::from_millis(20));
        assert!(throttle.begin("a@example.com", "x").is_ok());
    }
}
