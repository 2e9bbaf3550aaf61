//! Input rules for secrets, shared by the browser and the server.
//!
//! The browser runs them to show every problem while the user types; the server runs them again
//! because a server function is a public endpoint. Every rejection is a [`FieldError`] that names
//! the form field (or JSON path) and says, in words a user can act on, what is wrong and what is
//! allowed.
//!
//! The Kubernetes rules mirror the API server's own (`k8s.io/apimachinery` validation) and the
//! duration rules mirror Go's `time` package, so that a spec accepted here is not refused later
//! by a cluster, long after the user has left the form.
//!
//! Plain std + serde only: this module is compiled to WASM too.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::model::secret::{ExternalSpec, KubernetesSpec, SecretSpec, UseCase};

/// Longest secret name. Names become Kubernetes object names and label values, and an RFC 1123
/// label is what both accept.
pub const MAX_SECRET_NAME_LEN: usize = DNS_LABEL.max_len;

/// Longest key in a Secret's `data`: the API server's limit.
pub const MAX_KEY_NAME_LEN: usize = 253;

/// Longest ClusterSecretStore name: an RFC 1123 subdomain.
pub const MAX_STORE_NAME_LEN: usize = 253;

/// Longest key in an external store. Stores allow more, but no real key is this long, and a cap
/// keeps a pasted blob from being mistaken for a key.
pub const MAX_REMOTE_KEY_LEN: usize = 1024;

/// Largest total size of a Kubernetes secret's values (1 MiB): the API server's limit for a
/// Secret.
pub const MAX_VALUES_BYTES: usize = 1_048_576;

/// Longest refresh interval: one year (8760h). Anything longer is a typo, not a schedule.
pub const MAX_REFRESH_INTERVAL: Duration = Duration::from_secs(8760 * 60 * 60);

/// Shortest refresh interval by default (the server's `--min-refresh-interval`): ESO re-reads
/// the shared store on every refresh, so a short interval hammers it for every team. The
/// browser checks against this; the server, authoritative, against its configured value.
pub const DEFAULT_MIN_REFRESH_INTERVAL: Duration = Duration::from_secs(60);

/// The Secret `type` an image pull secret must have.
pub const DOCKER_CONFIG_JSON_TYPE: &str = "kubernetes.io/dockerconfigjson";

/// The only key of an image pull secret.
pub const DOCKER_CONFIG_JSON_KEY: &str = ".dockerconfigjson";

/// The Secret types that can be managed here, in the order forms offer them.
pub const SECRET_TYPES: [&str; 5] = [
    "Opaque",
    DOCKER_CONFIG_JSON_TYPE,
    "kubernetes.io/basic-auth",
    "kubernetes.io/ssh-auth",
    "kubernetes.io/tls",
];

/// Kubernetes issues these to service accounts; writing one would mint or clobber a credential.
const SERVICE_ACCOUNT_TOKEN_TYPE: &str = "kubernetes.io/service-account-token";

/// One rule for a kind of name, from which everything that states it comes: the server's
/// check, the browser's `pattern` and `maxlength`, and the hint beside the field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NameRule {
    /// Longest name allowed, in characters (`maxlength`).
    pub max_len: usize,
    /// The HTML `pattern` (browsers compile it with the `v` flag, where a `-` in a class must
    /// be escaped).
    pub pattern: &'static str,
    /// The rule in words, for the hint beside the field.
    pub hint: &'static str,
}

/// An RFC 1123 label, as Kubernetes names namespaces: secret names (the object's name in
/// every namespace), project names (in URLs) and namespaces.
pub const DNS_LABEL: NameRule = NameRule {
    max_len: 63,
    pattern: "[a-z0-9]([a-z0-9\\-]*[a-z0-9])?",
    hint: "1 to 63 lowercase letters, digits and '-', starting and ending with a letter or digit",
};

/// `text` with its first letter in capitals, to open a sentence with a rule's words.
pub fn capitalized(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| {
        first.to_uppercase().chain(chars).collect()
    })
}

/// What a secret name may contain, for messages.
const LABEL_RULE: &str =
    "lowercase letters, digits and '-', starting and ending with a letter or digit";

/// What a Secret data key may contain, for messages.
const KEY_RULE: &str = "letters, digits, '-', '_' and '.'";

/// What a ClusterSecretStore name may contain, for messages.
const SUBDOMAIN_RULE: &str = "lowercase letters, digits, '-' and '.', each dot-separated part \
     starting and ending with a letter or digit";

use super::duration::{UNITS, quote};
pub use super::duration::{format_go_duration, parse_go_duration};
pub use crate::error::FieldError;
pub use form::form_problems;
use typed::type_key_errors;
pub use typed::validate_typed_value;

mod form;
mod typed;

/// Checks a secret name: an RFC 1123 label (1 to 63 lowercase letters, digits and '-', starting
/// and ending with a letter or digit). Field `name`.
pub fn validate_secret_name(name: &str) -> Result<(), FieldError> {
    let reject = |message: String| Err(FieldError::new("name", message));
    let len = name.chars().count();
    if len == 0 {
        return reject(format!("must not be empty: use 1 to 63 {LABEL_RULE}"));
    }
    if len > MAX_SECRET_NAME_LEN {
        return reject(format!(
            "must be at most {MAX_SECRET_NAME_LEN} characters (this one has {len}): {LABEL_RULE}"
        ));
    }
    if name.chars().any(|c| c.is_ascii_uppercase()) {
        return reject(format!(
            "must be lowercase, e.g. {}: use {LABEL_RULE}",
            quote(&name.to_ascii_lowercase())
        ));
    }
    if let Some(c) = name.chars().find(|&c| !is_label_char(c)) {
        return reject(format!(
            "must not contain {}: use only {LABEL_RULE}",
            describe_char(c)
        ));
    }
    if name.starts_with('-') || name.ends_with('-') {
        return reject(format!(
            "must start and end with a letter or digit, not '-': use {LABEL_RULE}"
        ));
    }
    Ok(())
}

/// Checks a key of a Kubernetes Secret's `data` the way the API server does: 1 to 253 letters,
/// digits, '-', '_' and '.', and not `.`, `..` or anything starting with `..`. `field` is the
/// path to report, e.g. `data[2].secret_key` or `keys[0]`.
pub fn validate_key_name(field: &str, key: &str) -> Result<(), FieldError> {
    let reject = |message: String| Err(FieldError::new(field, message));
    let len = key.chars().count();
    if len == 0 {
        return reject(format!(
            "must not be empty: use {KEY_RULE}, e.g. password or tls.crt"
        ));
    }
    if len > MAX_KEY_NAME_LEN {
        return reject(format!(
            "must be at most {MAX_KEY_NAME_LEN} characters (this one has {len}): use {KEY_RULE}"
        ));
    }
    if let Some(c) = key.chars().find(|&c| !is_key_char(c)) {
        return reject(format!(
            "must not contain {}: use only {KEY_RULE}",
            describe_char(c)
        ));
    }
    // Secret keys become file names when the Secret is mounted, so the API server refuses names
    // that would climb out of the mount directory.
    if key == "." || key.starts_with("..") {
        return reject(format!(
            "must not be '.' or '..' or start with '..': use {KEY_RULE} \
             (one leading '.' is fine, e.g. .dockerconfigjson)"
        ));
    }
    Ok(())
}

/// Checks a key in an external store: not blank, no surrounding whitespace, no control
/// characters, at most 1024 characters, and a clean `/`-separated path: no leading or trailing
/// `/`, no `//`, no `.` or `..` part. `field` is the path to report, e.g. `data[0].remote_key`.
pub fn validate_remote_key(field: &str, key: &str) -> Result<(), FieldError> {
    let reject = |message: String| Err(FieldError::new(field, message));
    if key.trim().is_empty() {
        return reject(
            "must not be empty: enter the key's name in the store, e.g. prod/database".to_owned(),
        );
    }
    // Stores match keys exactly, so stray whitespace from a paste would silently point at a key
    // that does not exist.
    if key.trim() != key {
        return reject(
            "must not start or end with spaces: remove them (spaces inside the key are fine)"
                .to_owned(),
        );
    }
    if let Some(c) = key.chars().find(|c| c.is_control()) {
        return reject(format!(
            "must not contain {}: use printable characters only, e.g. prod/database",
            describe_char(c)
        ));
    }
    let len = key.chars().count();
    if len > MAX_REMOTE_KEY_LEN {
        return reject(format!(
            "must be at most {MAX_REMOTE_KEY_LEN} characters (this one has {len}): \
             enter the key's name in the store, not its value"
        ));
    }
    if let Some(problem) = path_problem(key) {
        return reject(problem.message("key", "e.g. payments/db/password"));
    }
    Ok(())
}

/// Checks a remote-key prefix of a project's allowlist: the rules of [`validate_remote_key`],
/// except that one trailing `/` is allowed (`payments/` and `payments` mean the same subtree).
/// `field` is the field to report, e.g. `key_prefixes`; messages quote the prefix, since the
/// field holds a list.
pub fn validate_key_prefix(field: &str, prefix: &str) -> Result<(), FieldError> {
    let reject = |message: &str| {
        Err(FieldError::new(
            field,
            format!("{} {message}", quote(prefix)),
        ))
    };
    let trimmed = prefix.strip_suffix('/').unwrap_or(prefix);
    if trimmed.trim().is_empty() {
        return reject(
            "is not a prefix: enter the folder of keys the project may read, e.g. payments/",
        );
    }
    // The one allowed trailing '/' is gone: another one means the prefix ended in '//'.
    let problem = match path_problem(trimmed) {
        Some(PathProblem::Trailing) => Some(PathProblem::DoubleSlash),
        other => other,
    };
    if let Some(problem) = problem {
        return reject(&problem.message("prefix", "e.g. payments/ or payments/db"));
    }
    validate_remote_key(field, trimmed).or_else(|error| reject(&error.message))
}

/// Why a remote key is not a clean `/`-separated path.
///
/// Stores and the providers in front of them treat keys as paths: some clean them (`a/../b`
/// becomes `b`, `a//b` becomes `a/b`), some do not. A key that is not already clean could
/// therefore name something other than what it reads as, and escape the prefix a project is
/// held to, so such keys are refused outright rather than cleaned here.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PathProblem {
    /// Starts with `/`.
    Leading,
    /// Ends with `/`.
    Trailing,
    /// Has `//` somewhere.
    DoubleSlash,
    /// Has a `.` or `..` part.
    DotPart,
    /// Is the empty string.
    Empty,
}

impl PathProblem {
    /// What is wrong and what to do, for a `what` (`key`) with an `example` hint.
    fn message(self, what: &str, example: &str) -> String {
        match self {
            PathProblem::Leading => format!(
                "must not start with '/': write the {what} relative to the store, without the \
                 leading '/', {example}"
            ),
            PathProblem::Trailing => {
                format!("must not end with '/': name the {what} itself, not a folder, {example}")
            }
            PathProblem::DoubleSlash => format!(
                "must not contain '//' (an empty part): put a single '/' between parts, {example}"
            ),
            PathProblem::DotPart => format!(
                "must not have '.' or '..' as a part between slashes: write the {what}'s full \
                 path without them, {example}"
            ),
            PathProblem::Empty => format!("must not be empty: enter the {what}, {example}"),
        }
    }
}

/// The first path problem of `path`, or None if it has at least one `/`-separated part and
/// every part is non-empty and is neither `.` nor `..`.
pub(crate) fn path_problem(path: &str) -> Option<PathProblem> {
    if path.is_empty() {
        Some(PathProblem::Empty)
    } else if path.starts_with('/') {
        Some(PathProblem::Leading)
    } else if path.ends_with('/') {
        Some(PathProblem::Trailing)
    } else if path.contains("//") {
        Some(PathProblem::DoubleSlash)
    } else if path.split('/').any(|part| part == "." || part == "..") {
        Some(PathProblem::DotPart)
    } else {
        None
    }
}

/// Checks a ClusterSecretStore name: an RFC 1123 subdomain (1 to 253 lowercase letters, digits,
/// '-' and '.', each dot-separated part starting and ending with a letter or digit). Field
/// `store`.
pub fn validate_store_name(store: &str) -> Result<(), FieldError> {
    let reject = |message: String| Err(FieldError::new("store", message));
    let len = store.chars().count();
    if len == 0 {
        return reject(format!(
            "must not be empty: choose the ClusterSecretStore to read from ({SUBDOMAIN_RULE})"
        ));
    }
    if len > MAX_STORE_NAME_LEN {
        return reject(format!(
            "must be at most {MAX_STORE_NAME_LEN} characters (this one has {len}): \
             use {SUBDOMAIN_RULE}"
        ));
    }
    if store.chars().any(|c| c.is_ascii_uppercase()) {
        return reject(format!(
            "must be lowercase, e.g. {}: use {SUBDOMAIN_RULE}",
            quote(&store.to_ascii_lowercase())
        ));
    }
    if let Some(c) = store.chars().find(|&c| c != '.' && !is_label_char(c)) {
        return reject(format!(
            "must not contain {}: use only {SUBDOMAIN_RULE}",
            describe_char(c)
        ));
    }
    let well_formed = |part: &str| {
        part.starts_with(|c: char| c.is_ascii_alphanumeric())
            && part.ends_with(|c: char| c.is_ascii_alphanumeric())
    };
    if !store.split('.').all(well_formed) {
        return reject(format!(
            "must not start or end with '-' or '.', nor have '-' or '.' next to a '.': \
             use {SUBDOMAIN_RULE}"
        ));
    }
    Ok(())
}

/// Checks an ExternalSecret `refreshInterval` and returns its canonical Go form (`1h` →
/// `1h0m0s`), which is what should be stored so that it compares equal to what the cluster
/// reports. Zero is allowed: in ESO it turns periodic refresh off. Field `refresh_interval`.
pub fn validate_refresh_interval(s: &str) -> Result<String, FieldError> {
    let reject = |message: String| Err(FieldError::new("refresh_interval", message));
    // Surrounding whitespace is harmless here: the canonical form replaces the input.
    let s = s.trim();
    if s.is_empty() {
        return reject(format!(
            "must not be empty: enter how often to re-read the store, e.g. 1h or 30m \
             (units: {UNITS}; 0s turns periodic refresh off)"
        ));
    }
    let d = match parse_go_duration(s) {
        Ok(d) => d,
        Err(message) => return reject(message),
    };
    if d > MAX_REFRESH_INTERVAL {
        return reject(format!(
            "{} is longer than one year: use at most 8760h, e.g. 1h or 24h \
             (0s turns periodic refresh off)",
            format_go_duration(d)
        ));
    }
    Ok(format_go_duration(d))
}

/// Checks that an ExternalSecret `refreshInterval` is `0s` (periodic refresh off) or at least
/// `min`. Field `refresh_interval`. An interval that does not parse passes here: that is
/// [`validate_refresh_interval`]'s to report.
pub fn validate_min_refresh_interval(s: &str, min: Duration) -> Result<(), FieldError> {
    match parse_go_duration(s.trim()) {
        Ok(d) if !d.is_zero() && d < min => Err(FieldError::new(
            "refresh_interval",
            format!(
                "{} is too short: use at least {}: shorter intervals hammer the shared store \
                 (0s turns periodic refresh off)",
                format_go_duration(d),
                format_go_duration(min)
            ),
        )),
        _ => Ok(()),
    }
}

/// Checks the total size of a Kubernetes secret's values against the API server's 1 MiB limit.
/// Field `values`.
pub fn validate_values_size(total_bytes: usize) -> Result<(), FieldError> {
    if total_bytes > MAX_VALUES_BYTES {
        return Err(FieldError::new(
            "values",
            format!(
                "are {total_bytes} bytes in total; all values together must be at most \
                 {MAX_VALUES_BYTES} bytes (1 MiB): shorten or remove some"
            ),
        ));
    }
    Ok(())
}

/// Checks a Kubernetes Secret `type`: one of [`SECRET_TYPES`]. Service-account tokens are
/// refused outright. Field `secret_type`.
pub fn validate_secret_type(secret_type: &str) -> Result<(), FieldError> {
    let reject = |message: String| Err(FieldError::new("secret_type", message));
    let allowed = SECRET_TYPES.join(", ");
    if SECRET_TYPES.contains(&secret_type) {
        return Ok(());
    }
    if secret_type == SERVICE_ACCOUNT_TOKEN_TYPE {
        return reject(format!(
            "service-account tokens are protected: Kubernetes issues them to service accounts, \
             so they cannot be managed here; choose one of {allowed}"
        ));
    }
    if secret_type.is_empty() {
        return reject(format!("must not be empty: choose one of {allowed}"));
    }
    let hint = SECRET_TYPES
        .iter()
        .find(|t| t.eq_ignore_ascii_case(secret_type))
        .map(|t| format!(" (types are case-sensitive: did you mean {t}?)"))
        .unwrap_or_default();
    reject(format!(
        "{} is not a supported type{hint}: choose one of {allowed}",
        quote(secret_type)
    ))
}

/// Checks the keys a use case requires: S3, Hugging Face and database secrets need their
/// well-known keys; an image pull secret needs exactly `.dockerconfigjson` (and, for a
/// Kubernetes secret, the `kubernetes.io/dockerconfigjson` type). The keys are the External
/// `data[].secret_key`s (field `data`) or the Kubernetes `keys` (field `keys`).
pub fn validate_use_case(use_case: UseCase, spec: &SecretSpec) -> Result<(), FieldError> {
    first(use_case_errors(use_case, spec))
}

/// Checks a whole spec and returns the first problem, in field order (see [`validate_all`]).
pub fn validate_spec(use_case: UseCase, spec: &SecretSpec) -> Result<(), FieldError> {
    first(validate_all(use_case, spec))
}

/// Checks a whole spec and returns every problem, in field order, so a form can show them all
/// at once. External: `store`, `refresh_interval`, `data`, then per entry `secret_key`
/// (including duplicates), `remote_key`, `property`, `version`. Kubernetes: `secret_type`,
/// `keys`, then each `keys[i]` (including duplicates). Then the use-case rules.
pub fn validate_all(use_case: UseCase, spec: &SecretSpec) -> Vec<FieldError> {
    let mut errors = match spec {
        SecretSpec::External(external) => external_errors(external),
        SecretSpec::Kubernetes(kubernetes) => kubernetes_errors(kubernetes),
    };
    errors.extend(use_case_errors(use_case, spec));
    errors
}

fn external_errors(spec: &ExternalSpec) -> Vec<FieldError> {
    let mut errors = Vec::new();
    errors.extend(validate_store_name(&spec.store).err());
    errors.extend(validate_refresh_interval(&spec.refresh_interval).err());
    if spec.data.is_empty() && spec.data_from.is_empty() {
        errors.push(FieldError::new(
            "data",
            "add at least one key: each entry names a key of the secret and where its value is \
             read from in the store",
        ));
    }
    let mut seen = BTreeMap::new();
    for (i, entry) in spec.data.iter().enumerate() {
        let field = format!("data[{i}].secret_key");
        errors.extend(unique_key(&field, &entry.secret_key, i, "data", &mut seen).err());
        errors
            .extend(validate_remote_key(&format!("data[{i}].remote_key"), &entry.remote_key).err());
        if entry.property.as_deref().is_some_and(is_blank) {
            errors.push(FieldError::new(
                format!("data[{i}].property"),
                "must not be empty: enter the JSON property to read, e.g. password, or leave it \
                 out to use the whole value",
            ));
        }
        if entry.version.as_deref().is_some_and(is_blank) {
            errors.push(FieldError::new(
                format!("data[{i}].version"),
                "must not be empty: enter the version to pin, or leave it out to read the latest",
            ));
        }
    }
    errors
}

fn kubernetes_errors(spec: &KubernetesSpec) -> Vec<FieldError> {
    let mut errors = Vec::new();
    errors.extend(validate_secret_type(&spec.secret_type).err());
    if spec.keys.is_empty() {
        errors.push(FieldError::new(
            "keys",
            "add at least one key: each key holds one value of the secret",
        ));
    }
    let mut seen = BTreeMap::new();
    for (i, key) in spec.keys.iter().enumerate() {
        errors.extend(unique_key(&format!("keys[{i}]"), key, i, "keys", &mut seen).err());
    }
    errors.extend(type_key_errors(spec));
    errors
}

/// Checks a key name and that no earlier entry (recorded in `seen`) has it. A key that is
/// invalid is not also reported as a duplicate: one problem per field is enough.
fn unique_key<'a>(
    field: &str,
    key: &'a str,
    index: usize,
    list: &str,
    seen: &mut BTreeMap<&'a str, usize>,
) -> Result<(), FieldError> {
    validate_key_name(field, key)?;
    if let Some(first) = seen.get(key) {
        return Err(FieldError::new(
            field,
            format!(
                "{} is already used by {list}[{first}]: each key must appear only once; \
                 rename or remove this one",
                quote(key)
            ),
        ));
    }
    seen.insert(key, index);
    Ok(())
}

fn use_case_errors(use_case: UseCase, spec: &SecretSpec) -> Vec<FieldError> {
    let (field, keys): (&str, Vec<&str>) = match spec {
        // Keys read with `dataFrom` are known only to the store: nothing to check.
        SecretSpec::External(external) => match super::target_keys::target_keys(external) {
            Some(keys) => ("data", keys),
            None => return Vec::new(),
        },
        SecretSpec::Kubernetes(kubernetes) => {
            ("keys", kubernetes.keys.iter().map(String::as_str).collect())
        }
    };
    let mut errors = Vec::new();
    match use_case {
        UseCase::Generic => {}
        UseCase::S3 => errors.extend(require_keys(
            field,
            "S3 secrets",
            &keys,
            &["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"],
        )),
        UseCase::HuggingFace => {
            errors.extend(require_keys(
                field,
                "Hugging Face secrets",
                &keys,
                &["HF_TOKEN"],
            ));
        }
        UseCase::Database => errors.extend(require_keys(
            field,
            "Database secrets",
            &keys,
            &["username", "password"],
        )),
        UseCase::ImagePullSecret => {
            if let SecretSpec::Kubernetes(kubernetes) = spec
                && kubernetes.secret_type != DOCKER_CONFIG_JSON_TYPE
            {
                errors.push(FieldError::new(
                    "secret_type",
                    format!(
                        "image pull secrets must have the type {DOCKER_CONFIG_JSON_TYPE}, not {}: \
                         choose {DOCKER_CONFIG_JSON_TYPE}",
                        quote(&kubernetes.secret_type)
                    ),
                ));
            }
            if keys != [DOCKER_CONFIG_JSON_KEY] {
                let found = if keys.is_empty() {
                    "none".to_owned()
                } else {
                    keys.iter().map(|k| quote(k)).collect::<Vec<_>>().join(", ")
                };
                errors.push(FieldError::new(
                    field,
                    format!(
                        "image pull secrets need exactly one key, {DOCKER_CONFIG_JSON_KEY} \
                         (found: {found}): keep only {DOCKER_CONFIG_JSON_KEY}"
                    ),
                ));
            }
        }
    }
    errors
}

/// A rejection naming the `required` keys missing from `keys`, if any.
fn require_keys(field: &str, what: &str, keys: &[&str], required: &[&str]) -> Option<FieldError> {
    let missing: Vec<&str> = required
        .iter()
        .copied()
        .filter(|r| !keys.contains(r))
        .collect();
    if missing.is_empty() {
        return None;
    }
    let message = match (required, missing.as_slice()) {
        ([only], _) => format!("{what} need the key {only}: add it"),
        (_, [one]) => format!(
            "{what} need the keys {}: add the missing key {one}",
            required.join(" and ")
        ),
        _ => format!(
            "{what} need the keys {}: add the missing keys {}",
            required.join(" and "),
            missing.join(" and ")
        ),
    };
    Some(FieldError::new(field, message))
}

fn first(errors: Vec<FieldError>) -> Result<(), FieldError> {
    errors.into_iter().next().map_or(Ok(()), Err)
}

fn is_label_char(c: char) -> bool {
    c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'
}

fn is_key_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')
}

fn is_blank(text: &str) -> bool {
    text.trim().is_empty()
}

/// A character as a message should name it: invisible ones by code point.
fn describe_char(c: char) -> String {
    match c {
        ' ' => "spaces".to_owned(),
        c if c.is_control() || c.is_whitespace() => {
            format!("the invisible character U+{:04X}", u32::from(c))
        }
        c => format!("'{c}'"),
    }
}

#[cfg(test)]
mod spec_tests;
#[cfg(test)]
mod tests;
