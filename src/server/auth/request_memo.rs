//! Who is asking, looked up once per page render.
//!
//! A page asks several server functions on the server as it renders (the shell's `whoami` and
//! server information, the page's own lists), and each of them looks up its caller: two
//! queries each, the same answer every time. A page render (a `GET`) is given a
//! [`PrincipalMemo`] in its context (`server::http`), and [`principal`](super::principal) asks
//! the database once for it. Nothing is kept beyond the request, and only for the user id the
//! session names at the time: a request that changes who is signed in looks them up again.
//! Server functions called over HTTP (posts that change things) get no memo.

use std::sync::Arc;

use crate::domain::permissions::Principal;
use crate::server::errors::ServiceError;

/// The user id looked up, and who that turned out to be (None: no such user, or disabled).
type Found = Option<(i64, Option<Principal>)>;

/// The principal of one page render, once looked up (see the module's documentation).
#[derive(Clone, Default)]
pub struct PrincipalMemo(Arc<tokio::sync::Mutex<Found>>);

impl PrincipalMemo {
    /// The principal of `user_id`, from `load` the first time; callers at the same time wait
    /// for the first one's answer. A failed lookup is not kept.
    pub async fn get_or_load<F>(
        &self,
        user_id: i64,
        load: impl FnOnce() -> F,
    ) -> Result<Option<Principal>, ServiceError>
    where
        F: Future<Output = Result<Option<Principal>, ServiceError>>,
    {
        let mut kept = self.0.lock().await;
        if let Some((id, principal)) = kept.as_ref()
            && *id == user_id
        {
            return Ok(principal.clone());
        }
        let principal = load().await?;
        *kept = Some((user_id, principal.clone()));
        Ok(principal)
    }
}

/// Gives a page render (a `GET` or `HEAD`) its memo; called in the context of every request
/// leptos handles, before the page or server function runs.
pub fn provide_for_page_render() {
    use leptos::prelude::{provide_context, use_context};
    let reads = use_context::<axum::http::request::Parts>().is_some_and(|parts| {
        parts.method == axum::http::Method::GET || parts.method == axum::http::Method::HEAD
    });
    if reads {
        provide_context(PrincipalMemo::default());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    fn admin(user_id: i64) -> Principal {
        Principal {
            user_id,
            email: format!("user{user_id}@example.com"),
            is_admin: true,
            projects: Vec::new(),
        }
    }

    #[tokio::test]
    async fn the_same_user_is_looked_up_once() {
        let memo = PrincipalMemo::default();
        let lookups = AtomicUsize::new(0);
        for _ in 0..3 {
            let found = memo
                .get_or_load(7, || async {
                    lookups.fetch_add(1, Ordering::SeqCst);
                    Ok(Some(admin(7)))
                })
                .await
                .unwrap();
            assert_eq!(found, Some(admin(7)));
        }
        assert_eq!(lookups.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn another_user_is_looked_up_again() {
        let memo = PrincipalMemo::default();
        memo.get_or_load(7, || async { Ok(Some(admin(7))) })
            .await
            .unwrap();
        let other = memo
            .get_or_load(8, || async { Ok(Some(admin(8))) })
            .await
            .unwrap();
        assert_eq!(other, Some(admin(8)));
    }

    #[tokio::test]
    async fn a_failed_lookup_is_not_kept() {
        let memo = PrincipalMemo::default();
        let failed = memo
            .get_or_load(7, || async { Err(ServiceError::Conflict("down".into())) })
            .await;
        assert!(failed.is_err());
        let found = memo
            .get_or_load(7, || async { Ok(Some(admin(7))) })
            .await
            .unwrap();
        assert_eq!(found, Some(admin(7)));
    }
}
