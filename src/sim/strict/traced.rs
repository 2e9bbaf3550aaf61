//! The Go structs of the workload kinds (apps/v1 Deployment, StatefulSet, DaemonSet; batch/v1
//! Job, CronJob; core/v1 Pod), read off the k8s-openapi types rather than written out by hand
//! as `go_types.rs` does for the small kinds: a pod template alone is some ninety structs.
//!
//! The types' `Deserialize` impls are driven by a deserializer that offers every field of every
//! struct (the field list each impl hands `deserialize_struct`) and notes what each field's
//! impl asks for: a string, an `i32` (`int32`), an `i64` (`int64`), a bool, a sequence, a map, a
//! nested struct, or one of the newtypes whose JSON form is special (`Time`, `MicroTime`,
//! `Quantity`, `IntOrString`, `ByteString`, told apart by their names and `expecting` text).
//! A kind embedded in another (a StatefulSet's `volumeClaimTemplates` are PersistentVolumeClaims)
//! checks its `apiVersion` and `kind`: the value it refuses names the one it wants, which the
//! next attempt offers.
//! The result is the table `go_types.rs` would hold, with two losses: named string types print
//! as `string` (Go says `v1.Protocol`), and struct names are the k8s-openapi names, which are
//! Go's. Tracing runs once, at the first write of such a kind.

use std::collections::HashMap;
use std::sync::LazyLock;

use serde::de::{
    self, DeserializeSeed, Deserializer, IntoDeserializer, MapAccess, SeqAccess, Visitor,
};

use super::go_types::{GoStruct, RFC3339, Ty};

/// Why tracing stopped (a type that would not take the values offered), and the value it
/// wanted instead when it said (`invalid_value`).
#[derive(Debug)]
struct Trace {
    message: String,
    wanted: Option<String>,
}

impl std::fmt::Display for Trace {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Trace {}

impl de::Error for Trace {
    fn custom<T: std::fmt::Display>(msg: T) -> Self {
        Self {
            message: msg.to_string(),
            wanted: None,
        }
    }

    fn invalid_value(unexpected: de::Unexpected<'_>, expected: &dyn de::Expected) -> Self {
        Self {
            message: format!("invalid value: {unexpected}, expected {expected}"),
            wanted: Some(expected.to_string()),
        }
    }
}

/// What tracing has learnt: every struct traced so far, by name (a struct met twice is the
/// same `&'static`), and the `apiVersion` and `kind` each embedded kind wants, by struct.
#[derive(Default)]
struct Seen {
    structs: HashMap<&'static str, &'static GoStruct>,
    fixed: HashMap<(&'static str, &'static str), String>,
    /// The fixed value last refused, to learn from the error.
    asked: Option<(&'static str, &'static str)>,
}

fn leak(ty: Ty) -> &'static Ty {
    Box::leak(Box::new(ty))
}

/// What a visitor says it expects (`a base64-encoded string` for `ByteString`).
fn expecting<'de, V: Visitor<'de>>(visitor: &V) -> String {
    format!("{}", visitor as &dyn de::Expected)
}

/// Drives one value's `Deserialize` impl and notes its Go type in `found`.
struct Tracer<'a> {
    seen: &'a mut Seen,
    found: &'a mut Option<Ty>,
}

impl<'de> Deserializer<'de> for Tracer<'_> {
    type Error = Trace;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Trace> {
        if expecting(&visitor) == "IntOrString" {
            *self.found = Some(Ty::IntOrString);
            return visitor.visit_i32(7);
        }
        *self.found = Some(Ty::Raw);
        visitor.visit_map(de::value::MapDeserializer::new(std::iter::empty::<(
            String,
            String,
        )>()))
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Trace> {
        *self.found = Some(Ty::Bool);
        visitor.visit_bool(true)
    }

    fn deserialize_i32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Trace> {
        *self.found = Some(Ty::Int("int32"));
        visitor.visit_i32(7)
    }

    fn deserialize_i64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Trace> {
        *self.found = Some(Ty::Int("int64"));
        visitor.visit_i64(7)
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Trace> {
        if expecting(&visitor).contains("base64") {
            *self.found = Some(Ty::Bytes);
            return visitor.visit_str("eA==");
        }
        *self.found = Some(Ty::Str("string"));
        visitor.visit_str("x")
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Trace> {
        self.deserialize_str(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Trace> {
        visitor.visit_some(self)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Trace> {
        let (ty, sample) = match name {
            "Time" => (Ty::Time(RFC3339), "2024-01-02T03:04:05Z"),
            "MicroTime" => (
                Ty::Time(super::go_types::RFC3339_MICRO),
                "2024-01-02T03:04:05.000006Z",
            ),
            "Quantity" => (Ty::Quantity, "1"),
            _ => return visitor.visit_newtype_struct(self),
        };
        *self.found = Some(ty);
        visitor.visit_newtype_struct(IntoDeserializer::<Trace>::into_deserializer(sample))
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Trace> {
        let mut item = None;
        let value = visitor.visit_seq(One {
            seen: self.seen,
            item: &mut item,
            done: false,
            key: false,
        })?;
        *self.found = Some(Ty::List(leak(item.unwrap_or(Ty::Raw))));
        Ok(value)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Trace> {
        let mut item = None;
        let value = visitor.visit_map(One {
            seen: self.seen,
            item: &mut item,
            done: false,
            key: false,
        })?;
        *self.found = Some(Ty::Map(leak(item.unwrap_or(Ty::Raw))));
        Ok(value)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Trace> {
        let mut traced = Vec::new();
        let value = visitor.visit_map(Fields {
            seen: self.seen,
            name,
            fields,
            at: 0,
            traced: &mut traced,
        })?;
        let s = *self.seen.structs.entry(name).or_insert_with(|| {
            Box::leak(Box::new(GoStruct {
                name,
                fields: traced.leak(),
            }))
        });
        *self.found = Some(Ty::Struct(s));
        Ok(value)
    }

    serde::forward_to_deserialize_any! {
        i8 i16 u8 u16 u32 u64 i128 u128 f32 f64 char bytes byte_buf unit unit_struct
        tuple tuple_struct enum identifier ignored_any
    }
}

/// A sequence of one element, or a map of one entry (`"k"`), whose value is traced.
struct One<'a> {
    seen: &'a mut Seen,
    item: &'a mut Option<Ty>,
    done: bool,
    /// For a map: whether the key was given and the value is next.
    key: bool,
}

impl<'de> SeqAccess<'de> for One<'_> {
    type Error = Trace;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, Trace> {
        if std::mem::replace(&mut self.done, true) {
            return Ok(None);
        }
        let tracer = Tracer {
            seen: self.seen,
            found: self.item,
        };
        seed.deserialize(tracer).map(Some)
    }
}

impl<'de> MapAccess<'de> for One<'_> {
    type Error = Trace;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Trace> {
        if self.done {
            return Ok(None);
        }
        self.key = true;
        seed.deserialize(IntoDeserializer::<Trace>::into_deserializer("k"))
            .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Trace> {
        self.done = true;
        let tracer = Tracer {
            seen: self.seen,
            found: self.item,
        };
        seed.deserialize(tracer)
    }
}

/// A string offered as it is, optional or not (`apiVersion` is an `Option<String>` in some
/// structs, a checked `String` in kinds).
struct Fixed(String);

impl<'de> Deserializer<'de> for Fixed {
    type Error = Trace;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Trace> {
        visitor.visit_string(self.0)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Trace> {
        visitor.visit_some(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        unit unit_struct newtype_struct seq tuple tuple_struct map struct enum identifier
        ignored_any
    }
}

/// A struct's fields, each offered once, each value traced.
struct Fields<'a> {
    seen: &'a mut Seen,
    name: &'static str,
    fields: &'static [&'static str],
    at: usize,
    traced: &'a mut Vec<(&'static str, Ty)>,
}

impl<'de> MapAccess<'de> for Fields<'_> {
    type Error = Trace;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, Trace> {
        let Some(field) = self.fields.get(self.at) else {
            return Ok(None);
        };
        seed.deserialize(IntoDeserializer::<Trace>::into_deserializer(*field))
            .map(Some)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Trace> {
        let field = self.fields[self.at];
        self.at += 1;
        if matches!(field, "apiVersion" | "kind") {
            self.traced.push((field, Ty::Str("string")));
            let text = (self.seen.fixed.get(&(self.name, field)).cloned())
                .unwrap_or_else(|| "x".to_owned());
            // k8s-openapi compares it once read, before the next field: a refusal of it comes
            // while it is the last one offered.
            self.seen.asked = Some((self.name, field));
            return seed.deserialize(Fixed(text));
        }
        self.seen.asked = None;
        let mut found = None;
        let value = seed.deserialize(Tracer {
            seen: self.seen,
            found: &mut found,
        })?;
        self.traced.push((field, found.unwrap_or(Ty::Raw)));
        Ok(value)
    }
}

/// The Go struct of a k8s-openapi kind, traced.
fn trace<K>(seen: &mut Seen) -> Result<&'static GoStruct, String>
where
    K: serde::de::DeserializeOwned,
{
    // One more attempt per embedded kind's `apiVersion` and `kind` learnt.
    for _ in 0..16 {
        let mut found = None;
        match K::deserialize(Tracer {
            seen: &mut *seen,
            found: &mut found,
        }) {
            Ok(_) => {
                return match found {
                    Some(Ty::Struct(s)) => Ok(s),
                    _ => Err("not a struct".to_owned()),
                };
            }
            Err(Trace {
                wanted: Some(wanted),
                ..
            }) if seen.asked.is_some() => {
                if let Some(asked) = seen.asked.take() {
                    seen.fixed.insert(asked, wanted);
                }
            }
            Err(error) => return Err(error.to_string()),
        }
    }
    Err("too many embedded kinds".to_owned())
}

/// The traced kinds, by (group, kind).
static KINDS: LazyLock<HashMap<(&'static str, &'static str), &'static GoStruct>> =
    LazyLock::new(|| {
        use k8s_openapi::api::{apps::v1 as apps, batch::v1 as batch, core::v1 as core};
        let mut seen = Seen::default();
        let traced = [
            ("apps", "Deployment", trace::<apps::Deployment>(&mut seen)),
            ("apps", "StatefulSet", trace::<apps::StatefulSet>(&mut seen)),
            ("apps", "DaemonSet", trace::<apps::DaemonSet>(&mut seen)),
            ("batch", "Job", trace::<batch::Job>(&mut seen)),
            ("batch", "CronJob", trace::<batch::CronJob>(&mut seen)),
            ("", "Pod", trace::<core::Pod>(&mut seen)),
        ];
        let mut kinds = HashMap::new();
        for (group, kind, s) in traced {
            match s {
                Ok(s) => {
                    kinds.insert((group, kind), s);
                }
                // The k8s-openapi impls take what is offered; a failure is a bug here, and the
                // kind is then decoded without strictness rather than not at all.
                Err(error) => tracing::error!(%error, kind, "cannot trace a workload kind"),
            }
        }
        kinds
    });

/// The Go struct of a workload kind, traced from k8s-openapi (`None` for any other kind).
pub(crate) fn kind(group: &str, kind: &str) -> Option<&'static GoStruct> {
    KINDS.get(&(group, kind)).copied()
}

/// Every struct reachable from the workload kinds, for the OpenAPI documents (`openapi.rs`).
pub(crate) fn structs() -> Vec<&'static GoStruct> {
    fn walk(ty: &'static Ty, out: &mut Vec<&'static GoStruct>) {
        match ty {
            Ty::Map(item) | Ty::List(item) => walk(item, out),
            Ty::Struct(s) if !out.iter().any(|o| std::ptr::eq(*o, *s)) => {
                out.push(s);
                s.fields.iter().for_each(|(_, t)| walk(t, out));
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    let mut kinds: Vec<_> = KINDS.iter().collect();
    kinds.sort_by_key(|(key, _)| **key);
    for (_, s) in kinds {
        walk(leak(Ty::Struct(s)), &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_deployment_is_traced_down_to_its_containers() {
        let deployment = kind("apps", "Deployment").expect("traced");
        assert_eq!(deployment.name, "Deployment");
        let Some(Ty::Struct(spec)) = deployment.field("spec") else {
            panic!("spec is a struct");
        };
        assert!(matches!(spec.field("replicas"), Some(Ty::Int("int32"))));
        let Some(Ty::Struct(template)) = spec.field("template") else {
            panic!("template is a struct");
        };
        let Some(Ty::Struct(pod)) = template.field("spec") else {
            panic!("the template's spec is a struct");
        };
        assert_eq!(pod.name, "PodSpec");
        let Some(Ty::List(Ty::Struct(container))) = pod.field("containers") else {
            panic!("containers is a list of structs");
        };
        assert!(matches!(container.field("image"), Some(Ty::Str(_))));
        let Some(Ty::Struct(resources)) = container.field("resources") else {
            panic!("resources is a struct");
        };
        assert!(matches!(
            resources.field("limits"),
            Some(Ty::Map(Ty::Quantity))
        ));
        let Some(Ty::List(Ty::Struct(port))) = container.field("ports") else {
            panic!("ports is a list");
        };
        assert!(matches!(
            port.field("containerPort"),
            Some(Ty::Int("int32"))
        ));
        let Some(Ty::Struct(meta)) = deployment.field("metadata") else {
            panic!("metadata is a struct");
        };
        assert!(matches!(meta.field("creationTimestamp"), Some(Ty::Time(_))));
    }

    #[test]
    fn every_served_built_in_kind_is_modelled() {
        for t in crate::sim::resources::TYPES.iter().filter(|t| !t.custom) {
            assert!(
                super::super::go_types::kind(t.group, t.kind).is_some()
                    || kind(t.group, t.kind).is_some(),
                "{} has no Go struct: add it to src/sim/strict/go_types.rs, or trace it here",
                t.kind
            );
        }
    }

    #[test]
    fn every_workload_kind_is_traced() {
        for (group, k) in [
            ("apps", "Deployment"),
            ("apps", "StatefulSet"),
            ("apps", "DaemonSet"),
            ("batch", "Job"),
            ("batch", "CronJob"),
            ("", "Pod"),
        ] {
            assert_eq!(kind(group, k).map(|s| s.name), Some(k));
        }
        let names: Vec<&str> = structs().iter().map(|s| s.name).collect();
        for wanted in [
            "Probe",
            "SecretKeySelector",
            "ProjectedVolumeSource",
            "JobTemplateSpec",
        ] {
            assert!(names.contains(&wanted), "{wanted} in {names:?}");
        }
    }
}
