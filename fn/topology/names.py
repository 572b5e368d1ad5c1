"""Names and labels of the companion objects, all derived in one place."""

import ipaddress
import re

try:  # CPython's own SHA-256: hashlib would load OpenSSL (~4 MiB, ~5 ms) at every start
    from _sha2 import sha256 as _sha256  # Python >= 3.12
except ImportError:
    try:
        from _sha256 import sha256 as _sha256  # Python 3.10, 3.11
    except ImportError:  # pragma: no cover - a build without them
        from hashlib import sha256 as _sha256

from .. import conventions as C

_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")
MAX_LABEL = 63


class InvalidNameError(ValueError):
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
        raise InvalidNameError(f"{what} {name!r} has no letters or digits to make a name from")
    if len(base) + len(suffix) > MAX_LABEL:
        digest = sha256_hex(name)[:8]
        base = base[:MAX_LABEL - len(suffix) - 9].rstrip("-") + "-" + digest
    return base + suffix


def dns_label(name, what, suffix=""):
    """A valid RFC 1035 label (a Service name) from `name`, or InvalidNameError."""
    label_ = label(name, suffix, what)
    if not _LABEL.match(label_):
        raise InvalidNameError(f"{what} {name!r} gives {label_!r}, which does not start with a letter "
                         f"(a Service name must be an RFC 1035 label)")
    return label_


def proxy_labels(proxy):
    """The proxy pods' selector labels."""
    return {
        C.NAME_LABEL: C.PROXY_APP,
        C.INSTANCE_LABEL: proxy,
        C.COMPONENT_LABEL: C.COMPONENT[C.Role.PROXY],
    }


def common_labels(proxy, role=C.Role.PROXY):
    """Labels on every generated object; the component label tells the roles apart."""
    labels = proxy_labels(proxy)
    labels[C.COMPONENT_LABEL] = C.COMPONENT[role]
    labels[C.MANAGED_BY_LABEL] = C.MANAGED_BY
    labels[C.VERSION_LABEL] = C.VERSION
    return labels


# Every generated name derives from the proxy name, which is a DNS label
# unique per namespace (selection refuses two agents on one proxy): so two
# agents never get objects of one name, and every name is valid for its
# kind. With the default proxy name <workload>-pipelock, the agent policy
# is <workload>-pipelock-egress.

def agent_policy_name(proxy):
    return f"{proxy}-egress"


def proxy_policy_name(proxy):
    return f"{proxy}-policy"


def pdb_name(proxy):
    return f"{proxy}-pdb"


def probe_name(proxy):
    """The probe Job and its ConfigMap: a label, since the Job's name becomes
    the value of its pods' job-name label (63 characters at most)."""
    return label(proxy, "-probe", "proxy name")


def service_host(proxy, namespace, cluster_domain):
    """The proxy's host for agents. With a namespace, the FQDN (a NO_PROXY
    suffix like `.svc` never matches it); without one (kustomize or kpt set
    it later), the short name, which resolves in the pod's own namespace."""
    return f"{proxy}.{namespace}.svc.{cluster_domain}" if namespace else proxy


def proxy_url(proxy, namespace, cluster_domain):
    return f"http://{service_host(proxy, namespace, cluster_domain)}:{C.PROXY_PORT}"


def host_forms(name, namespace, cluster_domain):
    """Every name a client may use for a Service: clients match NO_PROXY
    against the host as written, so each form is listed."""
    if not namespace:
        return [name]
    return [name, f"{name}.{namespace}", f"{name}.{namespace}.svc", f"{name}.{namespace}.svc.{cluster_domain}"]


def is_ip(text):
    """An IPv4 or IPv6 address (not a name)."""
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True
