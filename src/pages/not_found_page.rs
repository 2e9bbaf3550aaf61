//! Shown for any URL that names nothing this user may see. Answers HTTP 404.

use leptos::prelude::*;

use crate::components::not_found::NotFound;

/// The not-found page (the route table's fallback).
#[component]
pub fn NotFoundPage() -> impl IntoView {
    view! { <NotFound /> }
}
