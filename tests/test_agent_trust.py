"""With TLS interception, every routed container trusts the Pipelock CA and
the public roots, and never sees the CA key.

The patched workload and the probe Job are checked as data; the init
container's script is run for real with sh over openssl-made certificates,
and the bundle it writes is checked with `openssl verify` (an intercepted
host's certificate and a passthrough host's public one both verify; the
CA file alone verifies only the intercepted one).
"""

import os
import shutil
import subprocess

import pytest
import yaml

from pipelock_companion import conventions as C
from pipelock_companion.topology import tls

from conftest import run_function
from pki import OPENSSL, ec_key, leaf, needs_openssl, self_signed

TRUST_ENV = set(C.TRUST_BUNDLE_ENV + C.TRUST_EXTRA_ENV)
# An agent with a downloading init container, a native sidecar and two containers.
WORKLOAD = """\
- apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: agent
    namespace: agents
    annotations:
      pipelock.dev/inject: "true"
  spec:
    selector:
      matchLabels: {app: agent}
    template:
      metadata:
        labels: {app: agent}
      spec:
        initContainers:
        - name: fetch-models
          image: example.com/fetch:1
        - name: log-shipper
          image: example.com/shipper:1
          restartPolicy: Always
        containers:
        - name: agent
          image: example.com/agent:1.0.0
        - name: tools
          image: example.com/tools:1.0.0
          volumeMounts:
          - {name: scratch, mountPath: /scratch}
        volumes:
        - name: scratch
          emptyDir: {}
"""


def _run(tls_spec, workload=WORKLOAD, extra=""):
    text = ("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n" + workload
            + "functionConfig:\n  apiVersion: fn.pipelock.dev/v1alpha1\n  kind: CompanionProxy\n"
            + "  metadata: {name: t}\n  spec:\n    tls: " + tls_spec + "\n" + extra)
    out, err, code = run_function(text.encode())
    return code, yaml.safe_load(out), err


def _pod(document, kind="Deployment", name="agent"):
    item = next(i for i in document["items"] if i["kind"] == kind and i["metadata"]["name"] == name)
    return item["spec"]["template"]["spec"]


def _env(container):
    return {e["name"]: e.get("value") for e in container.get("env") or []}


def test_every_routed_container_gets_the_trust_and_the_init_container_runs_first():
    code, document, err = _run("{secretName: pipelock-ca}")
    assert code == 0, err
    pod = _pod(document)
    assert [c["name"] for c in pod["initContainers"]] == [C.TRUST_CONTAINER, "fetch-models", "log-shipper"]
    routed = pod["initContainers"][1:] + pod["containers"]
    assert len(routed) == 4
    for container in routed:
        env = _env(container)
        assert {name: env[name] for name in C.TRUST_BUNDLE_ENV} == dict.fromkeys(C.TRUST_BUNDLE_ENV, tls.BUNDLE_PATH)
        assert env["NODE_EXTRA_CA_CERTS"] == tls.CA_PATH  # Node adds it to its own roots
        assert env["HTTPS_PROXY"].startswith("http://agent-pipelock.")
        assert {"name": C.TRUST_VOLUME, "mountPath": C.TRUST_DIR, "readOnly": True} in container["volumeMounts"]
    # the user's own mount is kept, first
    assert pod["containers"][1]["volumeMounts"][0] == {"name": "scratch", "mountPath": "/scratch"}


def test_the_key_never_reaches_the_agent_pod():
    code, document, _ = _run("{secretName: pipelock-ca, certKey: tls.crt, keyKey: tls.key}")
    assert code == 0
    pod = _pod(document)
    (source,) = [v for v in pod["volumes"] if v["name"] == C.CA_SOURCE_VOLUME]
    # items project only the listed key: the kubelet writes nothing else.
    assert source["secret"]["items"] == [{"key": "tls.crt", "path": C.CA_CERT_FILE}]
    assert "tls.key" not in yaml.safe_dump(pod)
    # and only the init container mounts even the certificate
    mounts = [(c["name"], m["name"]) for c in pod["initContainers"] + pod["containers"]
              for m in c.get("volumeMounts") or []]
    assert [name for name, volume in mounts if volume == C.CA_SOURCE_VOLUME] == [C.TRUST_CONTAINER]
    # while the proxy gets both, under fixed names
    proxy = _pod(document, name="agent-pipelock")
    (ca,) = [v for v in proxy["volumes"] if v["name"] == "tls-ca"]
    assert ca["secret"]["items"] == [{"key": "tls.crt", "path": "ca.pem"}, {"key": "tls.key", "path": "ca-key.pem"}]


def test_upstreams_configmap_certificate_keeps_the_agent_off_the_key_secret():
    code, document, _ = _run("{secretName: pipelock-ca-key, certConfigMap: pipelock-ca}")
    assert code == 0
    agent = _pod(document)
    assert "pipelock-ca-key" not in yaml.safe_dump(agent)
    (source,) = [v for v in agent["volumes"] if v["name"] == C.CA_SOURCE_VOLUME]
    assert source["configMap"] == {"name": "pipelock-ca", "items": [{"key": "ca.pem", "path": "ca.pem"}],
                                   "defaultMode": 0o444}
    proxy = _pod(document, name="agent-pipelock")
    volumes = {v["name"]: v for v in proxy["volumes"]}
    assert volumes["tls-ca"]["secret"]["items"] == [{"key": "ca-key.pem", "path": "ca-key.pem"}]
    assert volumes["tls-ca-cert"]["configMap"]["name"] == "pipelock-ca"
    config = yaml.safe_load(next(i for i in document["items"] if i["kind"] == "ConfigMap")["data"]["pipelock.yaml"])
    assert config["tls_interception"]["ca_cert"] == f"{C.TLS_CERT_DIR}/ca.pem"
    assert config["tls_interception"]["ca_key"] == f"{C.TLS_DIR}/ca-key.pem"


def test_agent_trust_none_leaves_the_workload_to_you():
    code, document, _ = _run("{secretName: pipelock-ca, agentTrust: none}")
    assert code == 0
    pod = _pod(document)
    assert [c["name"] for c in pod["initContainers"]] == ["fetch-models", "log-shipper"]
    assert not TRUST_ENV & set(_env(pod["containers"][0]))


def test_without_tls_nothing_is_added():
    text = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n" + WORKLOAD
    out, _, code = run_function(text.encode())
    assert code == 0
    assert C.TRUST_DIR not in out and "SSL_CERT_FILE" not in out


@pytest.mark.parametrize(("change", "path"), [
    (("        - name: agent\n", "        - name: pipelock-trust\n"), "spec.template.spec.containers[0].name"),
    (("        - name: scratch\n          emptyDir: {}\n", "        - name: pipelock-trust\n          emptyDir: {}\n"),
     "spec.template.spec.volumes[0].name"),
    (("          - {name: scratch, mountPath: /scratch}\n",
      "          - {name: scratch, mountPath: /etc/pipelock-trust}\n"),
     "spec.template.spec.containers[1].volumeMounts[0].mountPath"),
    (("          image: example.com/agent:1.0.0\n",
      ("          image: example.com/agent:1.0.0\n          env:\n"
      "          - {name: SSL_CERT_FILE, value: /etc/ssl/mine.pem}\n")),
     "spec.template.spec.containers[0].env[0].value"),
])
def test_a_name_or_path_the_trust_needs_already_taken_is_an_error(change, path):
    code, document, _ = _run("{secretName: pipelock-ca}", workload=WORKLOAD.replace(*change))
    assert code == 1
    errors = [r for r in document["results"] if r["severity"] == "error"]
    assert [e["field"]["path"] for e in errors] == [path]
    assert "agentTrust: none" in errors[0]["message"]


def test_the_probe_pod_trusts_as_the_agent_does():
    code, document, _ = _run("{secretName: pipelock-ca}", extra="    probes: {enabled: true}\n")
    assert code == 0
    pod = _pod(document, kind="Job", name="agent-pipelock-probe")
    assert pod["initContainers"][0]["name"] == C.TRUST_CONTAINER
    env = _env(pod["containers"][0])
    assert env["CURL_CA_BUNDLE"] == tls.BUNDLE_PATH
    assert env["PIPELOCK_CA"] == tls.CA_PATH
    assert env["TLS_INTERCEPTION"] == "true"
    assert pod["securityContext"]["runAsUser"] == C.NOBODY


# --- the init container's script, run for real -------------------------------------------------------


@pytest.fixture(scope="module")
def certificates(tmp_path_factory):
    d = tmp_path_factory.mktemp("trust")
    pipelock_key = ec_key(d, "pipelock-key.pem")
    pipelock_ca = self_signed(d, "pipelock-ca.pem", pipelock_key)
    public_key = ec_key(d, "public-key.pem")
    public_root = self_signed(d, "public-root.pem", public_key, cn="Public Root")
    # A roots file without a final newline: the script must still keep the PEM blocks apart.
    (d / "roots.crt").write_text(public_root.read_text().rstrip("\n"))
    return {
        "dir": d, "ca": pipelock_ca, "roots": d / "roots.crt",
        "intercepted": leaf(d, "intercepted", pipelock_ca, pipelock_key, "api.example.com")[0],
        "public": leaf(d, "public", public_root, public_key, "login.bank.example")[0],
    }


def _run_script(certificates, ca_text=None):
    d = certificates["dir"]
    source, out = d / "source", d / "out"
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(source, exist_ok=True)
    os.makedirs(out)
    (source / C.CA_CERT_FILE).write_text(certificates["ca"].read_text() if ca_text is None else ca_text)
    script = (tls.BUNDLE_SCRIPT.replace(C.PUBLIC_ROOTS, str(certificates["roots"]))
              .replace(C.CA_SOURCE_DIR, str(source)).replace(C.TRUST_DIR, str(out)))
    assert script != tls.BUNDLE_SCRIPT
    proc = subprocess.run(["sh", "-c", script], capture_output=True, text=True, timeout=30)
    return proc, out


def _verifies(ca_file, certificate):
    proc = subprocess.run([OPENSSL, "verify", "-CAfile", str(ca_file), str(certificate)], capture_output=True,
                          text=True, timeout=30)
    return proc.returncode == 0


@needs_openssl
def test_bundle_verifies_intercepted_and_passthrough_hosts(certificates):
    proc, out = _run_script(certificates)
    assert proc.returncode == 0, proc.stderr
    bundle, ca_alone = out / C.TRUST_BUNDLE_FILE, out / C.TRUST_CA_FILE
    assert _verifies(bundle, certificates["intercepted"])
    assert _verifies(bundle, certificates["public"])
    assert _verifies(ca_alone, certificates["intercepted"])
    assert not _verifies(ca_alone, certificates["public"])
    assert "PRIVATE KEY" not in bundle.read_text()


@needs_openssl
def test_script_refuses_a_source_without_a_certificate(certificates):
    # A wrong certKey would give agents a bundle without the CA: the pod must not start.
    proc, out = _run_script(certificates, ca_text="")
    assert proc.returncode != 0
    assert "no certificate" in proc.stderr
    assert not (out / C.TRUST_BUNDLE_FILE).exists()


def test_a_workload_patched_before_tls_was_on_is_flagged():
    # A second run refreshes the companions but leaves a managed workload as it is.
    code, first, _ = _run("{secretName: pipelock-ca}")
    assert code == 0
    without_tls = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n" + WORKLOAD
    out, _, code = run_function(without_tls.encode())
    patched = out.split("\nresults:\n", 1)[0].split("\nitems:\n", 1)[1] + "\n"
    code, document, _ = _run("{secretName: pipelock-ca}", workload=patched)
    assert code == 0
    def flagged(document):
        return [(r["severity"], r["resourceRef"]["name"]) for r in document["results"]
                if "without the Pipelock CA trust" in r["message"]]

    assert flagged(document) == [("warning", "agent")]
    # and one patched with TLS on is not
    patched_with = yaml.safe_dump([first["items"][0]], sort_keys=False)
    code, document, _ = _run("{secretName: pipelock-ca}", workload=patched_with)
    assert code == 0
    assert flagged(document) == []
