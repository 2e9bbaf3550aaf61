//! A secret's address by name, shown on its page to read, follow and copy.

use leptos::prelude::*;

/// "Link by name": the path (a link, and a read-only field whose text selects at once, so it
/// copies without JavaScript), and a Copy button once the page runs in the browser.
#[component]
pub fn NameLink(path: String) -> impl IntoView {
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    // What the Copy button achieved, said in a live region.
    let copied = RwSignal::new(None::<&'static str>);
    let href = path.clone();
    let to_copy = StoredValue::new(path.clone());
    let copy = move |_| {
        #[cfg(feature = "hydrate")]
        copy_address(&to_copy.get_value(), copied);
        #[cfg(not(feature = "hydrate"))]
        let _ = to_copy;
    };
    (!path.is_empty()).then(|| {
        view! {
            <p class="name-link">
                <label for="name-link">"Link by name"</label>
                " "
                <input id="name-link" readonly value=path.clone() size=path.len().clamp(20, 60) on:focus=|ev| {
                    #[cfg(feature = "hydrate")]
                    {
                        use wasm_bindgen::JsCast;
                        if let Some(input) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) {
                            input.select();
                        }
                    }
                    #[cfg(not(feature = "hydrate"))]
                    let _ = ev;
                } />
                " "
                <a href=href>"Open"</a>
                {move || hydrated.get().then(|| view! {
                    " "
                    <button type="button" class="button small" on:click=copy>"Copy"</button>
                })}
                <span role="status" class="muted">{move || copied.get().map(|words| format!(" {words}"))}</span>
            </p>
        }
    })
}

/// Writes the full address to the clipboard, saying whether it worked (the clipboard may be
/// refused: then the person copies the selected field themselves).
#[cfg(feature = "hydrate")]
fn copy_address(path: &str, said: RwSignal<Option<&'static str>>) {
    use js_sys::{Function, Promise, Reflect};
    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::{JsCast, JsValue};

    let window: JsValue = window().into();
    let get = |on: &JsValue, key: &str| Reflect::get(on, &JsValue::from_str(key)).ok();
    let origin = get(&window, "location")
        .and_then(|l| get(&l, "origin"))
        .and_then(|o| o.as_string())
        .unwrap_or_default();
    let clipboard = get(&window, "navigator").and_then(|n| get(&n, "clipboard"));
    let written = clipboard.and_then(|clipboard| {
        let write = get(&clipboard, "writeText")?.dyn_into::<Function>().ok()?;
        write
            .call1(&clipboard, &JsValue::from_str(&format!("{origin}{path}")))
            .ok()?
            .dyn_into::<Promise>()
            .ok()
    });
    let Some(written) = written else {
        said.set(Some("Select the address and copy it."));
        return;
    };
    let done = Closure::once(move |_: JsValue| said.set(Some("Copied.")));
    let refused =
        Closure::once(move |_: JsValue| said.set(Some("Select the address and copy it.")));
    let _ = written.then2(&done, &refused);
    done.forget();
    refused.forget();
}
