//! A Kubernetes secret's value cell and the helpers around it: a multi-line field (a pasted
//! certificate or private key keeps its line breaks), masked until the person typing reveals
//! it, that a text file can be loaded into; the keys each Secret type needs; and the
//! `.dockerconfigjson` builder.
//!
//! Values only ever travel from the person to the server: nothing here renders a stored value.

use leptos::prelude::*;

use crate::model::secret::{SecretForm, set_row};

/// The keys a Secret type needs, filled into the rows when the type is chosen and the rows are
/// still empty (kube-apiserver's `ValidateSecret`; `domain::validation` checks the same).
pub(super) fn keys_for_type(secret_type: &str) -> &'static [&'static str] {
    match secret_type {
        "kubernetes.io/tls" => &["tls.crt", "tls.key"],
        "kubernetes.io/ssh-auth" => &["ssh-privatekey"],
        "kubernetes.io/basic-auth" => &["username", "password"],
        "kubernetes.io/dockerconfigjson" => &[".dockerconfigjson"],
        _ => &[],
    }
}

/// Chooses `secret_type`; when no row has a key or value yet, its required keys become the
/// rows' keys (a person who already typed keeps what they typed). Returns how many rows the
/// form needs at least.
pub(super) fn choose_type(form: &mut SecretForm, secret_type: String) -> usize {
    let untouched =
        form.key.iter().all(|k| k.trim().is_empty()) && form.value.0.iter().all(String::is_empty);
    let previous = keys_for_type(&form.secret_type);
    let prefilled = !previous.is_empty()
        && form
            .key
            .iter()
            .filter(|k| !k.is_empty())
            .map(String::as_str)
            .eq(previous.iter().copied())
        && form.value.0.iter().all(String::is_empty);
    form.secret_type = secret_type;
    if untouched || prefilled {
        form.key = keys_for_type(&form.secret_type)
            .iter()
            .map(|k| (*k).to_owned())
            .collect();
    }
    form.key.len()
}

/// The `.dockerconfigjson` of one registry login, as `kubectl create secret docker-registry`
/// writes it: `{"auths": {server: {username, password, auth}}}`, `auth` being
/// base64("username:password").
pub(super) fn docker_config(server: &str, username: &str, password: &str) -> String {
    let auth = base64(format!("{username}:{password}").as_bytes());
    serde_json::json!({
        "auths": {
            server.trim(): {"username": username, "password": password, "auth": auth}
        }
    })
    .to_string()
}

/// Standard base64 with padding (RFC 4648), as Docker's `auth` field holds: a few lines here
/// rather than a dependency in the browser's bundle.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for (k, shift) in [18, 12, 6, 0].into_iter().enumerate() {
            if k <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> shift & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// One value cell: the multi-line field, Show/Hide, and Load from file (the last two need the
/// bundle; without it the field stays masked and can still be typed or pasted into).
#[component]
pub(super) fn ValueCell(
    i: usize,
    form: RwSignal<SecretForm>,
    touched: RwSignal<bool>,
    hydrated: RwSignal<bool>,
    described_by: Signal<Option<String>>,
    invalid: Signal<Option<&'static str>>,
) -> impl IntoView {
    let n = i + 1;
    let id = format!("kubernetes-{i}-value");
    let shown = RwSignal::new(false);
    let problem = RwSignal::new(None::<String>);
    let field = NodeRef::<leptos::html::Textarea>::new();
    let set_value = move |value: String| {
        touched.set(true);
        form.update(|f| set_row(&mut f.value.0, i, value));
    };
    // A value set from outside the field (a file, the Docker helper) shows in it too.
    let current = move || form.with(|f| f.value.0.get(i).cloned().unwrap_or_default());
    let problem_id = format!("kubernetes-{i}-file-error");
    view! {
        <textarea
            id=id.clone()
            class=move || if shown.get() { "secret-value" } else { "secret-value masked" }
            name=format!("form[value][{i}]")
            aria-label=format!("Value {n}")
            rows="1"
            autocomplete="off"
            autocapitalize="off"
            spellcheck="false"
            aria-invalid=invalid
            aria-describedby=described_by
            node_ref=field
            prop:value=current
            on:input=move |ev| set_value(event_target_value(&ev))
        ></textarea>
        <div class="value-tools" hidden=move || !hydrated.get()>
            <button
                type="button"
                class="button small"
                aria-pressed=move || if shown.get() { "true" } else { "false" }
                aria-controls=id
                on:click=move |_| shown.update(|s| *s = !*s)
            >
                {move || if shown.get() { format!("Hide value {n}") } else { format!("Show value {n}") }}
            </button>
            <label class="button small file-load">
                {format!("Load value {n} from a file")}
                <input
                    type="file"
                    class="visually-hidden"
                    on:change=move |ev| load_file(&ev, n, set_value, problem)
                />
            </label>
        </div>
        {move || problem.get().map(|message| view! { <p class="field-error" id=problem_id.clone() role="alert">{message}</p> })}
    }
}

/// Reads the chosen file into the value; a file that is not UTF-8 text is refused by name
/// (a Secret's value typed here is text; its bytes go to the cluster as they are).
fn load_file(
    ev: &leptos::ev::Event,
    n: usize,
    set_value: impl Fn(String) + Clone + 'static,
    problem: RwSignal<Option<String>>,
) {
    read_text_file(ev, move |read| match read {
        Ok(text) => {
            problem.set(None);
            set_value(text);
        }
        Err(name) => problem.set(Some(format!(
            "Value {n}: {name} is not a text file (UTF-8); load a PEM or other text file, or \
             paste the value"
        ))),
    });
}

/// Reads the file chosen in `ev`'s input in the browser and hands `done` its text, or the
/// file's name when it is not UTF-8 text. The input is cleared, so the same file can be
/// chosen again.
#[cfg(feature = "hydrate")]
pub(super) fn read_text_file(
    ev: &leptos::ev::Event,
    done: impl FnOnce(Result<String, String>) + 'static,
) {
    use wasm_bindgen::JsCast;
    use wasm_bindgen::closure::Closure;

    let Some(input) = ev
        .target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
    else {
        return;
    };
    let Some(file) = input.files().and_then(|files| files.get(0)) else {
        return;
    };
    let name = file.name();
    let Ok(reader) = web_sys::FileReader::new() else {
        return;
    };
    let result = reader.clone();
    let onload = Closure::once(move || {
        let bytes = result
            .result()
            .map(|buffer| js_sys::Uint8Array::new(&buffer).to_vec())
            .unwrap_or_default();
        done(String::from_utf8(bytes).map_err(|_| name));
    });
    reader.set_onload(Some(onload.as_ref().unchecked_ref()));
    onload.forget();
    let _ = reader.read_as_array_buffer(&file);
    input.set_value("");
}

/// Files are read in the browser only.
#[cfg(not(feature = "hydrate"))]
pub(super) fn read_text_file(
    _: &leptos::ev::Event,
    _: impl FnOnce(Result<String, String>) + 'static,
) {
}

/// The `.dockerconfigjson` builder: registry, username and password in, the JSON into the
/// row whose key is `.dockerconfigjson`. Shown for that type once the bundle runs.
#[component]
pub(super) fn DockerConfigHelper(
    form: RwSignal<SecretForm>,
    touched: RwSignal<bool>,
    hydrated: RwSignal<bool>,
) -> impl IntoView {
    let server = RwSignal::new(String::new());
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let done = RwSignal::new(None::<String>);
    let is_docker = move || form.with(|f| f.secret_type == "kubernetes.io/dockerconfigjson");
    let fill = move |_| {
        let (server, username, password) = (server.get(), username.get(), password.get());
        if server.trim().is_empty() || username.is_empty() || password.is_empty() {
            done.set(Some(
                "Registry server, user and password are all needed.".to_owned(),
            ));
            return;
        }
        let config = docker_config(&server, &username, &password);
        touched.set(true);
        form.update(|f| {
            let row = f
                .key
                .iter()
                .position(|k| k == ".dockerconfigjson")
                .unwrap_or_else(|| {
                    f.key.push(".dockerconfigjson".to_owned());
                    f.key.len() - 1
                });
            set_row(&mut f.value.0, row, config);
        });
        done.set(Some(format!(
            "The .dockerconfigjson value now logs in to {} as {username}.",
            server.trim()
        )));
    };
    view! {
        <fieldset class="docker-helper" hidden=move || !hydrated.get() || !is_docker()>
            <legend>"Build the .dockerconfigjson"</legend>
            <label for="docker-server">"Registry server"</label>
            <input id="docker-server" autocomplete="off" placeholder="registry.example.com"
                on:input=move |ev| server.set(event_target_value(&ev)) />
            <label for="docker-username">"Registry user"</label>
            <input id="docker-username" autocomplete="off"
                on:input=move |ev| username.set(event_target_value(&ev)) />
            <label for="docker-password">"Registry password"</label>
            <input id="docker-password" type="password" autocomplete="new-password"
                on:input=move |ev| password.set(event_target_value(&ev)) />
            <button type="button" class="button small" on:click=fill>"Fill .dockerconfigjson"</button>
            <p class="muted" role="status">{move || done.get()}</p>
        </fieldset>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn choosing_a_type_fills_its_keys_only_into_untouched_rows() {
        let mut form = SecretForm::default();
        assert_eq!(choose_type(&mut form, "kubernetes.io/tls".into()), 2);
        assert_eq!(form.key, ["tls.crt", "tls.key"]);
        // Another type replaces keys that were only ever the prefill.
        choose_type(&mut form, "kubernetes.io/basic-auth".into());
        assert_eq!(form.key, ["username", "password"]);
        // Typed keys are the person's: kept.
        form.key = vec!["api-token".into()];
        choose_type(&mut form, "kubernetes.io/ssh-auth".into());
        assert_eq!(form.key, ["api-token"]);
        assert_eq!(form.secret_type, "kubernetes.io/ssh-auth");
        // A value typed under the prefilled keys keeps them too.
        let mut typed = SecretForm::default();
        choose_type(&mut typed, "kubernetes.io/tls".into());
        typed.value.0 = vec!["-----BEGIN CERTIFICATE-----".into()];
        choose_type(&mut typed, "Opaque".into());
        assert_eq!(typed.key, ["tls.crt", "tls.key"]);
    }

    #[test]
    fn a_docker_config_is_what_kubectl_writes() {
        let config: serde_json::Value =
            serde_json::from_str(&docker_config(" registry.example.com ", "bot", "pa:ss")).unwrap();
        assert_eq!(
            config,
            serde_json::json!({"auths": {"registry.example.com": {
                "username": "bot", "password": "pa:ss", "auth": "Ym90OnBhOnNz"
            }}})
        );
    }

    #[test]
    fn base64_is_rfc_4648_with_padding() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes()), encoded);
        }
    }
}
