//! Names the console refuses to create, whatever the namespace: objects Kubernetes or other
//! tools own by convention (Helm's release records, bootstrap tokens, legacy service-account
//! token Secrets). Service-account token *types* are refused in `domain::validation`; this is
//! the configurable list of *names* (`--protected-names`).

use crate::domain::validation::FieldError;

/// The default deny-list.
pub const DEFAULT: &str = "sh.helm.release.v1.*,bootstrap-token-*,default-token-*";

/// Name patterns: `*` matches any run of characters, everything else itself.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProtectedNames {
    patterns: Vec<String>,
}

impl ProtectedNames {
    /// Parses a comma-separated list; blank entries are ignored.
    pub fn parse(list: &str) -> Result<Self, String> {
        let mut patterns = Vec::new();
        for pattern in list.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            if !pattern.chars().all(|c| {
                c == '*' || c == '.' || c == '-' || c.is_ascii_lowercase() || c.is_ascii_digit()
            }) {
                return Err(format!(
                    "protected name pattern `{pattern}`: only lowercase letters, digits, '-', '.' and '*' are allowed"
                ));
            }
            patterns.push(pattern.to_owned());
        }
        Ok(Self { patterns })
    }

    /// The patterns, as configured.
    pub fn patterns(&self) -> &[String] {
        &self.patterns
    }

    /// Refuses a protected name, naming the field and the pattern it matches.
    pub fn check(&self, name: &str) -> Result<(), FieldError> {
        match self.patterns.iter().find(|p| glob(p, name)) {
            Some(pattern) => Err(FieldError::new(
                "name",
                format!(
                    "`{name}` is a protected name (it matches `{pattern}`): such objects belong to \
                     Kubernetes or another tool and cannot be managed here; choose another name"
                ),
            )),
            None => Ok(()),
        }
    }
}

/// `*` matches any run of characters (none too).
fn glob(pattern: &str, name: &str) -> bool {
    let mut parts = pattern.split('*');
    let first = parts.next().unwrap_or_default();
    let Some(mut rest) = name.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs_match_as_written() {
        assert!(glob("sh.helm.release.v1.*", "sh.helm.release.v1.web.v3"));
        assert!(!glob("sh.helm.release.v1.*", "sh-helm"));
        assert!(glob("exact", "exact"));
        assert!(!glob("exact", "exactly"));
        assert!(glob("*-token-*", "builder-token-x7k2p"));
        assert!(!glob("*-token-*", "token"));
        assert!(glob("a*b*c", "abc"));
        assert!(!glob("ab*ba", "aba"));
    }

    #[test]
    fn the_default_list_refuses_helm_records_and_names_the_field() {
        let names = ProtectedNames::parse(DEFAULT).unwrap();
        let error = names.check("sh.helm.release.v1.web.v1").unwrap_err();
        assert_eq!(error.field, "name");
        assert!(error.message.contains("sh.helm.release.v1.*"), "{error:?}");
        assert!(names.check("payments-db").is_ok());
    }

    #[test]
    fn bad_patterns_are_refused_at_start_up() {
        let error = ProtectedNames::parse("ok-*, Bad_Name").unwrap_err();
        assert!(error.contains("Bad_Name"), "{error}");
        assert_eq!(ProtectedNames::parse(" , ").unwrap().patterns().len(), 0);
    }
}
