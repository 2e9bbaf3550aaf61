//! Copying a text to the clipboard from a "Copy" button (an applied manifest, a new token).

use leptos::prelude::*;

/// Writes `text` to the clipboard and says in `said` whether it worked: "Copied.", or
/// `refused` (what to do instead, "Select the token and copy it.") when the browser refuses
/// the clipboard. Only in the browser; on the server (never clicked there) nothing happens.
pub fn copy_text(text: &str, said: RwSignal<Option<&'static str>>, refused: &'static str) {
    #[cfg(feature = "hydrate")]
    {
        use js_sys::{Function, Promise, Reflect};
        use wasm_bindgen::closure::Closure;
        use wasm_bindgen::{JsCast, JsValue};

        let window: JsValue = window().into();
        let get = |on: &JsValue, key: &str| Reflect::get(on, &JsValue::from_str(key)).ok();
        let clipboard = get(&window, "navigator").and_then(|n| get(&n, "clipboard"));
        let written = clipboard.and_then(|clipboard| {
            let write = get(&clipboard, "writeText")?.dyn_into::<Function>().ok()?;
            write
                .call1(&clipboard, &JsValue::from_str(text))
                .ok()?
                .dyn_into::<Promise>()
                .ok()
        });
        let Some(written) = written else {
            said.set(Some(refused));
            return;
        };
        let done = Closure::once(move |_: JsValue| said.set(Some("Copied.")));
        let failed = Closure::once(move |_: JsValue| said.set(Some(refused)));
        let _ = written.then2(&done, &failed);
        done.forget();
        failed.forget();
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (text, said, refused);
}
