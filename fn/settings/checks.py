"""What the schema cannot say: settings Pipelock would refuse to start with,
and settings that do nothing. Every check of the functionConfig beyond its
schema is here."""

from .. import addresses
from .. import conventions as C
from ..krm import results as R

# Pipelock refuses a CA key file whose mode has any bit of 0o137 (world
# access, group write or execute, owner execute).
PIPELOCK_KEY_MODE_MASK = 0o137
GROUP_READ = 0o040


def key_mode_problem(mode):
    """Why a Secret defaultMode cannot work for the CA key, or None.

    Secret files are owned by root and, with the pod's fsGroup, by a group
    the proxy (UID 65534) is in: the proxy reads the key through the
    group-read bit, so 0400 is the trap — allowed by Pipelock, unreadable
    by the proxy."""
    if mode & PIPELOCK_KEY_MODE_MASK:
        return (f"defaultMode {mode:#o} is rejected by Pipelock: the CA key file must not be world-accessible, "
                f"group-writable or executable (mode & 0o137 must be 0). Use 0440 (or 0640)")
    if not mode & GROUP_READ:
        return (f"defaultMode {mode:#o} has no group-read bit: the files belong to root and the fsGroup, and the "
                f"proxy runs as UID {C.NOBODY}, so it could not read the CA key. Use 0440 (or 0640)")
    return None


def check(settings):
    """[Result] for the settings as a whole."""
    ref = settings.ref
    out = []
    if settings.tls is not None:
        problem = key_mode_problem(settings.tls.default_mode)
        if problem:
            out.append(R.Result(problem, R.ERROR, ref,
                                R.field("spec.tls.defaultMode", f"{settings.tls.default_mode:#o}", "0440")))
    if settings.preset == "strict" and not settings.api_allowlist:
        out.append(R.Result(
            "preset strict blocks every host not in api_allowlist, and Pipelock refuses to start with an empty "
            "one: set spec.apiAllowlist to the APIs the agents call (e.g. api.openai.com, *.anthropic.com)",
            R.ERROR, ref, R.field("spec.apiAllowlist")))
    if settings.api_allowlist and settings.preset != "strict":
        out.append(R.Result(
            f"spec.apiAllowlist is enforced only by preset strict; with preset {settings.preset} it is written "
            "to the config but blocks nothing", R.WARNING, ref, R.field("spec.apiAllowlist")))
    if settings.passthrough_domains and settings.tls is None:
        out.append(R.Result(
            "spec.passthroughDomains only matters with TLS interception (spec.tls): without it Pipelock never "
            "intercepts, so every domain already passes through", R.WARNING, ref, R.field("spec.passthroughDomains")))
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
