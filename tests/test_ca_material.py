"""The TLS CA objects in the input, checked as Pipelock v2.2.0 loads them.

Keys and certificates are made by the real openssl (tests/pki.py), in each
form users' tools write: SEC 1 EC (`pipelock tls init`, cert-manager ECDSA
+ PKCS1), PKCS#8, RSA, a leading EC PARAMETERS block, an unsupported curve,
certificates that are no CA or lack keyCertSign, and a key that belongs to
another certificate. Pipelock accepts only the first (internal/certgen,
LoadCA: x509.ParseECPrivateKey on the first PEM block, then IsCA,
KeyUsageCertSign, an ECDSA key, and a matching pair).
"""

import base64

import pytest
import yaml

from conftest import AGENT_ITEM, run_function
from pki import ec_key, needs_openssl, rsa_key, self_signed

pytestmark = needs_openssl


def _b64(path):
    return base64.b64encode(path.read_bytes()).decode()


def _secret(name, data, namespace="agents", section="data"):
    lines = [(f"- apiVersion: v1\n  kind: Secret\n  metadata:\n    name: {name}\n    namespace: {namespace}\n"
              f"  type: Opaque\n  {section}:\n")]
    for key, value in data.items():
        lines.append(f"    {key}: {value}\n" if section == "data" else f"    {key}: |\n"
                     + "".join(f"      {line}\n" for line in value.splitlines()))
    return "".join(lines)


def _config_map(name, data, namespace="agents"):
    body = "".join(f"    {key}: |\n" + "".join(f"      {line}\n" for line in value.splitlines())
                   for key, value in data.items())
    return (f"- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: {name}\n    namespace: {namespace}\n"
            f"  data:\n{body}")


def _run(objects, tls="secretName: pipelock-ca"):
    text = ("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n" + AGENT_ITEM + objects
            + "functionConfig:\n  apiVersion: fn.pipelock.dev/v1alpha1\n  kind: CompanionProxy\n"
            + "  metadata: {name: t}\n  spec:\n    tls: {" + tls + "}\n")
    out, _err, code = run_function(text.encode())
    results = yaml.safe_load(out)["results"]
    return code, [r for r in results if r["severity"] == "error"]


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    d = tmp_path_factory.mktemp("ca")
    key = ec_key(d, "ca-key.pem")
    return {
        "dir": d,
        "key": key,
        "cert": self_signed(d, "ca.pem", key),
        "other_key": ec_key(d, "other-key.pem"),
    }


def _pair(pki, key=None, cert=None):
    return {"ca.pem": _b64(cert or pki["cert"]), "ca-key.pem": _b64(key or pki["key"])}


def test_a_ca_pipelock_loads_passes(pki):
    code, errors = _run(_secret("pipelock-ca", _pair(pki)))
    assert (code, errors) == (0, [])


def test_string_data_is_read_too(pki):
    data = {"ca.pem": pki["cert"].read_text(), "ca-key.pem": pki["key"].read_text()}
    code, errors = _run(_secret("pipelock-ca", data, section="stringData"))
    assert (code, errors) == (0, [])


@pytest.mark.parametrize(("make", "expected"), [
    (lambda d: ec_key(d, "pkcs8.pem", form="pkcs8"), "PKCS#8"),
    (lambda d: rsa_key(d, "rsa.pem"), "RSA"),
    (lambda d: rsa_key(d, "rsa8.pem", pkcs1=False), "PKCS#8"),
    (lambda d: ec_key(d, "params.pem", form="with-params"), "EC PARAMETERS"),
    (lambda d: ec_key(d, "k1.pem", curve="secp256k1"), "curve"),
])
def test_a_key_pipelock_cannot_parse_is_an_error_naming_the_field(pki, make, expected):
    key = make(pki["dir"])
    code, errors = _run(_secret("pipelock-ca", _pair(pki, key=key)))
    assert code == 1
    assert [(e["resourceRef"]["kind"], e["resourceRef"]["name"], e["field"]["path"]) for e in errors] == [
        ("Secret", "pipelock-ca", "data[ca-key.pem]")]
    assert expected in errors[0]["message"]
    assert "algorithm: ECDSA, encoding: PKCS1" in errors[0]["message"]


@pytest.mark.parametrize(("extensions", "expected"), [
    ("basicConstraints = critical,CA:FALSE\nkeyUsage = critical,digitalSignature\n", "not a CA"),
    ("basicConstraints = critical,CA:TRUE\nkeyUsage = critical,digitalSignature\n", "keyCertSign"),
    ("basicConstraints = critical,CA:TRUE\n", "keyCertSign"),
])
def test_a_certificate_pipelock_refuses_is_an_error(pki, extensions, expected):
    cert = self_signed(pki["dir"], f"cert-{abs(hash(extensions))}.pem", pki["key"], extensions=extensions)
    code, errors = _run(_secret("pipelock-ca", _pair(pki, cert=cert)))
    assert code == 1
    assert [e["field"]["path"] for e in errors] == ["data[ca.pem]"]
    assert expected in errors[0]["message"]


def test_an_rsa_ca_certificate_is_an_error(pki):
    rsa = rsa_key(pki["dir"], "rsa-ca-key.pem")
    cert = self_signed(pki["dir"], "rsa-ca.pem", rsa)
    code, errors = _run(_secret("pipelock-ca", _pair(pki, cert=cert)))
    assert code == 1
    assert any("not ECDSA" in e["message"] for e in errors)


def test_a_key_of_another_certificate_is_an_error(pki):
    code, errors = _run(_secret("pipelock-ca", _pair(pki, key=pki["other_key"])))
    assert code == 1
    assert len(errors) == 1
    assert "does not match" in errors[0]["message"] or "not the one of the private key" in errors[0]["message"]


def test_cert_manager_names_get_a_hint(pki):
    data = {"tls.crt": _b64(pki["cert"]), "tls.key": _b64(pki["key"]), "ca.crt": _b64(pki["cert"])}
    code, errors = _run(_secret("pipelock-ca", data))
    assert code == 1
    assert {e["field"]["path"] for e in errors} == {"data[ca-key.pem]", "data[ca.pem]"}
    assert all("certKey: tls.crt" in e["message"] for e in errors)


def test_cert_manager_names_configured_pass(pki):
    data = {"tls.crt": _b64(pki["cert"]), "tls.key": _b64(pki["key"]), "ca.crt": _b64(pki["cert"])}
    code, errors = _run(_secret("pipelock-ca", data), tls="secretName: pipelock-ca, certKey: tls.crt, keyKey: tls.key")
    assert (code, errors) == (0, [])


def test_upstreams_two_objects(pki):
    # docs/guides/deployment-recipes.md: ConfigMap pipelock-ca (ca.pem), Secret pipelock-ca-key (ca-key.pem).
    objects = (_config_map("pipelock-ca", {"ca.pem": pki["cert"].read_text()})
               + _secret("pipelock-ca-key", {"ca-key.pem": _b64(pki["key"])}))
    code, errors = _run(objects, tls="secretName: pipelock-ca-key, certConfigMap: pipelock-ca")
    assert (code, errors) == (0, [])
    code, errors = _run(objects.replace("ca.pem: |", "cert.pem: |"),
                        tls="secretName: pipelock-ca-key, certConfigMap: pipelock-ca")
    assert code == 1
    assert [(e["resourceRef"]["kind"], e["field"]["path"]) for e in errors] == [("ConfigMap", "data[ca.pem]")]


def test_secret_that_is_not_base64_is_an_error(pki):
    code, errors = _run(_secret("pipelock-ca", {"ca.pem": _b64(pki["cert"]), "ca-key.pem": "not*base64"}))
    assert code == 1
    assert "not base64" in errors[0]["message"]


def test_a_secret_elsewhere_is_not_ours(pki):
    # Another namespace's Secret of the same name is not mounted by the agent's proxy.
    rsa = rsa_key(pki["dir"], "elsewhere.pem")
    code, errors = _run(_secret("pipelock-ca", _pair(pki, key=rsa), namespace="other"))
    assert (code, errors) == (0, [])
