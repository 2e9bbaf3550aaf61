"""The client conformance suite (issue 19): clients nobody here wrote, against the standalone
simulated cluster, each check asserting what kube-apiserver answers — status code, Status reason
and message, and the object as stored. Every case cites where kube-apiserver (or the client)
decides it; paths are in github.com/kubernetes/kubernetes unless named otherwise.

Run it alone with tests/clients/run.sh [binary] [-k SUBSTRING].
"""

import os
import sys
import time

from harness import (Answer, Fail, api_exception_answer, b64, brief, expect, expect_status, run,
                     value)

CHECKS = []


def check(name, per_kubectl=False):
    """Registers a check; with per_kubectl it runs once per kubectl (the machine's and the wheel's)."""

    def register(fn):
        CHECKS.append((name, fn, per_kubectl))
        return fn

    return register


def secret_path(ns, name=""):
    return f"/api/v1/namespaces/{ns}/secrets" + (f"/{name}" if name else "")


def expect_absent(ctx, ns, name, why):
    got = ctx.py.get(secret_path(ns, name))
    expect(got.status == 404, f"{why}; but the Secret {ns}/{name} was stored: {got}")


def wait_for(what, fn, timeout=10.0, every=0.1):
    """Polls fn until it returns something truthy; Fail with the last value otherwise."""
    deadline = time.time() + timeout
    last = None
    while time.time() < deadline:
        last = fn()
        if last:
            return last
        time.sleep(every)
    raise Fail(f"{what} within {timeout:.0f} s (last: {last})")


def kubectl_apply_file(ctx, k, name, text, *extra):
    return k.run("apply", "-f", ctx.file(name, text), *extra)


# =============================================================================================
# 1. A number in stringData.
#
# kube-apiserver decodes a create's body into the typed Secret (`create.go` createHandler:
# `decoder.Decode`), whose StringData is map[string]string; the JSON decoder
# (sigs.k8s.io/json, a fork of encoding/json) fails with UnmarshalTypeError, and
# `transformDecodeError` (staging/src/k8s.io/apiserver/pkg/endpoints/handlers/rest.go) answers
# 400 BadRequest "Secret in version \"v1\" cannot be handled as a Secret: json: cannot unmarshal
# number into Go struct field Secret.stringData of type string". Nothing is stored.

STRINGDATA_NUMBER = "cannot unmarshal number into Go struct field Secret.stringData of type string"


@check("1 stringData {port: 5432} through the Python client: 400 BadRequest naming Secret.stringData, nothing stored")
def stringdata_number_python(ctx):
    ns = "c1-python"
    ctx.py.ensure_namespace(ns)
    got = ctx.py.call("POST", secret_path(ns), {
        "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "db-port"},
        "stringData": {"port": 5432}})
    expect_status(got, 400, "BadRequest", STRINGDATA_NUMBER)
    expect('Secret in version "v1" cannot be handled as a Secret: ' in got.message,
           f"expected transformDecodeError's prefix, got {got}")
    expect_absent(ctx, ns, "db-port", "the create was refused")


@check("1 stringData {port: 5432} through kubectl apply: the BadRequest naming Secret.stringData, nothing stored",
       per_kubectl=True)
def stringdata_number_kubectl(ctx, k):
    ns = f"c1-{k.label}"
    ctx.py.ensure_namespace(ns)
    out = kubectl_apply_file(ctx, k, f"c1-{k.label}.yaml", f"""
apiVersion: v1
kind: Secret
metadata:
  name: db-port
  namespace: {ns}
stringData:
  port: 5432
""")
    expect(out.rc != 0 and STRINGDATA_NUMBER in out.text, f"expected the BadRequest, got {out}")
    expect_absent(ctx, ns, "db-port", "the apply was refused")


# =============================================================================================
# 2. Unknown fields and malformed data.
#
# kubectl's --validate defaults to strict and sends fieldValidation=Strict (kubectl
# pkg/cmd/util/helpers.go GetValidationDirective); a strict decoding error is then a 400 from
# `transformDecodeError`: "... strict decoding error: unknown field \"foo\"" (create.go). A client
# that sends no fieldValidation gets Warn (`fieldValidation` in handlers/rest.go: "" → Warn): 201,
# the field dropped, and the warning in a header written by NewWarningHeader
# (apimachinery pkg/util/net/http.go): `299 - "unknown field \"foo\""`.

UNKNOWN_FOO = 'unknown field "foo"'


def secret_with_foo(ns, name):
    return f"""
apiVersion: v1
kind: Secret
metadata:
  name: {name}
  namespace: {ns}
foo: bar
stringData:
  k: {value('unknown-field-value')}
"""


@check("2 unknown field through kubectl apply (Strict): refused naming unknown field \"foo\", nothing stored",
       per_kubectl=True)
def unknown_field_kubectl_apply(ctx, k):
    ns = f"c2-apply-{k.label}"
    ctx.py.ensure_namespace(ns)
    out = kubectl_apply_file(ctx, k, f"c2-apply-{k.label}.yaml", secret_with_foo(ns, "strict"))
    expect(out.rc != 0 and UNKNOWN_FOO in out.text, f"expected a refusal naming {UNKNOWN_FOO}, got {out}")
    expect_absent(ctx, ns, "strict", "the apply was refused")


@check("2 unknown field through kubectl create -f (Strict): refused naming unknown field \"foo\", nothing stored",
       per_kubectl=True)
def unknown_field_kubectl_create(ctx, k):
    ns = f"c2-create-{k.label}"
    ctx.py.ensure_namespace(ns)
    out = k.run("create", "-f", ctx.file(f"c2-create-{k.label}.yaml", secret_with_foo(ns, "strict")))
    expect(out.rc != 0 and UNKNOWN_FOO in out.text, f"expected a refusal naming {UNKNOWN_FOO}, got {out}")
    expect_absent(ctx, ns, "strict", "the create was refused")


@check("2 unknown field through the Python client (no fieldValidation = Warn): 201, field dropped, Warning header")
def unknown_field_python_warns(ctx):
    ns = "c2-python"
    ctx.py.ensure_namespace(ns)
    got = ctx.py.call("POST", secret_path(ns), {
        "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "warned"}, "foo": "bar",
        "stringData": {"k": value("warned-value")}})
    expect(got.status == 201, f"expected 201 Created, got {got}")
    warning = got.headers.get("warning")
    expect(warning == '299 - "unknown field \\"foo\\""',
           f"expected the header Warning: 299 - \"unknown field \\\"foo\\\"\", got {warning!r}")
    stored = ctx.py.get(secret_path(ns, "warned"))
    expect(stored.status == 200 and "foo" not in stored.json and
           stored.json.get("data", {}).get("k") == b64("warned-value"),
           f"expected the Secret stored without foo and with its key, got {stored}")


@check("2 data: [] through the Python client: 400 BadRequest, and list_namespaced_secret works after it")
def data_array_python(ctx):
    ns = "c2-array"
    ctx.py.ensure_namespace(ns)
    got = ctx.py.call("POST", secret_path(ns), {
        "apiVersion": "v1", "kind": "Secret", "metadata": {"name": "array-data"}, "data": []})
    # encoding/json's UnmarshalTypeError names the Go type: map[string][]byte prints as
    # map[string][]uint8.
    expect_status(got, 400, "BadRequest",
                  "cannot unmarshal array into Go struct field Secret.data of type map[string][]uint8")
    expect_absent(ctx, ns, "array-data", "the create was refused")
    listed = ctx.py.v1.list_namespaced_secret(ns)
    expect(all(s.metadata.name != "array-data" for s in listed.items),
           f"the refused Secret is listed: {[s.metadata.name for s in listed.items]}")


# =============================================================================================
# 3. kubectl delete --cascade=orphan of an ExternalSecret.
#
# kubectl sends propagationPolicy=Orphan (kubectl pkg/cmd/delete/delete_flags.go,
# parseCascadingFlag). The registry adds the `orphan` finalizer (registry/generic/registry/
# store.go, deletionFinalizersForGarbageCollection); the garbage collector removes the owner's
# reference from every dependent, then the finalizer (pkg/controller/garbagecollector/
# garbagecollector.go, orphanDependents / removeFinalizer). ESO's own finalizer goes with
# deletionPolicy Retain without touching the Secret. The target Secret survives without the
# ownerReference.

ORPHAN_OBJECTS = """
apiVersion: external-secrets.io/v1
kind: ClusterSecretStore
metadata:
  name: conformance-fake
spec:
  provider:
    fake:
      data:
      - key: orphan/password
        value: {password}
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata:
  name: orphan-me
  namespace: c3-orphan
spec:
  refreshInterval: 1h0m0s
  secretStoreRef:
    kind: ClusterSecretStore
    name: conformance-fake
  target:
    name: orphan-target
  data:
  - secretKey: password
    remoteRef:
      key: orphan/password
"""


@check("3 kubectl delete externalsecret --cascade=orphan: the target Secret survives without the ownerReference")
def orphan_cascade(ctx):
    k = ctx.kubectls[0]
    ns = "c3-orphan"
    ctx.py.ensure_namespace(ns)
    out = kubectl_apply_file(ctx, k, "c3.yaml", ORPHAN_OBJECTS.format(password=value("orphan-password")))
    expect(out.rc == 0, f"applying the store and the ExternalSecret failed: {out}")
    es = ctx.py.get(f"/apis/external-secrets.io/v1/namespaces/{ns}/externalsecrets/orphan-me").json

    def owned_target():
        got = ctx.py.get(secret_path(ns, "orphan-target"))
        refs = (got.json or {}).get("metadata", {}).get("ownerReferences") or [] if got.status == 200 else []
        return got if any(r.get("uid") == es["metadata"]["uid"] for r in refs) else None

    wait_for("the controller to create the target Secret owned by the ExternalSecret", owned_target)
    out = k.run("delete", "externalsecret", "orphan-me", "-n", ns, "--cascade=orphan", "--timeout=20s")
    expect(out.rc == 0, f"the delete failed: {out}")
    wait_for("the ExternalSecret to be gone",
             lambda: ctx.py.get(f"/apis/external-secrets.io/v1/namespaces/{ns}/externalsecrets/orphan-me").status == 404)
    time.sleep(1.5)  # past the simulated garbage collector's delay (1 s)
    got = ctx.py.get(secret_path(ns, "orphan-target"))
    expect(got.status == 200, f"the orphaned target Secret is gone: {got}")
    refs = got.json["metadata"].get("ownerReferences") or []
    expect(not any(r.get("uid") == es["metadata"]["uid"] for r in refs),
           f"the target still names the deleted ExternalSecret as owner: {brief(got.json)}")


# =============================================================================================
# 4. What a delete answers.
#
# handlers/delete.go DeleteResource: 200, or 202 only when the object was not deleted at once
# AND the request set orphanDependents=false; the body is what the registry returned:
# store.go Delete returns the object itself while finalizers hold it (deletionTimestamp set),
# and finalizeDelete a Status {status: Success, details: {name, group, kind: <resource>, uid}}
# once it is gone (ReturnDeletedObject is false for Secrets).


@check("4 Python delete_namespaced_secret of a Secret with a finalizer: 200 with the object (deletionTimestamp set)")
def delete_with_finalizer(ctx):
    ns = "c4-delete"
    ctx.py.ensure_namespace(ns)
    ctx.py.v1.create_namespaced_secret(ns, {"metadata": {"name": "held", "finalizers": ["example.com/hold"]}})
    data, status, _ = ctx.py.v1.delete_namespaced_secret_with_http_info("held", ns)
    body = data if isinstance(data, dict) else getattr(data, "to_dict", lambda: data)()
    kind = body.get("kind") if isinstance(body, dict) else None
    try:
        expect(status == 200, f"expected 200 (202 only with orphanDependents=false), got {status} {kind} {brief(body)}")
        expect(kind == "Secret" and body["metadata"].get("deletionTimestamp"),
               f"expected the Secret with its deletionTimestamp, got {kind} {brief(body)}")
    finally:
        ctx.py.call("PATCH", secret_path(ns, "held"), {"metadata": {"finalizers": None}},
                    "application/merge-patch+json")
    wait_for("the Secret to go once its finalizer is removed",
             lambda: ctx.py.get(secret_path(ns, "held")).status == 404, timeout=5)


@check("4 Python delete_namespaced_secret without finalizers: 200 Status Success naming the Secret")
def delete_without_finalizer(ctx):
    ns = "c4-delete-now"
    ctx.py.ensure_namespace(ns)
    made = ctx.py.v1.create_namespaced_secret(ns, {"metadata": {"name": "gone"}})
    data, status, _ = ctx.py.v1.delete_namespaced_secret_with_http_info("gone", ns)
    body = data if isinstance(data, dict) else getattr(data, "to_dict", lambda: data)()
    expect(status == 200, f"expected 200, got {status} {brief(body)}")
    details = body.get("details") or {}
    expect(body.get("kind") == "Status" and body.get("status") == "Success"
           and details.get("name") == "gone" and details.get("kind") == "secrets"
           and details.get("uid") == made.metadata.uid,
           f"expected Status Success with details name=gone kind=secrets uid, got {brief(body)} details={details}")
    expect_absent(ctx, ns, "gone", "the delete completed")


# =============================================================================================
# 5. Merge patches that are not objects.
#
# handlers/patch.go applyJSPatch, MergePatchType: without fieldValidation (kubectl patch sends
# none; the server default is Warn) the patch is first decoded strictly into a map —
# `[1]` or `"x"` fail there: 400 "error decoding patch: json: cannot unmarshal array into Go
# value of type map[string]interface {}". `null` decodes (to a nil map), then
# jsonpatch.MergePatch (gopkg.in/evanphx/json-patch.v4 merge.go) answers ErrBadJSONPatch, which
# is 400 "Invalid JSON Patch". With fieldValidation=Ignore an array passes MergePatch (it becomes
# the document) and fails to decode into the object: 422 Invalid (applyPatchToCurrentObject).
# Nothing changes in any case.

MERGE_PATCH_ANSWERS = [
    ("null", "Invalid JSON Patch"),
    ("[1]", "error decoding patch: json: cannot unmarshal array into Go value of type map[string]interface {}"),
    ('"x"', "error decoding patch: json: cannot unmarshal string into Go value of type map[string]interface {}"),
]


def patch_target(ctx, ns):
    ctx.py.ensure_namespace(ns)
    got = ctx.py.get(secret_path(ns, "patch-me"))
    if got.status == 404:
        ctx.py.v1.create_namespaced_secret(ns, {"metadata": {"name": "patch-me", "labels": {"a": "1"}},
                                                "stringData": {"k": value("patch-me-value")}})
        got = ctx.py.get(secret_path(ns, "patch-me"))
    return got.json


def expect_unchanged(ctx, ns, before, after_what):
    now = ctx.py.get(secret_path(ns, "patch-me")).json
    expect(now["metadata"]["resourceVersion"] == before["metadata"]["resourceVersion"]
           and now.get("data") == before.get("data") and now["metadata"].get("labels") == before["metadata"].get("labels"),
           f"{after_what} changed the Secret: before {brief(before)}, now {brief(now)}")


@check("5 kubectl patch --type=merge with null, an array, a string: 400 BadRequest each, nothing changed",
       per_kubectl=True)
def merge_patch_kubectl(ctx, k):
    ns = f"c5-{k.label}"
    before = patch_target(ctx, ns)
    problems = []
    for patch, message in MERGE_PATCH_ANSWERS:
        out = k.run("patch", "secret", "patch-me", "-n", ns, "--type=merge", "-p", patch)
        if not (out.rc != 0 and "BadRequest" in out.text and message in out.text):
            problems.append(f"-p {patch}: expected Error from server (BadRequest): {message}, got {out}")
        try:
            expect_unchanged(ctx, ns, before, f"-p {patch}")
        except Fail as e:
            problems.append(str(e))
            before = patch_target(ctx, ns)
    expect(not problems, "; ".join(problems))


@check("5 Python merge patch with null, an array, a string: 400 BadRequest; an array with fieldValidation=Ignore: 422 Invalid; nothing changed")
def merge_patch_python(ctx):
    ns = "c5-python"
    before = patch_target(ctx, ns)
    problems = []
    tries = [(patch, 400, "BadRequest", message, None) for patch, message in MERGE_PATCH_ANSWERS]
    tries.append(("[1]", 422, "Invalid", None, {"fieldValidation": "Ignore"}))
    for patch, code, reason, message, query in tries:
        what = f"patch {patch}" + (" with fieldValidation=Ignore" if query else "")
        try:
            got = ctx.py.send("PATCH", secret_path(ns, "patch-me"), patch.encode(),
                              "application/merge-patch+json", query=query)
            expect_status(got, code, reason, message)
        except Fail as e:
            problems.append(f"{what}: {e}")
        except Exception as e:  # the connection dropped, say: that is the answer
            problems.append(f"{what}: {type(e).__name__}: {e}")
        try:
            expect_unchanged(ctx, ns, before, what)
        except Fail as e:
            problems.append(str(e))
            before = patch_target(ctx, ns)
    expect(not problems, "; ".join(problems))


# =============================================================================================
# 6. What everyday tools ask of an API server.


@check("6 kubectl auth can-i create secrets -n payments: yes", per_kubectl=True)
def can_i(ctx, k):
    # kubectl auth can-i POSTs a SelfSubjectAccessReview (authorization.k8s.io/v1; kubectl
    # pkg/cmd/auth/cani.go) and prints "yes" when status.allowed; the cluster admin may.
    out = k.run("auth", "can-i", "create", "secrets", "-n", "payments")
    expect(out.rc == 0 and out.out.strip() == "yes", f"expected yes, got {out}")


@check("6 kubectl auth whoami: the kubeconfig's user", per_kubectl=True)
def whoami(ctx, k):
    # kubectl auth whoami POSTs a SelfSubjectReview (authentication.k8s.io/v1, GA in 1.28;
    # pkg/registry/authentication/selfsubjectreview/rest.go answers the request's user).
    out = k.run("auth", "whoami")
    expect(out.rc == 0 and "Username" in out.out and "sim-admin" in out.out,
           f"expected a table with Username sim-admin, got {out}")


@check("6 kubectl explain externalsecret.spec.target: the schema, with creationPolicy", per_kubectl=True)
def explain(ctx, k):
    # kubectl explain reads the OpenAPI v3 document of the group (/openapi/v3, then
    # /openapi/v3/apis/external-secrets.io/v1; kubectl pkg/explain/v2), which publishes the CRD's
    # schema.
    out = k.run("explain", "externalsecret.spec.target")
    expect(out.rc == 0 and "creationPolicy" in out.out, f"expected the field list with creationPolicy, got {out}")


@check("6 kr8s.get(\"secrets\", namespace=\"payments\") lists the Secrets")
def kr8s_get_payments(ctx):
    # kr8s asks for discovery with trailing slashes (/version/, /api/, /apis/: kr8s _api.py
    # _construct_url); kube-apiserver's go-restful web services answer them (routes/version.go,
    # discovery/legacy.go: ws.Path(prefix) + GET "/").
    import kr8s

    ctx.py.ensure_namespace("payments")
    ctx.py.v1.create_namespaced_secret("payments", {"metadata": {"name": "payments-db"},
                                                    "stringData": {"k": value("payments-value")}})
    names = [s.name for s in kr8s.get("secrets", namespace="payments", api=ctx.kr8s)]
    expect(names == ["payments-db"], f"expected [payments-db], got {names}")


@check("6 kubectl apply --prune -l app=x -f dir/: the Secret no longer in dir/ is pruned", per_kubectl=True)
def apply_prune(ctx, k):
    # kubectl apply --prune lists every kind of its default allow-list with the label selector
    # and deletes what the files no longer hold (kubectl pkg/cmd/apply/prune.go); the list is
    # ConfigMaps, Endpoints, PVCs, Pods, ReplicationControllers, Secrets, Services, Jobs,
    # CronJobs, Ingresses, DaemonSets, Deployments, ReplicaSets, StatefulSets (kubectl
    # pkg/util/prune/prune.go, GetRESTMappings: one kind that discovery lacks fails the apply).
    ns = f"c6-prune-{k.label}"
    ctx.py.ensure_namespace(ns)
    files = {}
    for name in ("prune-a", "prune-b"):
        files[name] = ctx.file(f"c6-{k.label}/{name}.yaml", f"""
apiVersion: v1
kind: Secret
metadata:
  name: {name}
  namespace: {ns}
  labels:
    app: x
stringData:
  k: {value('prune-value')}
""")
    d = os.path.dirname(files["prune-a"])
    out = k.run("apply", "-n", ns, "-f", d)
    expect(out.rc == 0, f"the first apply failed: {out}")
    os.remove(files["prune-b"])
    out = k.run("apply", "--prune", "-l", "app=x", "-n", ns, "-f", d)
    expect(out.rc == 0 and "secret/prune-b pruned" in out.out, f"expected secret/prune-b pruned, got {out}")
    expect_absent(ctx, ns, "prune-b", "it was pruned")
    expect(ctx.py.get(secret_path(ns, "prune-a")).status == 200, "prune-a, still in dir/, is gone")


# =============================================================================================
# 7. Resource versions, label selectors, strategic merge.


@check("7 resourceVersionMatch=Exact with an older resourceVersion: the list as it was then")
def list_exact_old(ctx):
    # etcd3 store.go GetList: Exact reads at that revision (clientv3.WithRev) and the list's
    # resourceVersion is the one asked for; the cacher delegates Exact to etcd
    # (cacher/delegator.go shouldDelegateList).
    ns = "c7-exact"
    ctx.py.ensure_namespace(ns)
    v1 = ctx.py.v1
    v1.create_namespaced_secret(ns, {"metadata": {"name": "first", "labels": {"rv": "case"}}})
    then = v1.list_namespaced_secret(ns, label_selector="rv=case").metadata.resource_version
    v1.create_namespaced_secret(ns, {"metadata": {"name": "second", "labels": {"rv": "case"}}})
    old = v1.list_namespaced_secret(ns, label_selector="rv=case", resource_version=then,
                                    resource_version_match="Exact")
    names = [s.metadata.name for s in old.items]
    expect(names == ["first"] and old.metadata.resource_version == then,
           f"expected [first] at resourceVersion {then}, got {names} at {old.metadata.resource_version}")


@check("7 a list at a resourceVersion not yet reached: 504 Timeout, cause ResourceVersionTooLarge")
def list_future_rv(ctx):
    # resourceVersionMatch=NotOlderThan ahead of the store: the watch cache waits 3 s
    # (cacher/watch_cache.go waitUntilFreshAndBlock, blockTimeout) and etcd3's
    # validateMinimumResourceVersion refuses alike, both with storage.NewTooLargeResourceVersionError
    # (apiserver pkg/storage/errors.go): errors.NewTimeoutError → 504, reason Timeout, message
    # "Timeout: Too large resource version: N, current: M", cause ResourceVersionTooLarge. (With
    # Exact the answer depends on the version: etcd's ErrFutureRev passes through as a 500.)
    from kubernetes.client.rest import ApiException

    ns = "c7-future"
    ctx.py.ensure_namespace(ns)
    now = int(ctx.py.v1.list_namespaced_secret(ns).metadata.resource_version)
    future = str(now + 100000)
    try:
        got = ctx.py.v1.list_namespaced_secret(ns, resource_version=future, resource_version_match="NotOlderThan")
        raise Fail(f"expected 504 Timeout, got a list at resourceVersion {got.metadata.resource_version}")
    except ApiException as e:
        answer = api_exception_answer(e)
    expect_status(answer, 504, "Timeout", f"Too large resource version: {future}")
    expect(any(c.get("reason") == "ResourceVersionTooLarge" for c in answer.causes()),
           f"expected a cause ResourceVersionTooLarge, got {answer}")


@check("7 kubectl get secrets -l 'n>3' selects numerically", per_kubectl=True)
def numeric_selector(ctx, k):
    # apimachinery pkg/labels/selector.go Requirement.Matches: Gt/Lt parse the label value as an
    # integer (strconv.ParseInt); values that are not integers never match.
    ns = f"c7-gt-{k.label}"
    ctx.py.ensure_namespace(ns)
    for n in ("2", "4", "10", "abc"):
        ctx.py.v1.create_namespaced_secret(ns, {"metadata": {"name": f"n-{n}", "labels": {"n": n}}})
    out = k.run("get", "secrets", "-n", ns, "-l", "n>3", "-o", "name")
    names = sorted(out.out.split())
    expect(out.rc == 0 and names == ["secret/n-10", "secret/n-4"], f"expected n-10 and n-4, got {out}")


@check("7 strategic merge patch of metadata.finalizers merges the lists", per_kubectl=True)
def smp_finalizers(ctx, k):
    # ObjectMeta.Finalizers carries patchStrategy:"merge" (apimachinery pkg/apis/meta/v1/types.go):
    # strategicpatch mergeSlice (pkg/util/strategicpatch/patch.go) appends the patch's scalars to
    # the live ones without duplicates, then enforces the order (normalizeElementOrder →
    # mergeSortedSlice): a live item goes before a patch item only when both are in the live
    # list, so the patch's new item comes first: [b] onto [a] is [b, a].
    ns = f"c7-smp-{k.label}"
    ctx.py.ensure_namespace(ns)
    ctx.py.v1.create_namespaced_secret(ns, {"metadata": {"name": "smp", "finalizers": ["example.com/a"]}})
    try:
        out = k.run("patch", "secret", "smp", "-n", ns, "-p", '{"metadata":{"finalizers":["example.com/b"]}}')
        expect(out.rc == 0, f"the patch failed: {out}")
        got = ctx.py.get(secret_path(ns, "smp")).json["metadata"].get("finalizers")
        expect(got == ["example.com/b", "example.com/a"], f"expected [example.com/b, example.com/a], got {got}")
    finally:
        ctx.py.call("PATCH", secret_path(ns, "smp"), {"metadata": {"finalizers": None}},
                    "application/merge-patch+json")


# =============================================================================================
# 8. Imperative kubectl: typed clients that send protobuf bodies (already fixed; kept here with
# both kubectl versions). kube-apiserver decodes application/vnd.kubernetes.protobuf for built-in
# kinds (handlers/negotiation NegotiateInputSerializer; apimachinery runtime/serializer/protobuf).


@check("8 imperative kubectl: create namespace, create secret generic --from-literal, label, annotate, get -o yaml",
       per_kubectl=True)
def imperative(ctx, k):
    import yaml

    ns = f"c8-{k.label}"
    secret = value(f"imperative-{k.label}-value")
    steps = [
        ("create", "namespace", ns),
        ("create", "secret", "generic", "made", "-n", ns, f"--from-literal=k={secret}"),
        ("label", "secret", "made", "-n", ns, "tier=db"),
        ("annotate", "secret", "made", "-n", ns, "note=hello"),
    ]
    for step in steps:
        out = k.run(*step)
        expect(out.rc == 0, f"{' '.join(step[:3])}: {out}")
    out = k.run("get", "secret", "made", "-n", ns, "-o", "yaml")
    expect(out.rc == 0, f"get -o yaml: exit {out.rc}")
    obj = yaml.safe_load(out.out)
    meta = obj.get("metadata", {})
    expect(obj.get("type") == "Opaque" and (obj.get("data") or {}).get("k") == b64(secret)
           and (meta.get("labels") or {}).get("tier") == "db"
           and (meta.get("annotations") or {}).get("note") == "hello",
           f"expected type Opaque, data k, label tier=db, annotation note=hello; got {brief(obj)}")


# =============================================================================================
# Everyday things that already work, briefly.


@check("everyday: Python client create, get, list, watch (timeout_seconds) of Secrets")
def python_everyday(ctx):
    # A watch from a list's resourceVersion replays what happened since (ADDED), and ends at
    # timeoutSeconds (handlers/watch.go).
    from kubernetes import watch

    ns = "e-python"
    ctx.py.ensure_namespace(ns)
    v1 = ctx.py.v1
    since = v1.list_namespaced_secret(ns, label_selector="via=python").metadata.resource_version
    v1.create_namespaced_secret(ns, {"metadata": {"name": "py-made", "labels": {"via": "python"}},
                                     "stringData": {"k": value("python-value")}})
    got = v1.read_namespaced_secret("py-made", ns)
    expect((got.data or {}).get("k") == b64("python-value") and got.type == "Opaque",
           f"read: expected data k and type Opaque, got type {got.type} keys {sorted(got.data or {})}")
    names = [s.metadata.name for s in v1.list_namespaced_secret(ns, label_selector="via=python").items]
    expect(names == ["py-made"], f"list: expected [py-made], got {names}")
    events = []
    w = watch.Watch()
    t0 = time.time()
    for ev in w.stream(v1.list_namespaced_secret, ns, label_selector="via=python",
                       resource_version=since, timeout_seconds=2):
        events.append((ev["type"], ev["object"].metadata.name))
    expect(("ADDED", "py-made") in events, f"watch: expected ADDED py-made, got {events}")
    expect(time.time() - t0 < 10, f"watch: timeout_seconds=2 ended after {time.time() - t0:.1f} s")


@check("everyday: Python dynamic client server-side apply: a second manager's change is 409 Conflict, force takes it")
def python_ssa_conflict(ctx):
    # endpoints/handlers/fieldmanager (structured-merge-diff): a field another manager owns with
    # a different value is 409 Conflict with a FieldManagerConflict cause naming the field.
    ns = "e-ssa"
    ctx.py.ensure_namespace(ns)
    dyn = ctx.py.dynamic
    res = dyn.resources.get(api_version="v1", kind="Secret")

    def body(owner):
        return {"apiVersion": "v1", "kind": "Secret",
                "metadata": {"name": "ssa", "namespace": ns, "labels": {"owner": owner}}}

    dyn.server_side_apply(res, body("team-a"), namespace=ns, field_manager="team-a")
    try:
        dyn.server_side_apply(res, body("team-b"), namespace=ns, field_manager="team-b")
        raise Fail("expected 409 Conflict, the second manager's apply was accepted")
    except Fail:
        raise
    except Exception as e:
        answer = Answer(getattr(e, "status", None), getattr(e, "headers", {}),
                        (getattr(e, "body", b"") or b""))
    expect_status(answer, 409, "Conflict")
    expect(any(c.get("reason") == "FieldManagerConflict" and c.get("field") == ".metadata.labels.owner"
               for c in answer.causes()), f"expected a FieldManagerConflict cause on .metadata.labels.owner, got {answer}")
    dyn.server_side_apply(res, body("team-b"), namespace=ns, field_manager="team-b", force_conflicts=True)
    got = ctx.py.get(secret_path(ns, "ssa")).json
    expect(got["metadata"]["labels"]["owner"] == "team-b", f"force: expected owner=team-b, got {brief(got)}")


@check("everyday: Python dynamic client discovers externalsecrets and lists them")
def python_dynamic_discovery(ctx):
    ns = "e-dynamic"
    ctx.py.ensure_namespace(ns)
    res = ctx.py.dynamic.resources.get(api_version="external-secrets.io/v1", kind="ExternalSecret")
    expect(res.name == "externalsecrets" and res.namespaced, f"expected namespaced externalsecrets, got {res.name}")
    listed = ctx.py.dynamic.get(res, namespace=ns)
    expect(listed.kind == "ExternalSecretList" and list(listed.items) == [],
           f"expected an empty ExternalSecretList, got {listed.kind}")


@check("everyday: kr8s create, get, list, watch of a Secret")
def kr8s_everyday(ctx):
    import kr8s
    from kr8s.objects import Secret

    ns = "e-kr8s"
    ctx.py.ensure_namespace(ns)
    api = ctx.kr8s
    Secret({"metadata": {"name": "kr8s-made", "namespace": ns, "labels": {"via": "kr8s"}},
            "stringData": {"k": value("kr8s-value")}}, api=api).create()
    got = Secret.get("kr8s-made", namespace=ns, api=api)
    expect(got.raw.get("data", {}).get("k") == b64("kr8s-value"), f"get: {brief(got.raw)}")
    names = [s.name for s in kr8s.get("secrets", namespace=ns, label_selector={"via": "kr8s"}, api=api)]
    expect(names == ["kr8s-made"], f"list: expected [kr8s-made], got {names}")
    since = got.metadata.resourceVersion
    got.patch({"metadata": {"annotations": {"touched": "yes"}}})
    for event, obj in api.watch("secrets", namespace=ns, label_selector={"via": "kr8s"}, since=since):
        expect(event == "MODIFIED" and obj.name == "kr8s-made" and obj.annotations.get("touched") == "yes",
               f"watch: expected MODIFIED kr8s-made with the annotation, got {event} {obj.name}")
        break


def main():
    """Each per-kubectl check runs once per kubectl: the machine's, then the wheel's."""
    checks = []
    for name, fn, per_kubectl in CHECKS:
        if not per_kubectl:
            checks.append((name, fn))
            continue
        for index, label in enumerate(("machine kubectl", "kubectl 1.37.1 wheel")):
            checks.append((f"{name} [{label}]", with_kubectl(fn, index)))
    return run(checks, sys.argv[1:])


def with_kubectl(fn, index):
    def call(ctx):
        if index >= len(ctx.kubectls):
            raise Fail("this kubectl is not installed")
        fn(ctx, ctx.kubectls[index])

    return call


if __name__ == "__main__":
    status = main()
    sys.stdout.flush()
    # A client's background thread (kr8s runs its event loop in one) must not keep the suite
    # alive: everything is printed, the sim stopped and the work directory removed by now.
    os._exit(status)
