//! The Go types kube-apiserver decodes each served built-in kind into: every field's JSON name
//! and Go type, as declared in k8s.io/api (`core/v1/types.go`, `coordination/v1/types.go`) and
//! k8s.io/apimachinery (`pkg/apis/meta/v1/types.go`). Field names and JSON types are checked
//! against the k8s-openapi structs below (the tests), so the table cannot drift from them; the
//! Go type names are what `encoding/json` prints in its errors (`reflect.Type.String()`).

/// A Go field type, as `encoding/json` (sigs.k8s.io/json's fork) decodes it.
#[derive(Debug)]
pub(crate) enum Ty {
    /// A string type, by its Go name (`string`, `v1.SecretType`, `types.UID`).
    Str(&'static str),
    /// An integer (or pointer to one), by its Go name (`int32`, `int64`).
    Int(&'static str),
    /// `bool` or `*bool`.
    Bool,
    /// `[]byte`: a base64 string.
    Bytes,
    /// `metav1.Time` or `metav1.MicroTime` (pointer or not): an RFC 3339 string decoded by its
    /// own `UnmarshalJSON`; the layout `time.Parse` is given.
    Time(&'static str),
    /// `metav1.FieldsV1`: any JSON, kept as it is.
    Raw,
    /// `intstr.IntOrString`: a number or a string (`IntOrString.UnmarshalJSON`).
    IntOrString,
    /// `resource.Quantity`: a string or a number, parsed by `Quantity.UnmarshalJSON`.
    Quantity,
    /// `map[string]T`.
    Map(&'static Ty),
    /// `[]T`.
    List(&'static Ty),
    /// A struct (or pointer to one).
    Struct(&'static GoStruct),
}

/// A Go struct: its name and its fields by JSON name.
#[derive(Debug)]
pub(crate) struct GoStruct {
    /// The type's name (`reflect.Type.Name()`), e.g. `ObjectMeta`.
    pub(crate) name: &'static str,
    /// `(JSON name, type)` of every field, embedded `TypeMeta`'s included for kinds.
    pub(crate) fields: &'static [(&'static str, Ty)],
}

impl GoStruct {
    /// The type of a field, by its JSON name (case-sensitive, as kube-apiserver decodes).
    pub(crate) fn field(&self, name: &str) -> Option<&'static Ty> {
        self.fields.iter().find(|(n, _)| *n == name).map(|(_, t)| t)
    }
}

impl Ty {
    /// The Go type's name as `reflect.Type.String()` prints it (pointers dereferenced, as
    /// `encoding/json` reports the value it was storing into). Every struct here lives in a
    /// package named `v1`.
    pub(crate) fn go_name(&self) -> String {
        match self {
            Self::Str(name) | Self::Int(name) => (*name).to_owned(),
            Self::Bool => "bool".to_owned(),
            Self::Bytes => "[]uint8".to_owned(),
            Self::Time(layout) if *layout == RFC3339 => "v1.Time".to_owned(),
            Self::Time(_) => "v1.MicroTime".to_owned(),
            Self::Raw => "v1.FieldsV1".to_owned(),
            Self::IntOrString => "intstr.IntOrString".to_owned(),
            Self::Quantity => "resource.Quantity".to_owned(),
            Self::Map(value) => format!("map[string]{}", value.go_name()),
            Self::List(item) => format!("[]{}", item.go_name()),
            Self::Struct(s) => format!("v1.{}", s.name),
        }
    }
}

/// `time.RFC3339`, the layout `metav1.Time` parses.
pub(crate) const RFC3339: &str = "2006-01-02T15:04:05Z07:00";
/// `metav1.RFC3339Micro`, the layout `metav1.MicroTime` parses.
pub(crate) const RFC3339_MICRO: &str = "2006-01-02T15:04:05.000000Z07:00";

const STRING: Ty = Ty::Str("string");
const UID: Ty = Ty::Str("types.UID");
const TIME: Ty = Ty::Time(RFC3339);
const MICRO_TIME: Ty = Ty::Time(RFC3339_MICRO);
const API_VERSION: (&str, Ty) = ("apiVersion", STRING);
const KIND: (&str, Ty) = ("kind", STRING);

static OWNER_REFERENCE: GoStruct = GoStruct {
    name: "OwnerReference",
    fields: &[
        ("apiVersion", STRING),
        ("kind", STRING),
        ("name", STRING),
        ("uid", UID),
        ("controller", Ty::Bool),
        ("blockOwnerDeletion", Ty::Bool),
    ],
};

static MANAGED_FIELDS_ENTRY: GoStruct = GoStruct {
    name: "ManagedFieldsEntry",
    fields: &[
        ("manager", STRING),
        ("operation", Ty::Str("v1.ManagedFieldsOperationType")),
        ("apiVersion", STRING),
        ("time", TIME),
        ("fieldsType", STRING),
        ("fieldsV1", Ty::Raw),
        ("subresource", STRING),
    ],
};

static OBJECT_META: GoStruct = GoStruct {
    name: "ObjectMeta",
    fields: &[
        ("name", STRING),
        ("generateName", STRING),
        ("namespace", STRING),
        ("selfLink", STRING),
        ("uid", UID),
        ("resourceVersion", STRING),
        ("generation", Ty::Int("int64")),
        ("creationTimestamp", TIME),
        ("deletionTimestamp", TIME),
        ("deletionGracePeriodSeconds", Ty::Int("int64")),
        ("labels", Ty::Map(&STRING)),
        ("annotations", Ty::Map(&STRING)),
        ("ownerReferences", Ty::List(&Ty::Struct(&OWNER_REFERENCE))),
        ("finalizers", Ty::List(&STRING)),
        (
            "managedFields",
            Ty::List(&Ty::Struct(&MANAGED_FIELDS_ENTRY)),
        ),
    ],
};

const METADATA: (&str, Ty) = ("metadata", Ty::Struct(&OBJECT_META));

static SECRET: GoStruct = GoStruct {
    name: "Secret",
    fields: &[
        API_VERSION,
        KIND,
        METADATA,
        ("immutable", Ty::Bool),
        ("data", Ty::Map(&Ty::Bytes)),
        ("stringData", Ty::Map(&STRING)),
        ("type", Ty::Str("v1.SecretType")),
    ],
};

static CONFIG_MAP: GoStruct = GoStruct {
    name: "ConfigMap",
    fields: &[
        API_VERSION,
        KIND,
        METADATA,
        ("immutable", Ty::Bool),
        ("data", Ty::Map(&STRING)),
        ("binaryData", Ty::Map(&Ty::Bytes)),
    ],
};

static NAMESPACE_SPEC: GoStruct = GoStruct {
    name: "NamespaceSpec",
    fields: &[("finalizers", Ty::List(&Ty::Str("v1.FinalizerName")))],
};

static NAMESPACE_CONDITION: GoStruct = GoStruct {
    name: "NamespaceCondition",
    fields: &[
        ("type", Ty::Str("v1.NamespaceConditionType")),
        ("status", Ty::Str("v1.ConditionStatus")),
        ("lastTransitionTime", TIME),
        ("reason", STRING),
        ("message", STRING),
    ],
};

static NAMESPACE_STATUS: GoStruct = GoStruct {
    name: "NamespaceStatus",
    fields: &[
        ("phase", Ty::Str("v1.NamespacePhase")),
        ("conditions", Ty::List(&Ty::Struct(&NAMESPACE_CONDITION))),
    ],
};

static NAMESPACE: GoStruct = GoStruct {
    name: "Namespace",
    fields: &[
        API_VERSION,
        KIND,
        METADATA,
        ("spec", Ty::Struct(&NAMESPACE_SPEC)),
        ("status", Ty::Struct(&NAMESPACE_STATUS)),
    ],
};

static OBJECT_REFERENCE: GoStruct = GoStruct {
    name: "ObjectReference",
    fields: &[
        ("kind", STRING),
        ("namespace", STRING),
        ("name", STRING),
        ("uid", UID),
        ("apiVersion", STRING),
        ("resourceVersion", STRING),
        ("fieldPath", STRING),
    ],
};

static EVENT_SOURCE: GoStruct = GoStruct {
    name: "EventSource",
    fields: &[("component", STRING), ("host", STRING)],
};

static EVENT_SERIES: GoStruct = GoStruct {
    name: "EventSeries",
    fields: &[
        ("count", Ty::Int("int32")),
        ("lastObservedTime", MICRO_TIME),
    ],
};

static EVENT: GoStruct = GoStruct {
    name: "Event",
    fields: &[
        API_VERSION,
        KIND,
        METADATA,
        ("involvedObject", Ty::Struct(&OBJECT_REFERENCE)),
        ("reason", STRING),
        ("message", STRING),
        ("source", Ty::Struct(&EVENT_SOURCE)),
        ("firstTimestamp", TIME),
        ("lastTimestamp", TIME),
        ("count", Ty::Int("int32")),
        ("type", STRING),
        ("eventTime", MICRO_TIME),
        ("series", Ty::Struct(&EVENT_SERIES)),
        ("action", STRING),
        ("related", Ty::Struct(&OBJECT_REFERENCE)),
        ("reportingComponent", STRING),
        ("reportingInstance", STRING),
    ],
};

static LEASE_SPEC: GoStruct = GoStruct {
    name: "LeaseSpec",
    fields: &[
        ("holderIdentity", STRING),
        ("leaseDurationSeconds", Ty::Int("int32")),
        ("acquireTime", MICRO_TIME),
        ("renewTime", MICRO_TIME),
        ("leaseTransitions", Ty::Int("int32")),
        ("strategy", Ty::Str("v1.CoordinatedLeaseStrategy")),
        ("preferredHolder", STRING),
    ],
};

static LEASE: GoStruct = GoStruct {
    name: "Lease",
    fields: &[
        API_VERSION,
        KIND,
        METADATA,
        ("spec", Ty::Struct(&LEASE_SPEC)),
    ],
};

/// The Go struct a built-in kind decodes into, by group and kind (`None` for custom resources
/// and the kinds traced from k8s-openapi instead, `traced.rs`).
pub(crate) fn kind(group: &str, kind: &str) -> Option<&'static GoStruct> {
    match (group, kind) {
        ("", "Secret") => Some(&SECRET),
        ("", "ConfigMap") => Some(&CONFIG_MAP),
        ("", "Namespace") => Some(&NAMESPACE),
        ("", "Event") => Some(&EVENT),
        ("coordination.k8s.io", "Lease") => Some(&LEASE),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::coordination::v1 as coordination;
    use k8s_openapi::api::core::v1 as core;
    use k8s_openapi::apimachinery::pkg::apis::meta::v1 as meta;
    use serde::de::DeserializeOwned;
    use serde_json::{Value, json};

    /// The field list a k8s-openapi type hands `deserialize_struct` (its JSON field names).
    fn openapi_fields<T: DeserializeOwned>() -> Vec<&'static str> {
        #[derive(Debug)]
        struct Fields(Vec<&'static str>);
        impl std::fmt::Display for Fields {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                write!(f, "{:?}", self.0)
            }
        }
        impl std::error::Error for Fields {}
        impl serde::de::Error for Fields {
            fn custom<M: std::fmt::Display>(_: M) -> Self {
                Self(Vec::new())
            }
        }
        struct Probe;
        impl<'de> serde::Deserializer<'de> for Probe {
            type Error = Fields;
            fn deserialize_any<V: serde::de::Visitor<'de>>(self, _: V) -> Result<V::Value, Fields> {
                Err(Fields(Vec::new()))
            }
            fn deserialize_struct<V: serde::de::Visitor<'de>>(
                self,
                _: &'static str,
                fields: &'static [&'static str],
                _: V,
            ) -> Result<V::Value, Fields> {
                Err(Fields(fields.to_vec()))
            }
            serde::forward_to_deserialize_any! {
                bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
                byte_buf option unit unit_struct newtype_struct seq tuple tuple_struct map enum
                identifier ignored_any
            }
        }
        match T::deserialize(Probe) {
            Err(Fields(fields)) => fields,
            Ok(_) => unreachable!("the probe never yields a value"),
        }
    }

    /// An object with every field of `s` set to a sample of its type.
    fn sample(ty: &Ty) -> Value {
        match ty {
            Ty::Str(_) => json!("x"),
            Ty::Int(_) => json!(7),
            Ty::Bool => json!(true),
            Ty::Bytes => json!("eA=="),
            Ty::Time(layout) if *layout == RFC3339 => json!("2024-01-02T03:04:05Z"),
            Ty::Time(_) => json!("2024-01-02T03:04:05.000006Z"),
            Ty::Raw => json!({"f:data": {}}),
            Ty::IntOrString => json!(8080),
            Ty::Quantity => json!("1Gi"),
            Ty::Map(value) => json!({"k": sample(value)}),
            Ty::List(item) => json!([sample(item)]),
            Ty::Struct(s) => Value::Object(
                s.fields
                    .iter()
                    .map(|(name, t)| ((*name).to_owned(), sample(t)))
                    .collect(),
            ),
        }
    }

    /// The table's struct has exactly the k8s-openapi type's fields, each of a JSON type that
    /// type reads and writes back unchanged.
    fn agrees<T: DeserializeOwned + serde::Serialize>(s: &'static GoStruct, type_meta: Value) {
        let mut ours: Vec<&str> = s.fields.iter().map(|(n, _)| *n).collect();
        let mut theirs = openapi_fields::<T>();
        ours.sort_unstable();
        theirs.sort_unstable();
        assert_eq!(ours, theirs, "the fields of {}", s.name);
        let mut object = sample(&Ty::Struct(s));
        if let (Some(object), Some(type_meta)) = (object.as_object_mut(), type_meta.as_object()) {
            object.extend(type_meta.clone());
        }
        let typed: T = serde_json::from_value(object.clone())
            .unwrap_or_else(|e| panic!("{} does not read its sample: {e}", s.name));
        assert_eq!(
            serde_json::to_value(&typed).unwrap(),
            object,
            "{} round trip",
            s.name
        );
    }

    #[test]
    fn every_struct_has_the_fields_and_json_types_of_k8s_openapi() {
        let none = Value::Null;
        agrees::<core::Secret>(&SECRET, json!({"apiVersion": "v1", "kind": "Secret"}));
        agrees::<core::ConfigMap>(
            &CONFIG_MAP,
            json!({"apiVersion": "v1", "kind": "ConfigMap"}),
        );
        agrees::<core::Namespace>(&NAMESPACE, json!({"apiVersion": "v1", "kind": "Namespace"}));
        agrees::<core::Event>(&EVENT, json!({"apiVersion": "v1", "kind": "Event"}));
        agrees::<coordination::Lease>(
            &LEASE,
            json!({"apiVersion": "coordination.k8s.io/v1", "kind": "Lease"}),
        );
        agrees::<meta::ObjectMeta>(&OBJECT_META, none.clone());
        agrees::<meta::OwnerReference>(&OWNER_REFERENCE, none.clone());
        agrees::<meta::ManagedFieldsEntry>(&MANAGED_FIELDS_ENTRY, none.clone());
        agrees::<core::NamespaceSpec>(&NAMESPACE_SPEC, none.clone());
        agrees::<core::NamespaceStatus>(&NAMESPACE_STATUS, none.clone());
        agrees::<core::NamespaceCondition>(&NAMESPACE_CONDITION, none.clone());
        agrees::<core::ObjectReference>(&OBJECT_REFERENCE, none.clone());
        agrees::<core::EventSource>(&EVENT_SOURCE, none.clone());
        agrees::<core::EventSeries>(&EVENT_SERIES, none.clone());
        agrees::<coordination::LeaseSpec>(&LEASE_SPEC, none);
    }

    #[test]
    fn go_names_are_what_encoding_json_prints() {
        assert_eq!(
            SECRET.field("data").unwrap().go_name(),
            "map[string][]uint8"
        );
        assert_eq!(
            OBJECT_META.field("ownerReferences").unwrap().go_name(),
            "[]v1.OwnerReference"
        );
        assert_eq!(EVENT.field("series").unwrap().go_name(), "v1.EventSeries");
    }
}
