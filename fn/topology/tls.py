"""Checks of the TLS-interception CA mount (field report, gotcha 5).

Pipelock refuses a CA key file whose mode has any bit of 0o137 (world
access, group write or execute, owner execute). Secret files are owned by
root and, with the pod's fsGroup, by a group the proxy (UID 65534) is in:
so the proxy reads the key through the group-read bit, and 0400 is the
trap: allowed by Pipelock, unreadable by the proxy.
"""

from ..krm import results as R

PIPELOCK_MODE_MASK = 0o137
GROUP_READ = 0o040


def mode_problem(mode):
    """Why a defaultMode cannot work, or None."""
    if mode & PIPELOCK_MODE_MASK:
        return (f"defaultMode {mode:#o} is rejected by Pipelock: the CA key file must not be world-accessible, "
                f"group-writable or executable (mode & 0o137 must be 0). Use 0440 (or 0640)")
    if not mode & GROUP_READ:
        return (f"defaultMode {mode:#o} has no group-read bit: the files belong to root and the fsGroup, and the "
                f"proxy runs as UID 65534, so it could not read the CA key. Use 0440 (or 0640)")
    return None


def check(cfg, function_config):
    tls = cfg["tls"]
    if not tls:
        return []
    problem = mode_problem(tls["defaultMode"])
    if problem is None:
        return []
    ref = function_config.ref() if function_config is not None else None
    return [R.Result(problem, R.ERROR, ref, R.field("spec.tls.defaultMode", f"{tls['defaultMode']:#o}", "0440"))]
