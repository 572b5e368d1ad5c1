"""What the schema cannot say: settings Pipelock would refuse to start with,
and settings that do nothing. Every check of the functionConfig beyond its
schema is here."""

from .. import addresses
from .. import conventions as C
from ..krm import results as R
from . import go_duration, images

# Pipelock refuses a CA key file whose mode has any bit of 0o137 (world
# access, group write or execute, owner execute): Validate() in
# internal/config/config.go, v2.2.0.
PIPELOCK_KEY_MODE_MASK = 0o137
# With fsGroup set, the kubelet ORs this into every file of a read-only
# volume (Secret, ConfigMap, projected) and gives the files the fsGroup:
# pkg/volume/volume_linux.go, roMask. kubernetes/kubernetes#57923.
KUBELET_READ_ONLY_MASK = 0o440


def key_mode_problem(mode):
    """Why a Secret defaultMode cannot work for the CA key, or None.

    The file Pipelock sees has mode `mode | 0o440` (our pod always sets
    fsGroup), owned by root and the fsGroup, which the proxy (UID and GID
    65534) is in: 0400 and 0600 end up 0440 and 0640, readable and accepted.
    Pipelock refuses exactly the modes with a bit of 0o137, and the kubelet
    never clears a bit, so those are the ones to refuse."""
    if mode & PIPELOCK_KEY_MODE_MASK:
        final = mode | KUBELET_READ_ONLY_MASK
        return (f"defaultMode {mode:#o}: the CA key file would have mode {final:#o} (with the pod's fsGroup the "
                f"kubelet adds 0440 and never removes a bit), which Pipelock refuses at start ('CA key ... is too "
                f"permissive'): it must not be world-accessible, group-writable or executable (mode & 0o137 must "
                f"be 0). Use 0440 (or 0400, 0600, 0640)")
    return None


def check(settings):
    """[Result] for the settings as a whole."""
    ref = settings.ref
    out = []

    def error(message, path, current=None, proposed=None):
        out.append(R.Result(message, R.ERROR, ref, R.field(path, current, proposed)))

    def warning(message, path, current=None):
        out.append(R.Result(message, R.WARNING, ref, R.field(path, current)))

    out += _images(settings, ref)
    if settings.tls is not None:
        out += _tls(settings, ref)
    if settings.preset == "strict" and not settings.api_allowlist:
        error("preset strict blocks every host not in spec.apiAllowlist, and Pipelock refuses to start with an empty "
              "one. Upstream's `pipelock init sidecar --preset strict` writes Pipelock's default list instead ("
              f"{', '.join(C.UPSTREAM_DEFAULT_ALLOWLIST)}), which opens chat webhooks and code hosts that accept "
              "writes; we do not. Set spec.apiAllowlist to the APIs your agents call (to keep upstream's behaviour, "
              "copy that list)", "spec.apiAllowlist")
    if settings.api_allowlist and settings.preset != "strict":
        warning(f"spec.apiAllowlist is enforced only by preset strict; with preset {settings.preset} it is written "
                "to the config but blocks nothing", "spec.apiAllowlist")
    if settings.passthrough_domains and settings.tls is None:
        warning("spec.passthroughDomains only matters with TLS interception (spec.tls): without it Pipelock never "
                "intercepts, so every domain already passes through", "spec.passthroughDomains")
    if settings.replicas == 1:
        warning("spec.replicas 1: a node drain or failure takes the only proxy, and every agent call fails (closed) "
                "until it is rescheduled. The PodDisruptionBudget (maxUnavailable: 1) lets drains proceed; use 2 or "
                "more replicas for availability", "spec.replicas", 1)
    out += _probes(settings, ref)
    out += _cidr_problems(settings, ref)
    return out


def _cidrs(settings):
    """(field path, text) of every CIDR in the settings."""
    out = [(f"spec.dns.cidrs[{i}]", c) for i, c in enumerate(settings.dns.cidrs)]
    out += [(f"spec.proxyEgress.allowCIDRs[{i}]", c) for i, c in enumerate(settings.proxy_egress.allow_cidrs)]
    out += [(f"spec.proxyEgress.denyCIDRs[{i}]", c) for i, c in enumerate(settings.proxy_egress.deny_cidrs)]
    for d, destination in enumerate(settings.destinations):
        out += [(f"spec.destinations[{d}].cidrs[{i}]", c) for i, c in enumerate(destination.cidrs)]
    return out


def _cidr_problems(settings, ref):
    """Every CIDR must be one the API server reads the same way in every
    mode: a generated policy it would reject leaves the pods unisolated."""
    out = []
    for path, text in _cidrs(settings):
        network, note = addresses.parse_network(text)
        if network is None:
            reason = "is not a CIDR"
        elif addresses.is_mapped(network):
            reason = (f"is an IPv4-mapped IPv6 network: write it as {addresses.mapped_to_ipv4(network)}. The API "
                      "server rejects a NetworkPolicy holding one under StrictIPCIDRValidation (leaving the pods "
                      "unisolated), and IPv4 traffic never matches it")
        elif note:
            reason = (f"is not in canonical form: write {network} (the API server rejects it under "
                      "StrictIPCIDRValidation)")
        else:
            continue
        out.append(R.Result(f"{path}: {text!r} {reason}", R.ERROR, ref, R.field(path, text)))
    if not out:
        out += _allow_problems(settings, ref)
    return out


def _allow_problems(settings, ref):
    """An allowed range that only reaches denied addresses, or IPv4 through
    a translator, is refused: the proxy policy would have to drop it."""
    always = [addresses.parse_network(c)[0] for c in C.METADATA_CIDRS]
    denied = [addresses.parse_network(c)[0] for c in settings.proxy_egress.deny_cidrs]
    out = []
    for i, text in enumerate(settings.proxy_egress.allow_cidrs):
        path = f"spec.proxyEgress.allowCIDRs[{i}]"
        network = addresses.parse_network(text)[0]
        reason = None
        if addresses.embedding_of(network) or addresses.is_unplaced(network):
            reason = ("is an IPv6 form of IPv4 addresses (NAT64, 6to4, IPv4-compatible or Teredo): allow the IPv4 "
                      "addresses instead; the proxy reaches them through NAT64 where the cluster has it")
        else:
            inside = next((d for d in always if network.version == d.version and network.subnet_of(d)), None)
            if inside is not None:
                reason = f"lies inside {inside}, cloud metadata, which the proxy may never reach"
            else:
                inside = next((d for d in denied if network.version == d.version and network.subnet_of(d)), None)
                if inside is not None:
                    reason = (f"lies inside {inside} of spec.proxyEgress.denyCIDRs: remove that entry (or narrow "
                              "it) to allow these addresses")
        if reason:
            out.append(R.Result(f"{path}: {text!r} {reason}", R.ERROR, ref, R.field(path, text)))
    return out


def _images(settings, ref):
    out = []
    version = settings.version
    if version.startswith("v"):
        out.append(R.Result(
            f"spec.version {version!r}: Pipelock's releases tag their images without the v ({version[1:]}), so "
            f"{images.split(settings.image)[0]}:{version} does not exist. Write {version[1:]!r} (a mirror with "
            "other tags: pin spec.image by digest)", R.ERROR, ref, R.field("spec.version", version, version[1:])))
    if "+" in version:
        out.append(R.Result(
            f"spec.version {version!r}: an image tag cannot contain '+' (build metadata); Pipelock's images are "
            f"tagged {version.split('+', 1)[0]}", R.ERROR, ref,
            R.field("spec.version", version, version.split("+", 1)[0])))
    _, tag, _ = images.split(settings.image)
    if tag is not None and tag != version:
        out.append(R.Result(
            f"spec.image {settings.image!r} names tag {tag!r} but spec.version is {version!r}: give the repository "
            "(optionally @sha256:digest) in spec.image and the version in spec.version", R.ERROR, ref,
            R.field("spec.image", settings.image)))
    for path, reference in (("spec.probes.image", settings.probes.image),
                            ("spec.tls.trustImage", settings.tls.trust_image if settings.tls else None)):
        if reference and not images.is_pinned(reference):
            out.append(R.Result(
                f"{path} {reference!r} has neither a tag nor a digest, so it pulls whatever `latest` is: pin it "
                "(repo:tag, or repo@sha256:digest)", R.ERROR, ref, R.field(path, reference)))
    return out


def _tls(settings, ref):
    tls = settings.tls
    out = []
    problem = key_mode_problem(tls.default_mode)
    if problem:
        out.append(R.Result(problem, R.ERROR, ref, R.field("spec.tls.defaultMode", f"{tls.default_mode:#o}", "0440")))
    if tls.cert_ttl is not None:
        try:
            ttl = go_duration.parse(tls.cert_ttl)
        except ValueError as err:
            out.append(R.Result(f"spec.tls.certTTL {tls.cert_ttl!r}: Pipelock refuses it at start ({err}; the "
                                "largest duration is 2562047h47m16.854775807s)", R.ERROR, ref,
                                R.field("spec.tls.certTTL", tls.cert_ttl)))
        else:
            if ttl <= 0:
                out.append(R.Result(f"spec.tls.certTTL {tls.cert_ttl!r} is {ttl}ns: Pipelock refuses it at start "
                                    '("cert_ttl must be positive"); use e.g. 24h', R.ERROR, ref,
                                    R.field("spec.tls.certTTL", tls.cert_ttl, "24h")))
    default_image, _, _ = images.split(C.DEFAULT_IMAGE)
    if settings.agent_trust and not tls.trust_image and images.split(settings.image)[0] != default_image:
        out.append(R.Result(
            f"spec.image is {settings.image!r}, but the agents' trust bundle is built with "
            f"{settings.trust_image_ref} from the public registry: set spec.tls.trustImage to your mirror of it",
            R.WARNING, ref, R.field("spec.tls.trustImage", None, settings.trust_image_ref)))
    return out


def _probes(settings, ref):
    url = settings.probes.passthrough_url
    if not url:
        return []
    host = url.split("://", 1)[1].split("/", 1)[0].split("?", 1)[0].rsplit("@", 1)[-1]
    host = host.rsplit(":", 1)[0] if not host.endswith("]") else host
    if settings.tls is None:
        return [R.Result("spec.probes.passthroughURL only matters with TLS interception (spec.tls)", R.WARNING, ref,
                         R.field("spec.probes.passthroughURL", url))]
    if not is_passthrough(host, settings.passthrough_domains):
        return [R.Result(
            f"spec.probes.passthroughURL host {host!r} matches no spec.passthroughDomains entry, so Pipelock "
            "intercepts it and the passthrough probe fails (`*.example.com` matches sub-domains only, not "
            "example.com itself)", R.ERROR, ref, R.field("spec.probes.passthroughURL", url))]
    return []


def is_passthrough(host, domains):
    """Pipelock's isPassthrough (internal/proxy/intercept.go, v2.2.0): an
    exact match, or `*.x` for any host ending in `.x` — not `x` itself."""
    host = host.lower()
    for given in domains:
        pattern = given.lower()
        if pattern == host or (pattern.startswith("*.") and host.endswith(pattern[1:])):
            return True
    return False


# Go's unicode.IsSpace, which strings.TrimSpace trims: Latin-1's spaces and
# the Unicode White_Space property.
_GO_SPACE = ("\t\n\v\f\r \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
             "\u2028\u2029\u202f\u205f\u3000")


def identity_problem(identity):
    """Why Pipelock would refuse `identity` as default_agent_identity with
    bind_default_agent_identity (validateDefaultAgentIdentity, v2.2.0), or None."""
    trimmed = identity.strip(_GO_SPACE)
    if not trimmed:
        return "is empty, and Pipelock refuses to bind an empty identity (bind_default_agent_identity)"
    if trimmed != identity:
        return "has leading or trailing whitespace, which Pipelock refuses in default_agent_identity"
    return None
