"""TLS interception's CA: who mounts which part of it.

The proxy mounts the key (and the certificate) under fixed names, so the
Pipelock config never depends on the Secret's key names. The agents never
see the key: an init container reads the certificate alone (a volume with
`items:` projects only the listed keys) and writes, into an emptyDir, the
public roots followed by the Pipelock CA. Every routed container mounts
that emptyDir read-only and is pointed at it:

- SSL_CERT_FILE, REQUESTS_CA_BUNDLE, CURL_CA_BUNDLE, GIT_SSL_CAINFO replace
  a client's default roots, so they get the combined bundle: intercepted
  hosts verify against the Pipelock CA, passthrough hosts (public
  certificates) against the public roots;
- NODE_EXTRA_CA_CERTS adds to Node's own roots, so it gets the CA alone.

Why an init container in another image: the agent's image may have no
shell, and Pipelock's image is FROM scratch. Upstream's pipelock-init image
(Alpine: sh, cat, the public roots; USER 65534) is published with every
release, so its default tag follows spec.version.
"""

from .. import conventions as C
from .meta import container_security

# The init container's script: refuse a source without a certificate (a
# wrong key name would otherwise give agents a bundle without the CA), keep
# PEM blocks apart when the roots file lacks a final newline.
BUNDLE_SCRIPT = (
    "set -eu\n"
    f"roots={C.PUBLIC_ROOTS}\n"
    f"ca={C.CA_SOURCE_DIR}/{C.CA_CERT_FILE}\n"
    f"out={C.TRUST_DIR}\n"
    'grep -q "BEGIN CERTIFICATE" "$ca" || { echo "no certificate in $ca" >&2; exit 1; }\n'
    'grep -q "BEGIN CERTIFICATE" "$roots" || { echo "no public roots in $roots" >&2; exit 1; }\n'
    f'{{ cat "$roots"; echo; cat "$ca"; }} > "$out/{C.TRUST_BUNDLE_FILE}"\n'
    f'cat "$ca" > "$out/{C.TRUST_CA_FILE}"\n'
)
BUNDLE_PATH = f"{C.TRUST_DIR}/{C.TRUST_BUNDLE_FILE}"
CA_PATH = f"{C.TRUST_DIR}/{C.TRUST_CA_FILE}"
# The public roots are ~0.2 MiB.
TRUST_VOLUME_SIZE = "4Mi"


# -- the proxy ------------------------------------------------------------------

def proxy_cert_path(tls):
    directory = C.TLS_CERT_DIR if tls.cert_config_map else C.TLS_DIR
    return f"{directory}/{C.CA_CERT_FILE}"


def proxy_key_path(tls):
    return f"{C.TLS_DIR}/{C.CA_KEY_FILE}"


def proxy_volumes(tls):
    """[(volume, mount)] of the CA for the proxy container."""
    items = [{"key": tls.key_key, "path": C.CA_KEY_FILE}]
    if not tls.cert_config_map:
        items.insert(0, {"key": tls.cert_key, "path": C.CA_CERT_FILE})
    out = [({"name": "tls-ca", "secret": {"secretName": tls.secret_name, "defaultMode": tls.default_mode,
                                          "items": items}},
            {"name": "tls-ca", "mountPath": C.TLS_DIR, "readOnly": True})]
    if tls.cert_config_map:
        out.append(({"name": "tls-ca-cert", "configMap": {"name": tls.cert_config_map,
                                                          "items": [{"key": tls.cert_key, "path": C.CA_CERT_FILE}]}},
                    {"name": "tls-ca-cert", "mountPath": C.TLS_CERT_DIR, "readOnly": True}))
    return out


# -- the agents -------------------------------------------------------------------

def trust_env():
    """(name, value) of the trust variables every routed container gets."""
    return [(name, BUNDLE_PATH) for name in C.TRUST_BUNDLE_ENV] + [(name, CA_PATH) for name in C.TRUST_EXTRA_ENV]


def trust_mount():
    return {"name": C.TRUST_VOLUME, "mountPath": C.TRUST_DIR, "readOnly": True}


def trust_volumes(tls):
    """The certificate alone (never the key) and the emptyDir of the bundle."""
    items = [{"key": tls.cert_key, "path": C.CA_CERT_FILE}]
    if tls.cert_config_map:
        source = {"configMap": {"name": tls.cert_config_map, "items": items, "defaultMode": 0o444}}
    else:
        # The agent's pod names the Secret, but the kubelet writes only the
        # listed key into the volume: the key never reaches the pod.
        source = {"secret": {"secretName": tls.secret_name, "items": items, "defaultMode": 0o444}}
    return [
        {"name": C.CA_SOURCE_VOLUME, **source},
        {"name": C.TRUST_VOLUME, "emptyDir": {"sizeLimit": TRUST_VOLUME_SIZE}},
    ]


def trust_init_container(settings):
    """The init container that writes the bundle; it runs first, so every
    other init container (and native sidecar) already has it. A custom
    trustImage needs sh, cat, grep, the public roots at PUBLIC_ROOTS and a
    numeric non-root USER."""
    return {
        "name": C.TRUST_CONTAINER,
        "image": settings.trust_image_ref,
        "imagePullPolicy": "IfNotPresent",
        "command": ["sh", "-c", BUNDLE_SCRIPT],
        "resources": {"requests": {"cpu": "10m", "memory": "16Mi"}, "limits": {"cpu": "100m", "memory": "32Mi"}},
        # The image's USER (65534 in pipelock-init) applies.
        "securityContext": container_security(),
        "volumeMounts": [
            {"name": C.CA_SOURCE_VOLUME, "mountPath": C.CA_SOURCE_DIR, "readOnly": True},
            {"name": C.TRUST_VOLUME, "mountPath": C.TRUST_DIR},
        ],
    }


def add_trust(spec, settings):
    """The init container (first) and the volumes, on a pod spec whose
    routed containers mount trust_mount() (the agent's, the probe's)."""
    spec["initContainers"] = [trust_init_container(settings), *(spec.get("initContainers") or [])]
    spec["volumes"] = [*(spec.get("volumes") or []), *trust_volumes(settings.tls)]
