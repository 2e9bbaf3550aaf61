//! API tokens: a person creates, lists and revokes their own; a platform admin also sees and
//! revokes everyone's. A new token is shown once, right after it is created.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::tokens::{
    CreateToken, RevokeToken, list_all_tokens, list_my_tokens, take_created_token,
};
use crate::components::clipboard::copy_text;
use crate::components::flash::failed_post;
use crate::components::format::utc_time;
use crate::components::load::load;
use crate::components::session::RequireUser;
use crate::components::unreachable::{UnreachableNotice, answered};
use crate::model::account::CurrentUser;
use crate::model::tokens::{CreatedToken, EXPIRY_DAYS, TokenRow};

/// The Tokens page (signed-in users).
#[component]
pub fn TokensPage() -> impl IntoView {
    view! {
        <RequireUser children=|user| view! {
            <Title text="API tokens" />
            <div class="page-header">
                <h1>"API tokens"</h1>
            </div>
            <p class="muted">
                "A token lets a script call the console's API as you, with your permissions: "
                "send it as " <code>"Authorization: Bearer scn_…"</code> ". See docs/api-tokens.md."
            </p>
            <Tokens user />
        } />
    }
}

#[component]
fn Tokens(user: CurrentUser) -> impl IntoView {
    let create = ServerAction::<CreateToken>::new();
    let revoke = ServerAction::<RevokeToken>::new();
    let changed = (answered(create), answered(revoke));
    let mine = load(
        move || (changed.0.get(), changed.1.get()),
        |_| list_my_tokens(),
    );
    let is_admin = user.permissions.can_manage_users;
    let everyone = load(
        move || (changed.0.get(), changed.1.get()),
        move |_| async move {
            if is_admin {
                list_all_tokens().await.map(Some)
            } else {
                Ok(None)
            }
        },
    );
    // Created without JavaScript: the form post came back here; the server held the token
    // for this one page load.
    let held = load(|| (), |_| take_created_token());
    let failed = failed_post("create_token");
    let created = move || match create.value().get() {
        Some(Ok(token)) => Some(token),
        Some(Err(_)) => None,
        None => held.get().and_then(Result::ok).flatten(),
    };
    let create_error = move || {
        create
            .value()
            .get()
            .and_then(Result::err)
            .or_else(|| failed.get().map(|f| f.error))
            .filter(|e| !e.is_unreachable())
            .map(|e| e.to_string())
    };
    let kept_name = move || {
        failed
            .get()
            .and_then(|f| f.field("name").map(str::to_owned))
    };
    let revoke_said = move || {
        revoke.value().get().map(|result| match result {
            Ok(name) => view! { <p class="notice success" role="status">{format!("Token {name} revoked.")}</p> }.into_any(),
            Err(error) if error.is_unreachable() => ().into_any(),
            Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
        })
    };
    let csrf = user.csrf_token.clone();
    let csrf_all = user.csrf_token.clone();
    view! {
        <Transition fallback=|| ()>
            {move || created().map(|token| view! { <NewToken token /> })}
        </Transition>
        <h2>"Create a token"</h2>
        <Transition fallback=|| ()>
        <ActionForm action=create attr:class="form narrow">
            <input type="hidden" name="csrf" value=user.csrf_token.clone() />
            <label for="token-label">"Token label (what it is for)"</label>
            <input id="token-label" name="name" maxlength="100" required value=kept_name />
            <label for="token-access">"Access"</label>
            <select id="token-access" name="access">
                <option value="read-only" selected>"Read-only: list and view"</option>
                <option value="read-write">"Read-write: also create, change, assign and sync"</option>
            </select>
            <label for="token-expiry">"Expires after"</label>
            <select id="token-expiry" name="expires_in_days">
                {EXPIRY_DAYS
                    .iter()
                    .map(|days| view! { <option value=*days selected=*days == 30>{format!("{days} days")}</option> })
                    .collect_view()}
            </select>
            {move || create_error().map(|message| view! { <p class="error" role="alert">{message}</p> })}
            <button type="submit" class="button primary">"Create token"</button>
            <UnreachableNotice action=create />
        </ActionForm>
        </Transition>
        <h2>"Your tokens"</h2>
        {revoke_said}
        <UnreachableNotice action=revoke />
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || {
                let csrf = csrf.clone();
                mine.get().map(|result| match result {
                    Ok(rows) => view! { <TokenTable rows csrf revoke show_owner=false caption="Your tokens" /> }.into_any(),
                    Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
                })
            }}
        </Transition>
        <Transition fallback=|| ()>
            {move || {
                let csrf = csrf_all.clone();
                everyone.get().map(|result| match result {
                    Ok(Some(rows)) => view! {
                        <h2>"Everyone's tokens"</h2>
                        <TokenTable rows csrf revoke show_owner=true caption="Everyone's tokens" />
                    }.into_any(),
                    Ok(None) => ().into_any(),
                    Err(error) => view! { <p class="error" role="alert">{error.to_string()}</p> }.into_any(),
                })
            }}
        </Transition>
    }
}

/// The token just created, once, with a Copy button when the page runs in the browser (the
/// field's text selects at once, so it copies without JavaScript too).
#[component]
fn NewToken(token: CreatedToken) -> impl IntoView {
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let copied = RwSignal::new(None::<&'static str>);
    let text = StoredValue::new(token.token.clone());
    let copy = move |_| copy_text(&text.get_value(), copied, "Select the token and copy it.");
    view! {
        <section class="notice success new-token" role="status" aria-labelledby="new-token-title">
            <h2 id="new-token-title">{format!("Token {} created", token.name)}</h2>
            <p>
                "Copy it now: it is not shown again. "
                {format!("{}, expires {} UTC.", token.access.label(), utc_time(token.expires_at))}
            </p>
            <label for="new-token">"Your new token"</label>
            " "
            <input id="new-token" readonly value=token.token.clone() size="72" autocomplete="off" spellcheck="false" />
            {move || hydrated.get().then(|| view! {
                " "
                <button type="button" class="button small" on:click=copy>"Copy token"</button>
            })}
            <span role="status" class="muted">{move || copied.get().map(|words| format!(" {words}"))}</span>
        </section>
    }
}

/// A list of tokens with a Revoke button on each live one.
#[component]
fn TokenTable(
    rows: Vec<TokenRow>,
    csrf: String,
    revoke: ServerAction<RevokeToken>,
    show_owner: bool,
    caption: &'static str,
) -> impl IntoView {
    if rows.is_empty() {
        return view! { <p class="muted">"No tokens yet."</p> }.into_any();
    }
    view! {
        <div class="table-wrap">
            <table class="data-table">
                <caption class="visually-hidden">{caption}</caption>
                <thead>
                    <tr>
                        <th scope="col">"Token"</th>
                        {show_owner.then(|| view! { <th scope="col">"Owner"</th> })}
                        <th scope="col">"Access"</th>
                        <th scope="col">"Created"</th>
                        <th scope="col">"Expires"</th>
                        <th scope="col">"Last used"</th>
                        <th scope="col">"State"</th>
                    </tr>
                </thead>
                <tbody>
                    {rows
                        .into_iter()
                        .map(|row| {
                            let label = format!("Revoke token {}", row.name);
                            let state = token_state(&row);
                            let live = row.revoked_at.is_none() && !row.expired;
                            let csrf = csrf.clone();
                            view! {
                                <tr>
                                    <td class="cell-name">{row.name.clone()} " " <code class="muted">{format!("{}…", row.hint)}</code></td>
                                    {show_owner.then(|| view! { <td data-label="Owner">{row.owner.clone()}</td> })}
                                    <td data-label="Access">{row.access.label()}</td>
                                    <td data-label="Created">{utc_time(row.created_at)}</td>
                                    <td data-label="Expires">{utc_time(row.expires_at)}</td>
                                    <td data-label="Last used">{row.last_used_at.map_or_else(|| "Never".to_owned(), utc_time)}</td>
                                    <td data-label="State">
                                        {state}
                                        {live.then(|| view! {
                                            " "
                                            <ActionForm action=revoke attr:class="inline-form">
                                                <input type="hidden" name="csrf" value=csrf />
                                                <input type="hidden" name="id" value=row.id />
                                                <button type="submit" class="button small danger" aria-label=label>"Revoke"</button>
                                            </ActionForm>
                                        })}
                                    </td>
                                </tr>
                            }
                        })
                        .collect_view()}
                </tbody>
            </table>
        </div>
    }
    .into_any()
}

/// A token's state in words: active, expired, or revoked (when and by whom).
fn token_state(row: &TokenRow) -> String {
    match (row.revoked_at, &row.revoked_by) {
        (Some(at), Some(by)) => format!("Revoked {} by {by}", utc_time(at)),
        (Some(at), None) => format!("Revoked {}", utc_time(at)),
        _ if row.expired => "Expired".to_owned(),
        _ => "Active".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::tokens::TokenAccess;

    fn row() -> TokenRow {
        TokenRow {
            id: 1,
            name: "ci".to_owned(),
            owner: "a@example.com".to_owned(),
            hint: "scn_1a2b".to_owned(),
            access: TokenAccess::ReadOnly,
            created_at: 0,
            expires_at: 0,
            expired: false,
            last_used_at: None,
            revoked_at: None,
            revoked_by: None,
        }
    }

    #[test]
    fn a_token_says_whether_it_is_active_expired_or_revoked() {
        assert_eq!(token_state(&row()), "Active");
        assert_eq!(
            token_state(&TokenRow {
                expired: true,
                ..row()
            }),
            "Expired"
        );
        let revoked = TokenRow {
            revoked_at: Some(0),
            revoked_by: Some("admin@example.com".to_owned()),
            expired: true,
            ..row()
        };
        assert_eq!(
            token_state(&revoked),
            "Revoked 1970-01-01 00:00 by admin@example.com"
        );
    }
}
