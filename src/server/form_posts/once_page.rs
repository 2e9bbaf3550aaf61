//! The page a form posted without JavaScript gets when its answer is a text shown once (a
//! temporary password): rendered straight into the post's response, so the text is never kept
//! anywhere to be shown by a later request — not the session, not the flash, not memory.
//!
//! A plain page of its own (the app's stylesheet, no script): the bundle's call never comes
//! here, it shows the answer itself.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// What the page says: its heading, the text, a sentence under it, and the way back.
pub struct OncePage<'a> {
    /// The heading ("Temporary password for dev@example.com").
    pub title: &'a str,
    /// The text shown once.
    pub text: &'a str,
    /// The sentence under it.
    pub note: &'a str,
    /// The page the form was on (a path of this site).
    pub back: &'a str,
}

/// Only this page's own stylesheet; no script, no form, no frame.
const POLICY: &str = "default-src 'none'; style-src 'self'; base-uri 'none'; form-action 'none'; \
                      frame-ancestors 'none'";

impl OncePage<'_> {
    /// The response: 200, never stored by a cache or kept in the browser's history cache.
    pub fn response(&self) -> Response {
        let html = format!(
            "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
             <title>{title}</title><link rel=\"stylesheet\" href=\"/pkg/secrets-console.css\">\
             </head><body><main class=\"page once-page\"><h1>{title}</h1>\
             <div class=\"notice success\" role=\"status\">\
             <p><code class=\"temporary-password\">{text}</code></p>\
             <p class=\"muted\">{note}</p></div>\
             <p><a href=\"{back}\">Back</a></p></main></body></html>",
            title = escape(self.title),
            text = escape(self.text),
            note = escape(self.note),
            back = escape(self.back),
        );
        (
            StatusCode::OK,
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/html; charset=utf-8"),
                ),
                (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
                (
                    header::CONTENT_SECURITY_POLICY,
                    HeaderValue::from_static(POLICY),
                ),
            ],
            html,
        )
            .into_response()
    }
}

/// `text` safe inside an element or a quoted attribute.
fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            c => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::{OncePage, escape};

    #[test]
    fn markup_in_what_the_page_says_stays_text() {
        assert_eq!(
            escape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;"
        );
        let response = OncePage {
            title: "Temporary password for <b>x</b>",
            text: "abcd-1234",
            note: "Shown once.",
            back: "/users",
        }
        .response();
        assert_eq!(response.headers()["cache-control"], "no-store");
    }
}
