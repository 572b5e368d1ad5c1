"""network-config-analyzer (nca) as an outside oracle for NetworkPolicy semantics.

nca is IBM's independent implementation of Kubernetes NetworkPolicy (PyPI
`network-config-analyzer`). It pins its own dependencies exactly (PyYAML
among them), so it lives in a virtualenv of its own, .venv-oracle
(requirements/oracle.txt, `make oracle`), and this module never imports it:
an oracle must not choose the versions of what it checks.

Its documented interface is the `nca` command, which costs about half a
second per configuration (a Python process, YAML files, text out to parse).
Instead one worker per test session (nca_worker.py under .venv-oracle's
Python, started at the first question) drives the classes the command
drives and answers JSON lines over a pipe. On a 2-core machine a
configuration of 5 to 50 pods costs 5 to 25 ms, the first question about a
pair of endpoints 0.5 ms (it answers every port and protocol of the pair)
plus a round trip of 0.05 ms, which `ports_of` shares among many pairs;
each further question about the pair microseconds.
tests/test_netpol_oracle.py checks that it answers as the command does.
Without .venv-oracle the tests that ask nca skip; under CI=true they fail.

    config = Config(policies, {"prod": {"team": "x"}}, pods)
    config.allowed(pod, ipaddress.ip_address("203.0.113.7"), 443, "TCP")

Pods are objects with `namespace`, `labels`, `ports` ((name, number,
protocol) per named container port) and `ip` (netpol.Pod is one); an
endpoint is one of the pods or an `ipaddress` address outside the cluster.

Policies go in as stored by the API server: `stored_form` writes the API
server's defaults explicitly (policyTypes, protocol, empty fields), so that
nca and the model under test read the same object. nca reads some raw
forms differently from the API server: it treats `egress: []` without
policyTypes as egress isolation, and rejects a rules list whose direction
policyTypes leaves out, or policyTypes in another order than Ingress,
Egress. `Config` removes what has no effect before nca sees it.

What nca cannot express, so this adapter refuses it (ValueError):
- pod IPs: nca's pods have none, so an ipBlock never matches a pod;
- a connection between two addresses (no policy governs it);
- two container ports with one name (Kubernetes rejects that pod too).
Known nca 2.1.0 bugs (each pinned by a test in test_netpol_oracle.py):
- `Exists` / `DoesNotExist` in a podSelector that sits beside a
  namespaceSelector match only pods of the policy's own namespace;
- a namespaceSelector reads a missing label as "", so `In [""]` matches a
  namespace without the label and `NotIn [""]` does not.
"""

import atexit
import ipaddress
import itertools
import json
import os
import subprocess
from pathlib import Path

import pytest

INGRESS, EGRESS = "Ingress", "Egress"
PROTOCOLS = ("TCP", "UDP", "SCTP")
NAME_LABEL = "kubernetes.io/metadata.name"
_ADDRESS = (ipaddress.IPv4Address, ipaddress.IPv6Address)
_RULES = {INGRESS: "ingress", EGRESS: "egress"}
_PEERS = {"ingress": "from", "egress": "to"}


# -- the API server's stored form ------------------------------------------

def stored_form(policy):
    """The NetworkPolicy as the API server stores it (networking.k8s.io/v1
    defaulting): namespace "default" when unset; a missing spec or
    podSelector is the empty one; policyTypes, when missing or empty,
    is Ingress plus Egress if there is at least one egress rule; each port's
    protocol defaults to TCP; null and empty lists are dropped (the API
    omits them, and an empty peers or ports list means all, like a missing
    one). Expects a valid policy; the input is not changed."""
    meta = dict(policy.get("metadata") or {})
    meta.setdefault("namespace", "default")
    spec = policy.get("spec") or {}
    out = {"podSelector": _selector(spec.get("podSelector"))}
    types = spec.get("policyTypes")
    if not types:
        types = [INGRESS] + ([EGRESS] if spec.get("egress") else [])
    out["policyTypes"] = list(types)
    for key in ("ingress", "egress"):
        if spec.get(key):
            out[key] = [_rule(rule, _PEERS[key]) for rule in spec[key]]
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": meta, "spec": out}


def _selector(raw):
    raw = raw or {}
    return {k: raw[k] for k in ("matchLabels", "matchExpressions") if raw.get(k)}


def _rule(rule, peers_key):
    rule = rule or {}
    out = {}
    if rule.get(peers_key):
        out[peers_key] = [_peer(peer) for peer in rule[peers_key]]
    if rule.get("ports"):
        out["ports"] = [{"protocol": "TCP", **{k: v for k, v in port.items() if v is not None}}
                        for port in rule["ports"]]
    return out


def _peer(peer):
    out = {key: _selector(peer[key]) for key in ("podSelector", "namespaceSelector") if peer.get(key) is not None}
    if peer.get("ipBlock") is not None:
        block = peer["ipBlock"]
        out["ipBlock"] = {"cidr": block["cidr"], **({"except": list(block["except"])} if block.get("except") else {})}
    return out


def one_direction(policies, direction):
    """Stored policies reduced to one direction: the others isolate nothing.
    With them, a pod-to-pod connection is allowed exactly when that
    direction's side allows it (the egress side at the source, the ingress
    side at the destination)."""
    out = []
    for policy in policies:
        if direction not in policy["spec"]["policyTypes"]:
            continue
        spec = {"podSelector": policy["spec"]["podSelector"], "policyTypes": [direction]}
        if _RULES[direction] in policy["spec"]:
            spec[_RULES[direction]] = policy["spec"][_RULES[direction]]
        out.append({**policy, "spec": spec})
    return out


def _nca_form(policy):
    """What nca accepts with the same meaning: policyTypes in its order,
    and no rules for a direction the policy does not isolate (they have no
    effect: a pod's allowed traffic is the rules of the policies that
    isolate it)."""
    spec = policy["spec"]
    types = [t for t in (INGRESS, EGRESS) if t in spec["policyTypes"]]
    out = {"podSelector": spec["podSelector"], "policyTypes": types}
    for direction in types:
        if _RULES[direction] in spec:
            out[_RULES[direction]] = spec[_RULES[direction]]
    return {**policy, "spec": out}


# -- nca's view of a cluster ------------------------------------------------

def resources(policies, namespaces, pods):
    """The objects nca reads for this configuration, in its accepted forms:
    the Namespaces, one Pod per distinct pod (named `pod-N`, N counting
    from 0 in order) and the policies. Raises ValueError for what nca cannot
    express."""
    objects = [_namespace_object(name, labels or {}) for name, labels in sorted((namespaces or {}).items())]
    for pod, name in _pod_names(pods).items():
        _check_pod(pod, namespaces or {})
        objects.append(_pod_object(pod, name))
    return objects + [_nca_form(policy) for policy in policies]


class Config:
    """Namespaces, pods and stored policies as one nca configuration; ask
    `allowed`, `ports` or (many pairs in one round trip) `ports_of` any
    number of times.

    nca keeps its universe of endpoints in a process-wide singleton, so only
    the Config built last can answer: an older one raises RuntimeError.
    `namespaces` maps names to labels; a pod's namespace that is not listed
    has no labels but the name label.
    """

    def __init__(self, policies, namespaces, pods):
        objects = resources(policies, namespaces, pods)
        self._names = {_pod_key(pod): f"{pod.namespace}/{name}" for pod, name in _pod_names(pods).items()}
        self._ports = {}  # by (source, destination) name
        self._id = _worker().build(objects, len(policies))

    def pod_name(self, pod):
        """nca's name for one of the pods: namespace/pod-N."""
        name = self._names.get(_pod_key(pod))
        if name is None:
            raise ValueError(f"{pod!r} is not one of the configuration's pods")
        return name

    def allowed(self, source, destination, port, protocol):
        """Whether the policies allow `source` to open a connection to
        `destination` on `port`/`protocol` (egress at a source pod and
        ingress at a destination pod)."""
        return any(start <= port <= end for start, end in self.ports(source, destination)[protocol])

    def ports(self, source, destination):
        """{protocol: [(first, last), ...]}: the port ranges on which
        `source` may connect to `destination`, for TCP, UDP and SCTP."""
        return self.ports_of([(source, destination)])[0]

    def ports_of(self, pairs):
        """`ports` of each (source, destination) pair, in order, with one
        round trip to nca for those not asked before."""
        if _worker().current != self._id:
            raise RuntimeError("another nca Config was built since this one: nca keeps one universe per process")
        keys = [(self._name(source), self._name(destination)) for source, destination in pairs]
        for key in keys:
            if all(isinstance(name, _ADDRESS) for name in key):
                raise ValueError("no NetworkPolicy governs a connection between two addresses")
        new = list(dict.fromkeys(key for key in keys if key not in self._ports))
        if new:
            answers = _worker().ask({"op": "ports", "id": self._id,
                                     "pairs": [[_endpoint(name) for name in key] for key in new]})["ports"]
            for key, ports in zip(new, answers, strict=True):
                self._ports[key] = {protocol: [tuple(r) for r in ranges] for protocol, ranges in ports.items()}
        return [self._ports[key] for key in keys]

    def _name(self, endpoint):
        return endpoint if isinstance(endpoint, _ADDRESS) else self.pod_name(endpoint)


def allowed(policies, namespaces, pods, source, destination, port, protocol):
    """One question, one configuration: `Config(...).allowed(...)`."""
    return Config(policies, namespaces, pods).allowed(source, destination, port, protocol)


def _pod_key(pod):
    return (pod.namespace, tuple(sorted(pod.labels.items())), tuple(sorted(pod.ports)))


def _pod_names(pods):
    """Each distinct pod (in order) and its name, pod-N."""
    names = {}
    for pod in pods:
        names.setdefault(_pod_key(pod), (pod, f"pod-{len(names)}"))
    return dict(names.values())


def _check_pod(pod, namespaces):
    if getattr(pod, "ip", None) is not None:
        raise ValueError(f"{pod!r}: nca's pods have no IP (an ipBlock never matches a pod there)")
    names = [name for name, _, _ in pod.ports]
    if len(set(names)) != len(names):
        raise ValueError(f"{pod!r}: two container ports with one name")
    expected = {**namespaces.get(pod.namespace, {}), NAME_LABEL: pod.namespace}
    if getattr(pod, "namespace_labels", expected) != expected:
        raise ValueError(f"{pod!r}: its namespace labels {pod.namespace_labels} are not those of namespaces "
                         f"{expected}")


def _namespace_object(name, labels):
    if labels.get(NAME_LABEL, name) != name:
        raise ValueError(f"namespace {name}: {NAME_LABEL} must be its name")
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": dict(labels)}}


def _pod_object(pod, name):
    ports = [{"name": port, "containerPort": number, "protocol": protocol} for port, number, protocol in pod.ports]
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": pod.namespace, "labels": dict(pod.labels)},
            "spec": {"containers": [{"name": "main", "ports": ports}]}}


# -- the worker: nca in its own virtualenv ----------------------------------

_WORKER_SCRIPT = Path(__file__).with_name("nca_worker.py")
_ROOT = Path(__file__).resolve().parents[2]
_ERRORS = {"ValueError": ValueError, "AssertionError": AssertionError}
_session = {}  # the running worker, or why there is none


def oracle_venv():
    """The oracle's virtualenv: PIPELOCK_ORACLE_VENV (the Makefile sets
    it), else .venv-oracle at the root of the checkout."""
    return Path(os.environ.get("PIPELOCK_ORACLE_VENV") or _ROOT / ".venv-oracle")


def command():
    """nca's own command, in the oracle's virtualenv."""
    path = oracle_venv() / "bin" / "nca"
    if not path.exists():
        _unavailable(f"{path} does not exist")
    return str(path)


def _unavailable(reason):
    """Skip the test; under CI a missing oracle is a failure, not a skip."""
    message = (f"network-config-analyzer is not ready: {reason}. `make oracle` (part of `make test`) "
               "installs it in .venv-oracle from requirements/oracle.txt")
    if os.environ.get("CI", "").lower() in ("true", "1"):
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


def _worker():
    """The session's worker, started at the first question."""
    if "worker" not in _session and "unavailable" not in _session:
        try:
            _session["worker"] = _Worker(oracle_venv() / "bin" / "python")
            atexit.register(_session["worker"].close)
        except _NotReadyError as reason:
            _session["unavailable"] = str(reason)
    if "unavailable" in _session:
        _unavailable(_session["unavailable"])
    return _session["worker"]


class _NotReadyError(Exception):
    """The oracle's virtualenv is missing or nca does not start there."""


def _endpoint(name):
    """An endpoint as the worker reads it."""
    return ["address", str(name)] if isinstance(name, _ADDRESS) else ["pod", name]


class _Worker:
    """nca_worker.py under the oracle's Python: one request a line in, one
    answer a line out. Its stderr is the suite's (pytest shows what nca
    prints with the test that asked)."""

    def __init__(self, python):
        if not python.exists():
            raise _NotReadyError(f"{python} does not exist")
        # -I: neither PYTHONPATH nor a user site directory reach the oracle's interpreter
        self._proc = subprocess.Popen([str(python), "-I", str(_WORKER_SCRIPT)], stdin=subprocess.PIPE,
                                      stdout=subprocess.PIPE, text=True, encoding="utf-8")
        hello = self._read()
        if hello is None:
            self._proc.wait()
            probe = subprocess.run([str(python), "-I", "-c", "import nca"], capture_output=True, text=True)
            why = (probe.stderr.strip().splitlines() or ["nca imports; the worker's stderr is in the test output"])
            raise _NotReadyError(f"nca_worker.py does not start under {python}: {why[-1]}")
        self.version = hello["nca"]
        self._ids = itertools.count(1)
        self.current = None  # the id of the configuration the worker holds

    def build(self, objects, policy_count):
        """Build a configuration in the worker; its id. nca resets its
        universe first, so the one before is gone even if this one fails."""
        self.current = next(self._ids)
        self.ask({"op": "config", "id": self.current, "objects": objects, "policies": policy_count})
        return self.current

    def ask(self, request):
        try:
            self._proc.stdin.write(json.dumps(request, separators=(",", ":")) + "\n")
            self._proc.stdin.flush()
        except OSError:
            pass  # the worker ended: reported below
        answer = self._read()
        if answer is None:
            raise RuntimeError(f"the nca worker ended with exit code {self._proc.wait()} (its stderr is above)")
        if "error" in answer:
            error = _ERRORS.get(answer["error"])
            raise error(answer["message"]) if error else RuntimeError(f"nca failed:\n{answer['traceback']}")
        return answer

    def _read(self):
        line = self._proc.stdout.readline()
        return json.loads(line) if line else None

    def close(self):
        self._proc.stdin.close()
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()
