//! secrets-console: manage the secrets Kubernetes workloads need.
//!
//! The modules `app`, `pages`, `components`, `api`, `model`, `domain` and `error` are compiled
//! for both the browser (feature `hydrate`) and the server (feature `ssr`). Everything under
//! `server`, `sim` (the simulated cluster) and `bench` is server-only and never reaches the WASM bundle.

pub mod api;
pub mod app;
pub mod components;
pub mod domain;
pub mod error;
pub mod model;
pub mod pages;

#[cfg(feature = "ssr")]
pub mod server;

#[cfg(feature = "ssr")]
pub mod bench;

#[cfg(feature = "ssr")]
pub mod sim;

#[cfg(feature = "hydrate")]
mod browser;

/// Entry point of the WASM bundles: the app's attaches the whole app to the server-rendered
/// HTML; the islands' (feature `islands-bundle`) hydrates a page rendered in islands mode, and
/// the script then calls each island (see `browser`).
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    browser::start();
}
