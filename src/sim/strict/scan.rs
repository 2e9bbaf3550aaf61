//! The JSON body of a write as the decoder reads it: in document order, with repeated keys.

use std::collections::HashSet;

/// A JSON body as the decoder reads it, in document order: every path where it is met
/// (`metadata.labels.a`, `metadata.ownerReferences[0]`) and the fields it repeats, once each.
/// Empty for a body that is not JSON (repeated YAML keys are not looked for).
#[derive(Debug, Default)]
pub(super) struct Scanned {
    pub(super) order: Vec<String>,
    pub(super) repeated: Vec<String>,
}

impl Scanned {
    pub(super) fn of(body: &[u8]) -> Self {
        struct Scan<'a> {
            path: String,
            found: &'a mut Scanned,
        }
        impl<'de> serde::de::DeserializeSeed<'de> for Scan<'_> {
            type Value = ();
            fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
                d.deserialize_any(self)
            }
        }
        impl<'de> serde::de::Visitor<'de> for Scan<'_> {
            type Value = ();
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("JSON")
            }
            fn visit_bool<E>(self, _: bool) -> Result<(), E> {
                Ok(())
            }
            fn visit_i64<E>(self, _: i64) -> Result<(), E> {
                Ok(())
            }
            fn visit_u64<E>(self, _: u64) -> Result<(), E> {
                Ok(())
            }
            fn visit_f64<E>(self, _: f64) -> Result<(), E> {
                Ok(())
            }
            fn visit_str<E>(self, _: &str) -> Result<(), E> {
                Ok(())
            }
            fn visit_unit<E>(self) -> Result<(), E> {
                Ok(())
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
                let Scan { path, found } = self;
                for i in 0.. {
                    let at = format!("{path}[{i}]");
                    found.order.push(at.clone());
                    let item = Scan {
                        path: at,
                        found: &mut *found,
                    };
                    if seq.next_element_seed(item)?.is_none() {
                        found.order.pop();
                        break;
                    }
                }
                Ok(())
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
                let Scan { path, found } = self;
                let mut seen = HashSet::new();
                while let Some(key) = map.next_key::<String>()? {
                    let at = if path.is_empty() {
                        key.clone()
                    } else {
                        format!("{path}.{key}")
                    };
                    if !seen.insert(key) && !found.repeated.contains(&at) {
                        found.repeated.push(at.clone());
                    }
                    found.order.push(at.clone());
                    map.next_value_seed(Scan {
                        path: at,
                        found: &mut *found,
                    })?;
                }
                Ok(())
            }
        }
        let mut scanned = Self::default();
        let mut json = serde_json::Deserializer::from_slice(body);
        let scan = Scan {
            path: String::new(),
            found: &mut scanned,
        };
        match serde::de::DeserializeSeed::deserialize(scan, &mut json) {
            Ok(()) => scanned,
            Err(_) => Self::default(),
        }
    }

    /// Where the decoder first meets a path (after everything, if it never does).
    pub(super) fn position(&self, path: &str) -> usize {
        self.order
            .iter()
            .position(|p| p == path)
            .unwrap_or(usize::MAX)
    }

    /// The repeated fields the strict decoder reports as `duplicate field` (sigs.k8s.io/json
    /// `DisallowDuplicateFields`): those not under an unknown field, which it skips.
    pub(super) fn duplicates(&self, unknown: &[String]) -> Vec<String> {
        let under = |path: &str, field: &str| {
            path == field
                || path
                    .strip_prefix(field)
                    .is_some_and(|rest| rest.starts_with(['.', '[']))
        };
        (self.repeated.iter())
            .filter(|path| !unknown.iter().any(|field| under(path, field)))
            .cloned()
            .collect()
    }
}
