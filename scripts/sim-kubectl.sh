#!/usr/bin/env bash
# Drives the real kubectl against the standalone simulated cluster (`secrets-console sim`):
# apply, get, jsonpath, watch, delete behind a finalizer and garbage collection, strict field
# validation, per-type Secret validation, a conflict after kubectl edit, a foreign controller,
# and the imperative commands whose bodies kubectl sends as protobuf (create namespace, create
# secret generic/tls/docker-registry) with label, annotate, edit, get -o yaml and delete,
# delete --cascade=orphan and numeric label selectors (issue 19.3, 19.7); then
# what clients learn before they act (issue 19.6): auth can-i / whoami, explain, discovery with
# a trailing slash, create configmap, and apply --prune without an allowlist; a refused `null`
# merge patch and a strategic merge patch of finalizers (issue 19.5, 19.7); apply, get, re-apply
# and delete of a Deployment and a CronJob, and a Deployment refused without a selector (21.3).
# Usage: scripts/sim-kubectl.sh [path/to/secrets-console]   (default target/debug/secrets-console)
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-target/debug/secrets-console}
command -v kubectl >/dev/null || { echo "kubectl is not installed"; exit 1; }
command -v openssl >/dev/null || { echo "openssl is not installed (it makes the kubectl create secret tls pair)"; exit 1; }
[ -x "$bin" ] || { echo "$bin is missing: build it first (cargo build)"; exit 1; }

work=$(mktemp -d)
sim_pid=
cleanup() {
  [ -n "$sim_pid" ] && kill "$sim_pid" 2>/dev/null && wait "$sim_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "not ok - $*"; echo "--- simulated cluster log:"; tail -20 "$work/sim.log"; exit 1; }
ok() { echo "ok - $*"; }

"$bin" sim --listen 127.0.0.1:0 --kubeconfig "$work/kubeconfig" >"$work/sim.log" 2>&1 &
sim_pid=$!
for _ in $(seq 1 100); do
  grep -q "ready" "$work/sim.log" 2>/dev/null && break
  sleep 0.1
done
[ -s "$work/kubeconfig" ] || fail "the simulated cluster did not write its kubeconfig"
export KUBECONFIG="$work/kubeconfig"
server=$(kubectl config view -o jsonpath='{.clusters[0].cluster.server}')
token=$(kubectl config view --raw -o jsonpath='{.users[?(@.name=="sim-admin")].user.token}')
[ -n "$token" ] || fail "the kubeconfig carries no token for sim-admin"
# The API server speaks TLS with a CA of its own, which the kubeconfig carries.
kubectl config view --raw -o jsonpath='{.clusters[0].cluster.certificate-authority-data}' \
  | base64 -d >"$work/ca.crt"
curl() { command curl --cacert "$work/ca.crt" "$@"; }
case "$server" in https://*) ;; *) fail "the API server is not served over TLS: $server" ;; esac
auth=(-H "Authorization: Bearer $token")

# A cluster with credentials: without the token every path is 401 with a Status body, the
# fault switches included; with it, they answer. Only loopback host names are served.
for path in /api/v1/secrets /version /sim/faults; do
  code=$(curl -s -o "$work/anon.json" -w '%{http_code}' "$server$path")
  [ "$code" = 401 ] || fail "GET $path without a token answered $code, not 401"
  grep -q '"kind":"Status"' "$work/anon.json" || fail "GET $path without a token: no Status body"
done
code=$(curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer wrong' "$server/api/v1/secrets")
[ "$code" = 401 ] || fail "a wrong token answered $code, not 401"
code=$(curl -s -o /dev/null -w '%{http_code}' "${auth[@]}" -H 'Host: attacker.example' "$server/api/v1/secrets")
[ "$code" = 400 ] || fail "a foreign Host answered $code, not 400"
curl -sf "${auth[@]}" "$server/sim/faults" >/dev/null || fail "the token is refused"
ok "without its token the API server answers 401 Status on every path; foreign Host names are refused"
k() { kubectl --request-timeout=10s "$@"; }
# Polls a command until its output matches a pattern (5 s).
until_matches() {
  local pattern=$1 out; shift
  for _ in $(seq 1 50); do
    out=$("$@" 2>/dev/null) || true
    if grep -qE "$pattern" <<<"$out"; then return 0; fi
    sleep 0.1
  done
  echo "last output of: $*"; "$@" || true
  return 1
}

cat >"$work/objects.yaml" <<'YAML'
apiVersion: v1
kind: Namespace
metadata:
  name: team
---
apiVersion: external-secrets.io/v1
kind: ClusterSecretStore
metadata:
  name: fake
spec:
  provider:
    fake:
      data:
      - key: db/password
        value: hunter2
      - key: db/config
        value: '{"user":"app","port":5432}'
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata:
  name: db
  namespace: team
spec:
  refreshInterval: 1h0m0s
  secretStoreRef:
    kind: ClusterSecretStore
    name: fake
  target:
    name: db-credentials
  data:
  - secretKey: password
    remoteRef:
      key: db/password
  - secretKey: user
    remoteRef:
      key: db/config
      property: user
YAML

k apply -f "$work/objects.yaml" >"$work/apply.out" || fail "kubectl apply -f"
grep -q "externalsecret.external-secrets.io/db created" "$work/apply.out" || fail "apply output: $(cat "$work/apply.out")"
ok "kubectl apply -f creates a ClusterSecretStore and an ExternalSecret"

until_matches 'fake +[^ ]+ +Valid +ReadWrite +True' k get clustersecretstores || fail "store not Valid/True"
ok "kubectl get clustersecretstores shows the store Valid and Ready"

until_matches '^db +ClusterSecretStore +fake +1h0m0s +SecretSynced +True' k get externalsecrets -n team \
  || fail "ExternalSecret not SecretSynced/True"
ok "kubectl get externalsecrets shows SecretSynced, Ready True"

value=$(k get secret db-credentials -n team -o jsonpath='{.data.password}' | base64 -d)
[ "$value" = "hunter2" ] || fail "synced value is '$value'"
user=$(k get secret db-credentials -n team -o jsonpath='{.data.user}' | base64 -d)
[ "$user" = "app" ] || fail "property value is '$user'"
ok "kubectl get secret -o jsonpath shows the synced values (property too)"

defaults=$(k get es db -n team -o jsonpath='{.spec.target.creationPolicy}/{.spec.target.deletionPolicy}')
[ "$defaults" = "Owner/Retain" ] || fail "defaults: $defaults"
ok "the API server filled the schema's defaults (target.creationPolicy, deletionPolicy)"

again=$(k apply -f "$work/objects.yaml") || fail "re-apply"
grep -q "externalsecret.external-secrets.io/db unchanged" <<<"$again" || fail "re-apply is not a no-op: $again"
ssa=$(k apply --server-side -f "$work/objects.yaml") || fail "kubectl apply --server-side"
grep -q "externalsecret.external-secrets.io/db serverside-applied" <<<"$ssa" || fail "server-side apply: $ssa"
ok "re-apply is unchanged; kubectl apply --server-side works"

sed 's/refreshInterval: 1h0m0s/refreshInterval: 1h0m0s\n  refreshPolicy: Periodic\n  bogusField: 1/' "$work/objects.yaml" >"$work/bogus.yaml"
if k apply -f "$work/bogus.yaml" >"$work/bogus.out" 2>&1; then fail "an unknown field was accepted"; fi
grep -q 'unknown field "spec.bogusField"' "$work/bogus.out" || fail "strict validation message: $(cat "$work/bogus.out")"
ok "kubectl's strict field validation names the unknown field"

timeout 10 kubectl get externalsecrets -n team -w --no-headers >"$work/watch.out" 2>&1 &
watch_pid=$!
sleep 1
k patch clustersecretstore fake --type merge -p '{"spec":{"provider":{"fake":{"data":[{"key":"db/password","value":"hunter2"}]}}}}' >/dev/null
k annotate externalsecret db -n team force-sync="$(date +%s)" --overwrite >/dev/null
until_matches 'SecretSyncedError' cat "$work/watch.out" || fail "kubectl get -w did not stream the change"
kill "$watch_pid" 2>/dev/null || true
ok "after the remote key is removed and a force-sync, kubectl get -w streams the change to SecretSyncedError"

until_matches 'Warning +UpdateFailed +externalsecret/db +.*db/config' k get events -n team || fail "no Warning event naming the key"
ok "the Warning event names the missing key"

# kubectl edit makes kubectl-edit the owner of what it changed: the next server-side apply of
# the old value by its previous owner is a 409 naming both, as kube-apiserver answers; the
# console takes such fields back with a forced apply (issue 18.4).
KUBE_EDITOR="sed -i s/refreshInterval:\ 1h0m0s/refreshInterval:\ 5m0s/" k edit externalsecret db -n team >/dev/null \
  || fail "kubectl edit"
[ "$(k get es db -n team -o jsonpath='{.spec.refreshInterval}')" = 5m0s ] || fail "the edit did not land"
if k apply --server-side -f "$work/objects.yaml" >"$work/conflict.out" 2>&1; then
  fail "a server-side apply over kubectl edit's change did not conflict"
fi
grep -q 'conflict with "kubectl-edit"' "$work/conflict.out" && grep -q '.spec.refreshInterval' "$work/conflict.out" \
  || fail "conflict message: $(cat "$work/conflict.out")"
k apply --server-side --force-conflicts -f "$work/objects.yaml" >/dev/null || fail "forced apply"
[ "$(k get es db -n team -o jsonpath='{.spec.refreshInterval}')" = 1h0m0s ] || fail "the forced apply did not take it back"
ok "after kubectl edit, a server-side apply conflicts naming kubectl-edit and the field; forcing takes it back"

# Per-type Secret validation, as kube-apiserver's ValidateSecret.
cat >"$work/typed.yaml" <<'YAML'
apiVersion: v1
kind: Secret
metadata:
  name: registry
  namespace: team
type: kubernetes.io/dockerconfigjson
stringData:
  .dockerconfigjson: not json
YAML
if k apply -f "$work/typed.yaml" >"$work/typed.out" 2>&1; then fail "a dockerconfigjson Secret that is not JSON was accepted"; fi
grep -q 'data\[.dockerconfigjson\]' "$work/typed.out" || fail "typed validation message: $(cat "$work/typed.out")"
ok "a kubernetes.io/dockerconfigjson Secret whose value is not JSON is refused, naming the key"

# What does not fit a built-in kind's Go struct (issue 19.1-2): kubectl's default
# (--validate=strict) has the server refuse unknown fields, naming each; --validate=warn stores
# the Secret without them and prints the server's warnings; a number in stringData is refused
# whatever kubectl asks, and nothing is stored.
cat >"$work/unknown.yaml" <<'YAML'
apiVersion: v1
kind: Secret
metadata:
  name: unknown-field
  namespace: team
  bogus: x
stringData:
  password: s3cr3t
foo: bar
YAML
if k apply -f "$work/unknown.yaml" >"$work/unknown.out" 2>&1; then fail "a Secret with unknown fields was accepted"; fi
grep -q 'Error from server (BadRequest).*Secret in version "v1" cannot be handled as a Secret: strict decoding error: .*unknown field "foo"' "$work/unknown.out" \
  && grep -q 'unknown field "metadata.bogus"' "$work/unknown.out" || fail "strict Secret message: $(cat "$work/unknown.out")"
k get secret unknown-field -n team >/dev/null 2>&1 && fail "a refused Secret was stored"
k apply --validate=warn -f "$work/unknown.yaml" >"$work/warn.out" 2>&1 || fail "kubectl apply --validate=warn: $(cat "$work/warn.out")"
grep -q 'Warning: unknown field "foo"' "$work/warn.out" && grep -q 'Warning: unknown field "metadata.bogus"' "$work/warn.out" \
  || fail "no warnings for the unknown fields: $(cat "$work/warn.out")"
[ -z "$(k get secret unknown-field -n team -o jsonpath='{.foo}{.metadata.bogus}')" ] || fail "unknown fields were stored"
[ "$(k get secret unknown-field -n team -o jsonpath='{.data.password}' | base64 -d)" = s3cr3t ] || fail "the warned Secret lacks its data"
ok "unknown fields on a Secret: refused under kubectl's strict default, dropped with the server's warnings under --validate=warn"

sed 's/password: s3cr3t/port: 5432/; /bogus: x/d; /foo: bar/d; s/unknown-field/wrong-type/' "$work/unknown.yaml" >"$work/wrong.yaml"
if k apply --validate=false -f "$work/wrong.yaml" >"$work/wrong.out" 2>&1; then fail "a number in stringData was accepted"; fi
grep -q 'json: cannot unmarshal number into Go struct field Secret.stringData of type string' "$work/wrong.out" \
  || fail "wrong type message: $(cat "$work/wrong.out")"
k get secret wrong-type -n team >/dev/null 2>&1 && fail "a Secret with a number in stringData was stored"
ok "a number in stringData is refused as kube-apiserver's decoder words it, even with --validate=false"

# A Secret another controller owns: ESO refuses to take it over and keeps it as it is.
cat >"$work/sealed.yaml" <<'YAML'
apiVersion: v1
kind: Secret
metadata:
  name: sealed
  namespace: team
  ownerReferences:
  - apiVersion: bitnami.com/v1alpha1
    kind: SealedSecret
    name: sealed
    uid: 5e0a1ed0-0000-4000-8000-000000000001
    controller: true
stringData:
  password: theirs
---
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata:
  name: sealed
  namespace: team
spec:
  refreshInterval: 1h0m0s
  secretStoreRef:
    kind: ClusterSecretStore
    name: fake
  data:
  - secretKey: password
    remoteRef:
      key: db/password
YAML
k apply -f "$work/sealed.yaml" >/dev/null || fail "kubectl apply of a SealedSecret's Secret and an ExternalSecret"
until_matches '^sealed .*SecretSyncedError +False' k get externalsecrets -n team || fail "ExternalSecret over a controlled Secret not refused"
until_matches 'already owned by another SealedSecret controller sealed' k get events -n team \
  || fail "no event naming the other controller"
[ "$(k get secret sealed -n team -o jsonpath='{.data.password}' | base64 -d)" = theirs ] || fail "the controlled Secret was changed"
ok "an ExternalSecret over a Secret another controller owns is SecretSyncedError and leaves it alone"

curl -sf -X PUT "${auth[@]}" -H 'Content-Type: application/json' -d '{"controllerPaused":true}' "$server/sim/faults" >/dev/null
if k delete externalsecret db -n team --timeout=2s >"$work/delete.out" 2>&1; then
  fail "delete finished while the controller (and its finalizer) was paused"
fi
deleting=$(k get externalsecret db -n team -o jsonpath='{.metadata.deletionTimestamp}')
[ -n "$deleting" ] || fail "no deletionTimestamp while the finalizer holds the object"
curl -sf -X PUT "${auth[@]}" -H 'Content-Type: application/json' -d '{"controllerPaused":false}' "$server/sim/faults" >/dev/null
k wait --for=delete externalsecret/db -n team --timeout=10s >/dev/null || fail "not deleted after the controller resumed"
ok "kubectl delete waits for the finalizer; the object goes once the controller runs"

# Its target Secret goes later, when the garbage collector gets to it (a second here; seconds
# and more under load on a real cluster), not with the ExternalSecret.
k wait --for=delete secret/db-credentials -n team --timeout=10s >/dev/null \
  || fail "the garbage collector did not delete the target Secret"
ok "the target Secret is deleted afterwards by the garbage collector"

# --cascade=orphan (issue 19.3): the API server adds the `orphan` finalizer beside ESO's, the
# garbage collector takes the ExternalSecret's reference off the target Secret and then the
# finalizer; the Secret outlives the ExternalSecret.
cat >"$work/kept.yaml" <<'YAML'
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata:
  name: kept
  namespace: team
spec:
  refreshInterval: 1h0m0s
  secretStoreRef:
    kind: ClusterSecretStore
    name: fake
  target:
    name: kept-credentials
  data:
  - secretKey: password
    remoteRef:
      key: db/password
YAML
k apply -f "$work/kept.yaml" >/dev/null || fail "kubectl apply of the ExternalSecret kept"
until_matches '^ExternalSecret$' k get secret kept-credentials -n team -o jsonpath='{.metadata.ownerReferences[0].kind}' \
  || fail "the target Secret kept-credentials is not owned by its ExternalSecret"
k delete externalsecret kept -n team --cascade=orphan --timeout=10s >"$work/orphan.out" 2>&1 \
  || fail "kubectl delete --cascade=orphan: $(cat "$work/orphan.out")"
k get externalsecret kept -n team >/dev/null 2>&1 && fail "the ExternalSecret is still there"
sleep 1.5 # past the garbage collector's delay: nothing comes back for the Secret
[ "$(k get secret kept-credentials -n team -o jsonpath='{.data.password}' | base64 -d)" = hunter2 ] \
  || fail "the orphaned Secret is gone or changed"
[ -z "$(k get secret kept-credentials -n team -o jsonpath='{.metadata.ownerReferences}')" ] \
  || fail "the orphaned Secret still names its ExternalSecret as owner"
ok "kubectl delete --cascade=orphan leaves the target Secret, without the owner reference"

# Numeric label selectors (issue 19.7): `n>3`, `n<3` select labels that are integers.
for n in 2 5; do
  k create secret generic "n$n" -n team --from-literal=a=b >/dev/null || fail "create secret n$n"
  k label secret "n$n" -n team "n=$n" >/dev/null || fail "label secret n$n"
done
[ "$(k get secrets -n team -l 'n>3' -o name)" = secret/n5 ] || fail "-l 'n>3': $(k get secrets -n team -l 'n>3' -o name 2>&1)"
[ "$(k get secrets -n team -l 'n<3' -o name)" = secret/n2 ] || fail "-l 'n<3': $(k get secrets -n team -l 'n<3' -o name 2>&1)"
ok "kubectl get secrets -l 'n>3' and -l 'n<3' select by number"

# Imperative commands (issue 18.8): kubectl's typed clientset sends built-in kinds as protobuf,
# `Content-Type: application/vnd.kubernetes.protobuf`, which kube-apiserver accepts.
k create namespace payments-2 -v=8 >"$work/ns.out" 2>"$work/ns.log" || fail "kubectl create namespace: $(tail -3 "$work/ns.log")"
grep -qx 'namespace/payments-2 created' "$work/ns.out" || fail "create namespace output: $(cat "$work/ns.out")"
grep -q 'Content-Type: application/vnd.kubernetes.protobuf' "$work/ns.log" \
  || fail "kubectl create namespace did not send protobuf, so this check proves nothing"
k create secret generic api-key -n payments-2 --from-literal=token=s3cr3t --from-literal=user=app -v=8 \
  >"$work/generic.out" 2>"$work/generic.log" || fail "kubectl create secret generic: $(tail -3 "$work/generic.log")"
grep -qx 'secret/api-key created' "$work/generic.out" || fail "create secret output: $(cat "$work/generic.out")"
grep -q 'Content-Type: application/vnd.kubernetes.protobuf' "$work/generic.log" \
  || fail "kubectl create secret did not send protobuf"
k get secret api-key -n payments-2 -o yaml >"$work/generic.yaml" || fail "kubectl get secret -o yaml"
grep -q '^  token: czNjcjN0$' "$work/generic.yaml" && grep -q '^  user: YXBw$' "$work/generic.yaml" \
  && grep -q '^type: Opaque$' "$work/generic.yaml" || fail "get -o yaml does not show the data as created, type Opaque"
ok "kubectl create namespace and create secret generic (protobuf bodies) work; get -o yaml shows the data, type Opaque"

openssl req -x509 -newkey rsa:2048 -nodes -keyout "$work/tls.key" -out "$work/tls.crt" -subj /CN=web -days 1 \
  2>/dev/null || fail "openssl could not make a certificate"
k create secret tls web-tls -n payments-2 --cert="$work/tls.crt" --key="$work/tls.key" >/dev/null \
  || fail "kubectl create secret tls"
[ "$(k get secret web-tls -n payments-2 -o jsonpath='{.type}')" = kubernetes.io/tls ] || fail "tls Secret type"
k get secret web-tls -n payments-2 -o jsonpath='{.data.tls\.crt}' | base64 -d | cmp -s - "$work/tls.crt" \
  || fail "the tls Secret does not hold the certificate"
k create secret docker-registry pull -n payments-2 --docker-server=registry.example --docker-username=ci \
  --docker-password=pw >/dev/null || fail "kubectl create secret docker-registry"
k get secret pull -n payments-2 -o jsonpath='{.data.\.dockerconfigjson}' | base64 -d | grep -q '"registry.example"' \
  || fail "the docker-registry Secret has no auth for registry.example"
ok "kubectl create secret tls and docker-registry store typed Secrets with their data"

k create secret generic api-key -n payments-2 --from-literal=token=other >"$work/dup.out" 2>&1 \
  && fail "a second create of the same Secret succeeded"
grep -q 'secrets "api-key" already exists' "$work/dup.out" || fail "duplicate create: $(cat "$work/dup.out")"
k create secret generic preview -n payments-2 --from-literal=a=b --dry-run=server -o name >/dev/null \
  || fail "create --dry-run=server"
k get secret preview -n payments-2 >/dev/null 2>&1 && fail "a server dry-run create stored the Secret"
ok "a second create is AlreadyExists; --dry-run=server stores nothing"

k label secret api-key -n payments-2 team=payments >/dev/null || fail "kubectl label secret"
k annotate secret api-key -n payments-2 owner=alice >/dev/null || fail "kubectl annotate secret"
k label namespace payments-2 env=dev >/dev/null || fail "kubectl label namespace"
k annotate namespace payments-2 contact=payments@example.com >/dev/null || fail "kubectl annotate namespace"
got=$(k get secret api-key -n payments-2 -o jsonpath='{.metadata.labels.team}/{.metadata.annotations.owner}')
[ "$got" = payments/alice ] || fail "Secret label/annotation: $got"
got=$(k get namespace payments-2 -o jsonpath='{.metadata.labels.env}/{.metadata.annotations.contact}')
[ "$got" = dev/payments@example.com ] || fail "namespace label/annotation: $got"
[ "$(k get secrets -n payments-2 -l team=payments -o name)" = secret/api-key ] || fail "label selector after kubectl label"
KUBE_EDITOR="sed -i s/czNjcjN0/cm90YXRlZA==/" k edit secret api-key -n payments-2 >/dev/null || fail "kubectl edit secret"
[ "$(k get secret api-key -n payments-2 -o jsonpath='{.data.token}' | base64 -d)" = rotated ] || fail "the edit did not land"
ok "kubectl label, annotate (Secret and namespace) and edit change what get shows"

# Patches (issue 19.5, 19.7): a merge patch of `null` is refused as kube-apiserver refuses it
# (400 "Invalid JSON Patch", evanphx/json-patch `ErrBadJSONPatch`) and wipes nothing; a
# strategic merge patch merges finalizers (`patchStrategy:"merge"`), new ones first.
if k patch secret api-key -n payments-2 --type=merge -p 'null' >"$work/null.out" 2>&1; then
  fail "kubectl patch --type=merge -p null was accepted: $(cat "$work/null.out")"
fi
grep -q 'Invalid JSON Patch' "$work/null.out" || fail "null merge patch: $(cat "$work/null.out")"
got=$(k get secret api-key -n payments-2 -o jsonpath='{.data.token}/{.metadata.labels.team}')
[ "$got" = cm90YXRlZA==/payments ] || fail "a refused null merge patch changed the Secret: $got"
k patch secret api-key -n payments-2 --type=merge -p '{"metadata":{"finalizers":["example.com/a"]}}' \
  >/dev/null || fail "kubectl patch --type=merge with finalizers"
k patch secret api-key -n payments-2 --type=strategic -p '{"metadata":{"finalizers":["example.com/b"]}}' \
  >/dev/null || fail "kubectl patch --type=strategic with finalizers"
got=$(k get secret api-key -n payments-2 -o jsonpath='{.metadata.finalizers}')
[ "$got" = '["example.com/b","example.com/a"]' ] || fail "a strategic merge patch did not merge finalizers: $got"
k patch secret api-key -n payments-2 --type=json -p '[{"op":"remove","path":"/metadata/finalizers"}]' \
  >/dev/null || fail "kubectl patch --type=json removing the finalizers"
ok "kubectl patch --type=merge -p null is refused and wipes nothing; --type=strategic merges finalizers"

# A protobuf DeleteOptions whose uid precondition does not hold: 409, and the Secret stays.
printf 'k8s\x00\x0a\x13\x0a\x02v1\x12\x0dDeleteOptions\x12\x0d\x12\x0b\x0a\x09wrong-uid' >"$work/delete.pb"
pb=(-H 'Content-Type: application/vnd.kubernetes.protobuf' --data-binary)
code=$(curl -s -o "$work/pb.json" -w '%{http_code}' "${auth[@]}" -X DELETE "${pb[@]}" "@$work/delete.pb" \
  "$server/api/v1/namespaces/payments-2/secrets/api-key")
[ "$code" = 409 ] || fail "a protobuf DeleteOptions with a wrong uid answered $code: $(cat "$work/pb.json")"
k get secret api-key -n payments-2 >/dev/null || fail "the Secret went despite its failed precondition"
# Kinds it does not decode from protobuf: Lease (built in, not modelled) 415; custom resources
# 400, as kube-apiserver answers (CRDs do not support protobuf).
printf 'k8s\x00\x0a\x1f\x0a\x16coordination.k8s.io/v1\x12\x05Lease\x12\x05\x0a\x03\x0a\x01l' >"$work/lease.pb"
code=$(curl -s -o "$work/pb.json" -w '%{http_code}' "${auth[@]}" "${pb[@]}" "@$work/lease.pb" \
  "$server/apis/coordination.k8s.io/v1/namespaces/payments-2/leases")
[ "$code" = 415 ] && grep -q 'cannot decode Lease' "$work/pb.json" || fail "protobuf Lease: $code $(cat "$work/pb.json")"
printf 'k8s\x00\x0a\x28\x0a\x16external-secrets.io/v1\x12\x0eExternalSecret\x12\x05\x0a\x03\x0a\x01e' >"$work/es.pb"
code=$(curl -s -o "$work/pb.json" -w '%{http_code}' "${auth[@]}" "${pb[@]}" "@$work/es.pb" \
  "$server/apis/external-secrets.io/v1/namespaces/payments-2/externalsecrets")
[ "$code" = 400 ] && grep -q 'custom resources cannot be sent as' "$work/pb.json" \
  || fail "protobuf ExternalSecret: $code $(cat "$work/pb.json")"
ok "protobuf DeleteOptions preconditions hold; a protobuf Lease is 415, an ExternalSecret 400"

k delete secret api-key -n payments-2 >"$work/del.out" || fail "kubectl delete secret"
grep -qx 'secret "api-key" deleted' "$work/del.out" || fail "delete output: $(cat "$work/del.out")"
k get secret api-key -n payments-2 >/dev/null 2>&1 && fail "the Secret is still there after kubectl delete"
k delete namespace payments-2 --timeout=10s >/dev/null || fail "kubectl delete namespace"
k get namespace payments-2 >/dev/null 2>&1 && fail "the namespace is still there after kubectl delete"
ok "kubectl delete removes the Secret, then the namespace with what it held"

# What clients ask before they act (issue 19.6). kubectl's typed clients send the reviews as
# protobuf too; the cluster admin (no --rbac here) may do anything.
[ "$(k auth can-i create secrets -n default)" = yes ] || fail "kubectl auth can-i create secrets"
k auth whoami >"$work/whoami.out" 2>&1 || fail "kubectl auth whoami: $(cat "$work/whoami.out")"
grep -qE '^Username +sim-admin$' "$work/whoami.out" && grep -q 'system:masters' "$work/whoami.out" \
  || fail "whoami: $(cat "$work/whoami.out")"
ok "kubectl auth can-i answers yes for the admin; kubectl auth whoami names sim-admin in system:masters"

k explain externalsecret.spec.target >"$work/explain.out" 2>&1 || fail "kubectl explain: $(cat "$work/explain.out")"
grep -q 'creationPolicy' "$work/explain.out" && grep -q '^KIND: *ExternalSecret' "$work/explain.out" \
  || fail "explain externalsecret.spec.target: $(cat "$work/explain.out")"
k explain secret.data >"$work/explain.out" 2>&1 && grep -q 'FIELD: data <map\[string\]string>' "$work/explain.out" \
  || fail "explain secret.data: $(cat "$work/explain.out")"
# The v2 form, which client-go reads as protobuf only (older kubectl explains with it).
k explain externalsecret.spec.target --output plaintext-openapiv2 >"$work/explain.out" 2>&1 \
  && grep -q 'creationPolicy' "$work/explain.out" || fail "explain from /openapi/v2: $(cat "$work/explain.out")"
for path in /version/ /api/ /apis/; do
  code=$(curl -s -o /dev/null -w '%{http_code}' "${auth[@]}" "$server$path")
  [ "$code" = 200 ] || fail "GET $path answered $code, not 200"
done
ok "kubectl explain reads the schemas from /openapi/v3 and v2; /version/, /api/ and /apis/ answer with a trailing slash"

k create configmap x --from-literal=a=b -v=8 >"$work/cm.out" 2>"$work/cm.log" || fail "kubectl create configmap: $(tail -3 "$work/cm.log")"
grep -qx 'configmap/x created' "$work/cm.out" || fail "create configmap output: $(cat "$work/cm.out")"
grep -q 'Content-Type: application/vnd.kubernetes.protobuf' "$work/cm.log" || fail "kubectl create configmap did not send protobuf"
[ "$(k get cm x -o jsonpath='{.data.a}')" = b ] || fail "the ConfigMap does not hold a=b"
k get cm x >"$work/cm.out" && grep -qE '^NAME +DATA +AGE$' "$work/cm.out" && grep -qE '^x +1 ' "$work/cm.out" \
  || fail "kubectl get cm: $(cat "$work/cm.out")"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: bad}\ndata: {dup: x}\nbinaryData: {dup: eA==}\n' >"$work/bad-cm.yaml"
if k apply -f "$work/bad-cm.yaml" >"$work/cm.out" 2>&1; then fail "a key in both data and binaryData was accepted"; fi
grep -q 'data\[dup\]: Invalid value: "dup": duplicate of key present in binaryData' "$work/cm.out" \
  || fail "ConfigMap validation message: $(cat "$work/cm.out")"
ok "kubectl create configmap (protobuf) works; get cm shows NAME DATA AGE; a key in data and binaryData is refused"

mkdir -p "$work/prune"
for name in keep drop; do
  printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\n  labels: {app: x}\ndata: {k: v}\n' "$name" >"$work/prune/$name.yaml"
done
k apply --prune -l app=x -f "$work/prune/" >"$work/prune.out" 2>&1 || fail "kubectl apply --prune: $(cat "$work/prune.out")"
rm "$work/prune/drop.yaml"
k apply --prune -l app=x -f "$work/prune/" >"$work/prune.out" 2>&1 || fail "kubectl apply --prune: $(cat "$work/prune.out")"
grep -q 'configmap/drop pruned' "$work/prune.out" || fail "prune output: $(cat "$work/prune.out")"
k get cm drop >/dev/null 2>&1 && fail "the pruned ConfigMap is still there"
k get cm keep >/dev/null || fail "the applied ConfigMap went"
ok "kubectl apply --prune -l app=x -f dir/ without an allowlist prunes what left the directory"

# Workloads (issue 21.3): Deployments and CronJobs are stored with their real schemas and
# kube-apiserver's defaults, never run. apply creates, a second apply patches (strategic merge,
# containers merged by name), get prints kube-apiserver's columns, delete removes; a Deployment
# without a selector is refused with the API server's own message.
k create namespace workloads >/dev/null || fail "create namespace workloads"
cat >"$work/deploy.yaml" <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: workloads}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
      - name: api
        image: ghcr.io/acme/api:1.4
        envFrom: [{secretRef: {name: postgres-credentials}}]
YAML
cat >"$work/cron.yaml" <<'YAML'
apiVersion: batch/v1
kind: CronJob
metadata: {name: nightly, namespace: workloads}
spec:
  schedule: "0 3 * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers:
          - name: backup
            image: ghcr.io/acme/backup:2
            env:
            - name: PGPASSWORD
              valueFrom: {secretKeyRef: {name: postgres-credentials, key: password}}
YAML
k apply -f "$work/deploy.yaml" >"$work/wl.out" 2>&1 || fail "kubectl apply deployment: $(cat "$work/wl.out")"
grep -qx 'deployment.apps/api created' "$work/wl.out" || fail "apply deployment output: $(cat "$work/wl.out")"
k apply -f "$work/cron.yaml" >"$work/wl.out" 2>&1 || fail "kubectl apply cronjob: $(cat "$work/wl.out")"
grep -qx 'cronjob.batch/nightly created' "$work/wl.out" || fail "apply cronjob output: $(cat "$work/wl.out")"
k get deploy -n workloads >"$work/wl.out" 2>&1 || fail "kubectl get deploy: $(cat "$work/wl.out")"
grep -qE '^NAME +READY +UP-TO-DATE +AVAILABLE +AGE$' "$work/wl.out" && grep -qE '^api +0/1 +0 +0 ' "$work/wl.out" \
  || fail "kubectl get deploy: $(cat "$work/wl.out")"
k get cj -n workloads >"$work/wl.out" 2>&1 || fail "kubectl get cj: $(cat "$work/wl.out")"
grep -qE '^nightly +0 3 \* \* \* +false +0 ' "$work/wl.out" || fail "kubectl get cj: $(cat "$work/wl.out")"
[ "$(k get deploy api -n workloads -o jsonpath='{.spec.template.spec.containers[0].imagePullPolicy} {.spec.strategy.type} {.metadata.generation}')" = "IfNotPresent RollingUpdate 1" ] \
  || fail "the Deployment lacks kube-apiserver's defaults"
sed -i 's/api:1.4/api:1.5/' "$work/deploy.yaml"
k apply -f "$work/deploy.yaml" >"$work/wl.out" 2>&1 || fail "kubectl apply (patch) deployment: $(cat "$work/wl.out")"
grep -qx 'deployment.apps/api configured' "$work/wl.out" || fail "re-apply output: $(cat "$work/wl.out")"
[ "$(k get deploy api -n workloads -o jsonpath='{.spec.template.spec.containers[*].image} {.metadata.generation}')" = "ghcr.io/acme/api:1.5 2" ] \
  || fail "the re-applied Deployment: $(k get deploy api -n workloads -o yaml)"
k get all -n workloads >"$work/wl.out" 2>&1 || fail "kubectl get all: $(cat "$work/wl.out")"
grep -q 'deployment.apps/api' "$work/wl.out" && grep -q 'cronjob.batch/nightly' "$work/wl.out" \
  || fail "kubectl get all: $(cat "$work/wl.out")"
k delete deploy api -n workloads >"$work/wl.out" 2>&1 || fail "kubectl delete deploy: $(cat "$work/wl.out")"
k delete cronjob nightly -n workloads >"$work/wl.out" 2>&1 || fail "kubectl delete cronjob: $(cat "$work/wl.out")"
[ -z "$(k get deploy,cj -n workloads -o name)" ] || fail "the workloads are still there"
sed -i '/selector:/d' "$work/deploy.yaml"
if k apply -f "$work/deploy.yaml" >"$work/wl.out" 2>&1; then fail "a Deployment without a selector was accepted"; fi
grep -qF 'spec.selector: Required value' "$work/wl.out" \
  && grep -qF 'spec.template.metadata.labels: Invalid value: {"app":"api"}: `selector` does not match template `labels`' "$work/wl.out" \
  || fail "the refusal of a Deployment without a selector: $(cat "$work/wl.out")"
ok "kubectl apply, get, re-apply and delete of a Deployment and a CronJob; a Deployment without a selector is refused"

# No request may panic the simulated API server (its backstop logs "panic").
grep -qi panic "$work/sim.log" && fail "the simulated cluster's log has a panic"
ok "the simulated cluster's log has no panic"

echo "all kubectl checks passed"
