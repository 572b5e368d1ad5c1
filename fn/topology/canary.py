"""The equivalent of `pipelock init sidecar`'s canary, as a result.

Upstream scans `https://github.com/test?key=<synthetic AWS key>` with the
config it generated and refuses to emit one whose DLP does not catch it
(internal/cli/setup/sidecar_canary.go, v2.2.0). It passes only when the
block comes from DLP, not from an earlier layer. We run the same question
over each generated config, with Pipelock's scanner order
(internal/scanner/scanner.go `scan`) for the layers our configs can set:
scheme, allowlist (strict only), blocklist, core SSRF literal, core DLP.

One difference, deliberate: upstream's fixed github.com is "not allowed"
for a strict allowlist without it, so the canary host here is one the
allowlist lets through; otherwise DLP would never be reached. Like
upstream's, this is a URL scan: through an HTTPS tunnel without TLS
interception Pipelock sees only the host (docs/tls.md).
"""

import ipaddress
import re

from .. import conventions as C
from ..krm import results as R
from . import names

CANARY_HOST = "github.com"  # upstream's
# Pipelock's immutable core DLP pattern for AWS access key IDs
# (internal/scanner/core.go, "AWS Access ID"), the one the canary trips.
CORE_AWS_ACCESS_ID = re.compile(r"(AKIA|A3T|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|ASIA)[A-Z0-9]{16,}")


def match_domain(host, pattern):
    """Pipelock's MatchDomain: exact, or `*.x` for `x` and any host under it."""
    host, pattern = host.lower().rstrip("."), pattern.lower().rstrip(".")
    if names.is_ip(host):
        return host == pattern
    if pattern.startswith("*."):
        return host == pattern[2:] or host.endswith(pattern[1:])
    return host == pattern


def host_for(document):
    """The canary's host: upstream's, unless strict's allowlist would stop
    it first; then the first allowlisted name (`*.x` allows `x` itself)."""
    allowlist = (document.get("api_allowlist") or []) if document.get("mode") == "strict" else []
    if not allowlist or any(match_domain(CANARY_HOST, p) for p in allowlist):
        return CANARY_HOST
    hosts = [p[2:] if p.startswith("*.") else p for p in allowlist]
    return next((h for h in hosts if not names.is_ip(h)), hosts[0])


def scan(document, host):
    """The layer that blocks `https://<host>/test?key=<canary>`, or None."""
    url = f"https://{host}/test?key={C.CANARY_KEY}"
    allowlist = (document.get("api_allowlist") or []) if document.get("mode") == "strict" else []
    if allowlist and not any(match_domain(host, p) for p in allowlist):
        return "allowlist"
    monitoring = (document.get("fetch_proxy") or {}).get("monitoring") or {}
    if any(match_domain(host, p) for p in monitoring.get("blocklist") or []):
        return "blocklist"
    if names.is_ip(host) and not ipaddress.ip_address(host).is_global:
        return "core_ssrf"
    if CORE_AWS_ACCESS_ID.search(url):
        return "core_dlp"
    return None


def result(document):
    """The canary's verdict on one generated config, as a result."""
    host = host_for(document)
    layer = scan(document, host)
    what = f"a URL to {host} carrying a synthetic AWS access key ID (`pipelock init sidecar`'s canary)"
    if layer in ("core_dlp", "dlp"):
        if document.get("enforce") is False:
            return R.Result(f"canary: Pipelock's DLP detects {what}, but preset audit only logs it (enforce: false)",
                            R.INFO)
        return R.Result(f"canary: Pipelock's DLP blocks {what}", R.INFO)
    blocked = f"is blocked by the {layer} before DLP runs" if layer else "is not blocked"
    return R.Result(f"canary: {what} {blocked}, so this config's DLP is untested; upstream refuses such a config",
                    R.WARNING)

