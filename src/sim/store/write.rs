//! Create, update and patch, as the API server's registry does them: defaults, validation,
//! managed fields, conflicts and the write itself.

use serde_json::{Value, json};

use crate::sim::kinds;
use crate::sim::managed::{self, Entry, FieldSet, Part};
use crate::sim::resources::{TYPES, TypeId};
use crate::sim::status::ApiError;
use crate::sim::time::{now_rfc3339, random_suffix};

use super::*;

impl Store {
    /// Creates an object (`generateName` honoured). Returns it as stored.
    pub fn create(
        &self,
        type_id: TypeId,
        namespace: &str,
        object: Value,
        ctx: &WriteContext,
    ) -> Result<Value, ApiError> {
        self.create_with(type_id, namespace, object, ctx, None)
    }

    pub(super) fn create_with(
        &self,
        type_id: TypeId,
        namespace: &str,
        mut object: Value,
        ctx: &WriteContext,
        applied: Option<FieldSet>,
    ) -> Result<Value, ApiError> {
        let t = &TYPES[type_id];
        check_kind(type_id, &mut object)?;
        if t.namespaced {
            match meta_str(&object, "namespace") {
                Some(ns) if !ns.is_empty() && ns != namespace => {
                    return Err(ApiError::bad_request(
                        "the namespace of the provided object does not match the namespace sent on the request",
                    ));
                }
                _ => object["metadata"]["namespace"] = json!(namespace),
            }
        } else if let Some(m) = object["metadata"].as_object_mut() {
            m.remove("namespace");
        }
        let mut state = self.lock();
        let name = match meta_str(&object, "name").filter(|n| !n.is_empty()) {
            Some(name) => name.to_owned(),
            None => match meta_str(&object, "generateName").filter(|n| !n.is_empty()) {
                Some(prefix) => {
                    let mut name;
                    loop {
                        name = format!("{prefix}{}", random_suffix());
                        if !state
                            .objects
                            .contains_key(&Key::new(type_id, namespace, &name))
                        {
                            break;
                        }
                    }
                    name
                }
                None => String::new(),
            },
        };
        object["metadata"]["name"] = json!(name);
        let key = Key::new(type_id, if t.namespaced { namespace } else { "" }, &name);
        let name_errors = kinds::validate_name(t, &name);
        if !name_errors.is_empty() {
            return Err(invalid(&key, &name_errors));
        }
        if t.namespaced {
            let ns_type = TYPES.iter().position(|t| t.kind == "Namespace");
            let ns = ns_type.and_then(|n| state.objects.get(&Key::new(n, "", namespace)));
            match ns {
                None => {
                    return Err(ApiError::not_found(
                        &TYPES[ns_type.unwrap_or_default()],
                        namespace,
                    ));
                }
                Some(ns) if ns.pointer("/metadata/deletionTimestamp").is_some() => {
                    return Err(ApiError::namespace_terminating(t, &name, namespace));
                }
                Some(_) => {}
            }
        }
        if state.objects.contains_key(&key) {
            return Err(ApiError::already_exists(t, &name));
        }
        if t.status_subresource
            && t.custom
            && let Some(o) = object.as_object_mut()
        {
            o.remove("status");
        }
        check_strict(type_id, &object, ctx)?;
        if ctx.v1beta1 {
            crate::sim::v1beta1_pruning::prune_v1beta1(t, &mut object);
        }
        // The uid is the server's before the strategy sees the object (a Job's generated
        // selector names it): `FillObjectMetaSystemFields` runs before `BeforeCreate`.
        let uid = uuid::Uuid::new_v4().to_string();
        object["metadata"]["uid"] = json!(uid);
        let errors = kinds::admit(t, &mut object, None);
        if !errors.is_empty() {
            return Err(invalid(&key, &errors));
        }
        let metadata = object["metadata"]
            .as_object_mut()
            .ok_or_else(|| ApiError::bad_request("metadata must be an object"))?;
        for field in [
            "resourceVersion",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "managedFields",
            "selfLink",
        ] {
            metadata.remove(field);
        }
        metadata.insert("uid".into(), json!(uid));
        metadata.insert("creationTimestamp".into(), json!(now_rfc3339()));
        if t.has_generation {
            metadata.insert("generation".into(), json!(1));
        } else {
            metadata.remove("generation");
        }
        let part = part_for(type_id, false);
        let (operation, fields) = match applied {
            Some(fields) => ("Apply", fields),
            None => ("Update", managed::fields_of(&object, part)),
        };
        let entry = Entry {
            manager: ctx.manager.clone(),
            operation: operation.to_owned(),
            subresource: String::new(),
            time: now_rfc3339(),
            api_version: t.api_version(),
            fields,
        };
        managed::write(&mut object, &[entry]);
        if ctx.dry_run {
            return Ok(object);
        }
        let stored = state.store(key, object, None);
        drop(state);
        self.touched();
        Ok(stored)
    }

    /// Replaces an object (PUT), on the main resource or its status subresource.
    pub fn update(
        &self,
        key: &Key,
        mut object: Value,
        status: bool,
        ctx: &WriteContext,
    ) -> Result<Value, ApiError> {
        let t = &TYPES[key.type_id];
        check_kind(key.type_id, &mut object)?;
        let mut state = self.lock();
        let old = state
            .objects
            .get(key)
            .cloned()
            .ok_or_else(|| ApiError::not_found(t, &key.name))?;
        match meta_str(&object, "resourceVersion").filter(|r| !r.is_empty()) {
            Some(rv) if Some(rv) != meta_str(&old, "resourceVersion") => {
                parse_rv(rv)?;
                return Err(ApiError::conflict(t, &key.name));
            }
            Some(_) => {}
            None if !t.unconditional_update => {
                return Err(invalid(
                    key,
                    &[crate::sim::schema::FieldError {
                        field: "metadata.resourceVersion".into(),
                        reason: "FieldValueInvalid",
                        message: "Invalid value: 0x0: must be specified for an update".into(),
                    }],
                ));
            }
            None => {}
        }
        let part = part_for(key.type_id, status);
        let result = self.finish_write(&mut state, key, old, object, part, ctx, None)?;
        drop(state);
        self.touched();
        Ok(result)
    }

    /// Patches an object (or creates it, for server-side apply).
    pub fn patch(
        &self,
        key: &Key,
        patch: Patch,
        status: bool,
        ctx: &WriteContext,
    ) -> Result<Value, ApiError> {
        let t = &TYPES[key.type_id];
        let part = part_for(key.type_id, status);
        let mut state = self.lock();
        let Some(old) = state.objects.get(key).cloned() else {
            if let Patch::Apply { mut config, .. } = patch
                && !status
            {
                check_kind(key.type_id, &mut config)?;
                let fields = managed::fields_of(&config, part);
                drop(state);
                return self.create_with(key.type_id, &key.namespace, config, ctx, Some(fields));
            }
            return Err(ApiError::not_found(t, &key.name));
        };
        let mut applied = None;
        let candidate = match patch {
            Patch::Merge(p) => {
                patching::check_document(key, patching::merge_patched(&old, p)?, false)?
            }
            Patch::Strategic(p) => {
                if t.custom {
                    return Err(ApiError::unsupported_patch(
                        "application/strategic-merge-patch+json",
                        true,
                    ));
                }
                let patched = patching::strategic_patched(t.kind, &old, p)?;
                patching::check_document(key, patched, true)?
            }
            Patch::Json(p) => {
                patching::check_document(key, patching::json_patched(&old, p)?, false)?
            }
            Patch::Apply { mut config, force } => {
                check_kind(key.type_id, &mut config)?;
                if meta_str(&config, "name").is_some_and(|n| n != key.name) {
                    return Err(ApiError::bad_request(
                        "the name of the object does not match the name on the URL",
                    ));
                }
                let (candidate, entries) = apply(key, &old, config, part, force, ctx)?;
                applied = Some(entries);
                candidate
            }
        };
        // Decoded into the kind's Go struct: wrong types, unknown fields (`sim::strict`).
        let candidate = match applied {
            None => crate::sim::strict::decode_patched(t, candidate, ctx)?,
            Some(_) => candidate,
        };
        if applied.is_none() {
            patching::check_name(key, &candidate)?;
        }
        if let Some(rv) = meta_str(&candidate, "resourceVersion")
            && Some(rv) != meta_str(&old, "resourceVersion")
        {
            return Err(ApiError::conflict(t, &key.name));
        }
        let result = self.finish_write(&mut state, key, old, candidate, part, ctx, applied)?;
        drop(state);
        self.touched();
        Ok(result)
    }

    /// The common end of every update: keep what the request may not change, admit, count
    /// generations, record field ownership, skip no-ops, finish deletions.
    #[expect(
        clippy::too_many_arguments,
        reason = "one internal step with its whole context"
    )]
    pub(super) fn finish_write(
        &self,
        state: &mut State,
        key: &Key,
        old: Value,
        mut new: Value,
        part: Part,
        ctx: &WriteContext,
        applied: Option<Vec<Entry>>,
    ) -> Result<Value, ApiError> {
        let t = &TYPES[key.type_id];
        if meta_str(&new, "name").is_some_and(|n| n != key.name) {
            return Err(ApiError::bad_request(
                "the name of the object does not match the name on the URL",
            ));
        }
        match part {
            Part::Status => {
                let status = new.get("status").cloned();
                new = old.clone();
                match status {
                    Some(s) => new["status"] = s,
                    None => {
                        if let Some(o) = new.as_object_mut() {
                            o.remove("status");
                        }
                    }
                }
            }
            Part::Main {
                status_separate: true,
            } => match old.get("status") {
                Some(s) => new["status"] = s.clone(),
                None => {
                    if let Some(o) = new.as_object_mut() {
                        o.remove("status");
                    }
                }
            },
            Part::Main { .. } => {}
        }
        if !new.get("metadata").is_some_and(Value::is_object) {
            new["metadata"] = json!({});
        }
        for field in [
            "name",
            "namespace",
            "uid",
            "creationTimestamp",
            "deletionTimestamp",
            "deletionGracePeriodSeconds",
            "generation",
            "managedFields",
            "resourceVersion",
        ] {
            match old["metadata"].get(field) {
                Some(v) => new["metadata"][field] = v.clone(),
                None => {
                    if let Some(m) = new["metadata"].as_object_mut() {
                        m.remove(field);
                    }
                }
            }
        }
        let deleting = old.pointer("/metadata/deletionTimestamp").is_some();
        if deleting {
            let before = finalizers(&old);
            if let Some(added) = finalizers(&new).iter().find(|f| !before.contains(f)) {
                return Err(ApiError::forbidden(
                    t,
                    &key.name,
                    &format!(
                        "no new finalizers can be added if the object is being deleted, found new finalizers [\"{added}\"]"
                    ),
                ));
            }
        }
        check_strict(key.type_id, &new, ctx)?;
        if ctx.v1beta1 {
            crate::sim::v1beta1_pruning::prune_v1beta1(t, &mut new);
        }
        let errors = kinds::admit(t, &mut new, Some(&old));
        if !errors.is_empty() {
            return Err(invalid(key, &errors));
        }
        if t.has_generation && spec_part(&new) != spec_part(&old) {
            let generation = old.pointer("/metadata/generation").and_then(Value::as_i64);
            new["metadata"]["generation"] = json!(generation.unwrap_or(0) + 1);
        }
        let mut entries = match applied {
            Some(entries) => entries,
            None => {
                let mut entries = managed::read(&old);
                let (changed, removed) = managed::changed_fields(&old, &new, part);
                for e in &mut entries {
                    e.fields.retain(|p| {
                        !changed.iter().any(|c| managed::overlaps(c, p)) && !removed.contains(p)
                    });
                }
                let sub = if part == Part::Status { "status" } else { "" };
                let api_version = t.api_version();
                let entry =
                    managed::entry_mut(&mut entries, &ctx.manager, "Update", sub, &api_version);
                entry.fields.extend(changed);
                entries
            }
        };
        let before = managed::read(&old);
        let now = now_rfc3339();
        for e in &mut entries {
            let unchanged = before.iter().any(|b| {
                b.manager == e.manager
                    && b.operation == e.operation
                    && b.subresource == e.subresource
                    && b.fields == e.fields
            });
            if !unchanged || e.time.is_empty() {
                e.time = now.clone();
            }
        }
        managed::write(&mut new, &entries);
        if comparable(&new) == comparable(&old) {
            return Ok(old);
        }
        if ctx.dry_run {
            return Ok(new);
        }
        if deleting && finalizers(&new).is_empty() && t.kind != "Namespace" {
            state.objects.insert(key.clone(), new);
            return Ok(state.remove(key, false).unwrap_or(old));
        }
        Ok(state.store(key.clone(), new, Some(old)))
    }
}
