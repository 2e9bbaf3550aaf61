//! The YAML tab without JavaScript (issue 23): on the create page, a plain HTML form that
//! posts an ExternalSecret manifest to `create_secret_yaml_form`, which reads and checks it as
//! the tab and Save do and creates the secret. Refused, the browser is sent back here and the
//! form is shown open again with the manifest as it was pasted and each problem with its path
//! (`spec.dataFrom[0].extract.key`).
//!
//! Only until the bundle runs: then the YAML tab beside the form does the same, and this form
//! is hidden.

use leptos::prelude::*;

use crate::model::flash::FailedPost;

/// The id of the manifest's text area.
const TEXT_ID: &str = "secret-yaml-post";
/// The id of what was wrong with the manifest last posted.
const ERRORS_ID: &str = "secret-yaml-post-errors";

/// The form, closed unless the browser was sent back here by its refused post (`failed`), for
/// the page's `scope` and project.
#[component]
pub fn YamlPost(
    csrf: String,
    scope: String,
    project_id: Option<i64>,
    failed: Option<FailedPost>,
) -> impl IntoView {
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let text = failed
        .as_ref()
        .and_then(|f| f.field("yaml"))
        .unwrap_or_default()
        .to_owned();
    let problems = failed
        .as_ref()
        .map(|f| f.error.field_errors())
        .unwrap_or_default();
    // What is not the manifest's own problem (not allowed here, the server's limits).
    let other = failed
        .as_ref()
        .filter(|_| problems.is_empty())
        .map(|f| f.error.to_string());
    let refused = failed.is_some();
    let summary = match problems.len() {
        0 => None,
        1 => Some("The manifest was not used: 1 problem to fix.".to_owned()),
        n => Some(format!("The manifest was not used: {n} problems to fix.")),
    };
    let forgotten = refused && text.is_empty();
    view! {
        <section class="yaml-post" hidden=move || hydrated.get()>
            <details open=refused>
                <summary>"Create from an ExternalSecret manifest instead"</summary>
                <form method="post" action="/api/create_secret_yaml_form" class="form">
                    <input type="hidden" name="csrf" value=csrf />
                    <input type="hidden" name="scope" value=scope />
                    {project_id.map(|id| view! { <input type="hidden" name="project_id" value=id /> })}
                    <div role="alert" id=ERRORS_ID>
                        {summary.map(|summary| view! { <p class="error">{summary}</p> })}
                        {(!problems.is_empty()).then(|| view! {
                            <ul class="yaml-errors" aria-label="Problems in the manifest">
                                {problems
                                    .into_iter()
                                    .map(|e| view! { <li class="field-error"><code>{e.field}</code>{format!(": {}", e.message)}</li> })
                                    .collect_view()}
                            </ul>
                        })}
                        {other.map(|message| view! { <p class="error">{message}</p> })}
                        {forgotten.then(|| view! {
                            <p class="muted">
                                "What was pasted is not shown again: it was not an ExternalSecret, \
                                 and might hold values."
                            </p>
                        })}
                    </div>
                    <label for=TEXT_ID>"ExternalSecret manifest (external-secrets.io/v1 or v1beta1)"</label>
                    <textarea
                        id=TEXT_ID
                        name="yaml"
                        class="yaml-input"
                        rows="18"
                        spellcheck="false"
                        autocomplete="off"
                        aria-invalid=refused.to_string()
                        aria-describedby=format!("{TEXT_ID}-help {ERRORS_ID}")
                        // The manifest as markup, not a text child: an empty text child is
                        // written as a space, which a paste after it would turn into a YAML
                        // indentation error.
                        inner_html=escape(&text)
                    ></textarea>
                    <p id=format!("{TEXT_ID}-help") class="muted">
                        "metadata.name becomes the secret's name; the namespace comes from each \
                         project it lands in. Everything in the spec is kept. The secret is \
                         created with use case Generic and no assignments."
                    </p>
                    <div class="form-actions">
                        <button type="submit" class="button primary">"Create from manifest"</button>
                    </div>
                </form>
            </details>
        </section>
    }
}

/// `text` safe as an element's content.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn a_manifest_stays_text_in_the_text_area() {
        assert_eq!(
            escape("a: \"</textarea><b>&x\""),
            "a: \"&lt;/textarea&gt;&lt;b&gt;&amp;x\""
        );
    }
}
