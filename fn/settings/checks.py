"""What the schema cannot say: settings Pipelock would refuse to start with,
and settings that do nothing. Every check of the functionConfig beyond its
schema is here."""

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
    return out
