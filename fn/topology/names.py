"""Names and labels of the companion objects, all derived in one place."""

import re

try:  # CPython's own SHA-256: hashlib would load OpenSSL (~4 MiB, ~5 ms) at every start
    from _sha2 import sha256 as _sha256  # Python >= 3.12
except ImportError:
    try:
        from _sha256 import sha256 as _sha256  # Python 3.10, 3.11
    except ImportError:  # pragma: no cover - a build without them
        from hashlib import sha256 as _sha256

from .. import __version__

MANAGED_BY = "pipelock-companion"
CONFIG_DIR = "/etc/pipelock"
# Not under CONFIG_DIR: a mount point cannot be made inside a read-only
# ConfigMap volume.
TLS_DIR = "/etc/pipelock-tls"
PROXY_PORT = 8888
METRICS_PORT = 9091

# Annotations the function reads from and writes onto workloads.
INJECT = "pipelock.dev/inject"
TOPOLOGY = "pipelock.dev/topology"
TOPOLOGY_VALUE = "companion-proxy"
PROXY_NAME = "pipelock.dev/proxy-name"
PROXY_SERVICE = "pipelock.dev/proxy-service"
AGENT_IDENTITY = "pipelock.dev/agent-identity"
CONFIG_CHECKSUM = "pipelock.dev/config-checksum"

_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
MAX_LABEL = 63


class NameError_(ValueError):
    """A name that cannot become a valid DNS label."""


def sanitize(name):
    """Lowercase; each run outside [a-z0-9] becomes one `-`; trimmed of `-`."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def sha256_hex(text):
    return _sha256(text.encode()).hexdigest()


def label(name, suffix="", what="name"):
    """A DNS-1123 label: `name` sanitized, then `suffix`, at most 63 chars.

    A name too long gives up its end (never the suffix) to a hash of the
    whole name, so two long names that share a prefix stay distinct.
    """
    base = sanitize(name)
    if not base:
        raise NameError_(f"{what} {name!r} has no letters or digits to make a name from")
    if len(base) + len(suffix) > MAX_LABEL:
        digest = sha256_hex(name)[:8]
        base = base[:MAX_LABEL - len(suffix) - 9].rstrip("-") + "-" + digest
    return base + suffix


def dns_label(name, what, suffix=""):
    """A valid RFC 1035 label (a Service name) from `name`, or NameError_."""
    label_ = label(name, suffix, what)
    if not _LABEL.match(label_):
        raise NameError_(f"{what} {name!r} gives {label_!r}, which does not start with a letter "
                         f"(a Service name must be an RFC 1035 label)")
    return label_


def proxy_labels(proxy):
    """The proxy pods' selector labels."""
    return {
        "app.kubernetes.io/name": "pipelock",
        "app.kubernetes.io/instance": proxy,
        "app.kubernetes.io/component": "proxy",
    }


def common_labels(proxy, component="proxy"):
    """Labels on every generated object; `component` tells them apart
    (config, proxy, network-policy, agent-network-policy, pdb)."""
    labels = proxy_labels(proxy)
    labels["app.kubernetes.io/component"] = component
    labels["app.kubernetes.io/managed-by"] = MANAGED_BY
    labels["app.kubernetes.io/version"] = __version__
    return labels


def agent_policy_name(workload):
    return f"{workload}-pipelock-egress"


def proxy_policy_name(proxy):
    return f"{proxy}-policy"


def pdb_name(proxy):
    return f"{proxy}-pdb"


def service_host(proxy, namespace, cluster_domain):
    """The proxy's host for agents. With a namespace, the FQDN (a NO_PROXY
    suffix like `.svc` never matches it); without one (kustomize or kpt set
    it later), the short name, which resolves in the pod's own namespace."""
    return f"{proxy}.{namespace}.svc.{cluster_domain}" if namespace else proxy


def proxy_url(proxy, namespace, cluster_domain):
    return f"http://{service_host(proxy, namespace, cluster_domain)}:{PROXY_PORT}"


def host_forms(name, namespace, cluster_domain):
    """Every name a client may use for a Service: clients match NO_PROXY
    against the host as written, so each form is listed."""
    if not namespace:
        return [name]
    return [name, f"{name}.{namespace}", f"{name}.{namespace}.svc", f"{name}.{namespace}.svc.{cluster_domain}"]
