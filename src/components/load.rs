//! What a page loads: a resource whose value the server renders into the page as JSON and the
//! browser reads back when it hydrates, instead of asking the server again.
//!
//! The same JSON as leptos' default codec, read with `serde_json::from_slice`, the reader that
//! server function answers are read with. The default reads with `from_str`, and every type a
//! page loads then had its deserializer compiled into the bundle twice, once per reader:
//! 13 types, about 45 KB of WASM.

use leptos::prelude::*;
use leptos::server::codee::{Decoder, Encoder};
use serde::Serialize;
use serde::de::DeserializeOwned;

/// JSON, written with `serde_json::to_string` and read with `serde_json::from_slice`.
pub struct Json;

impl<T: Serialize> Encoder<T> for Json {
    type Error = serde_json::Error;
    type Encoded = String;

    fn encode(value: &T) -> Result<String, serde_json::Error> {
        serde_json::to_string(value)
    }
}

impl<T: DeserializeOwned> Decoder<T> for Json {
    type Error = serde_json::Error;
    type Encoded = str;

    fn decode(encoded: &str) -> Result<T, serde_json::Error> {
        serde_json::from_slice(encoded.as_bytes())
    }
}

/// A resource a page loads (see the module's documentation).
pub type Load<T> = Resource<T, Json>;

/// Loads `fetcher(source())`, again whenever `source()` changes; like `Resource::new`.
#[track_caller]
pub fn load<T, S, Fut>(
    source: impl Fn() -> S + Send + Sync + 'static,
    fetcher: impl Fn(S) -> Fut + Send + Sync + 'static,
) -> Load<T>
where
    T: Serialize + DeserializeOwned + Send + Sync + 'static,
    S: PartialEq + Clone + Send + Sync + 'static,
    Fut: Future<Output = T> + Send + 'static,
{
    Resource::new_with_options(source, fetcher, false)
}
