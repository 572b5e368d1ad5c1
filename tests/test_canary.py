"""`pipelock init sidecar`'s canary, as a result over each generated config."""

import pytest
import yaml

from pipelock_companion import conventions as C
from pipelock_companion.topology import canary

from conftest import AGENT_ITEM, run_function


def _run(spec=""):
    text = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n" + AGENT_ITEM
    if spec:
        text += ("functionConfig:\n  apiVersion: fn.pipelock.dev/v1alpha1\n  kind: CompanionProxy\n"
                 "  metadata: {name: t}\n  spec:\n" + "".join(f"    {line}\n" for line in spec.splitlines()))
    out, _, code = run_function(text.encode())
    return code, [r for r in yaml.safe_load(out)["results"] if r["message"].startswith("canary:")]


def test_default_config_blocks_the_canary_with_dlp():
    code, (result,) = _run()
    assert code == 0
    assert result["severity"] == "info"
    assert "DLP blocks a URL to github.com" in result["message"]


def test_strict_allowlist_without_github_uses_an_allowed_host():
    # Upstream's fixed github.com would be stopped by the allowlist before DLP.
    code, (result,) = _run("preset: strict\napiAllowlist: ['*.anthropic.com', api.openai.com]")
    assert code == 0
    assert "DLP blocks a URL to anthropic.com" in result["message"]


def test_audit_detects_but_does_not_block():
    _, (result,) = _run("preset: audit")
    assert result["severity"] == "info"
    assert "only logs" in result["message"]


def test_the_synthetic_key_is_not_printed():
    # Results end up in logs and golden files: they must not trip secret scanners.
    _, (result,) = _run()
    assert C.CANARY_KEY not in result["message"]


def test_core_dlp_pattern_catches_the_canary_and_not_a_clean_url():
    assert canary.CORE_AWS_ACCESS_ID.search(f"https://github.com/test?key={C.CANARY_KEY}")
    assert not canary.CORE_AWS_ACCESS_ID.search("https://github.com/test?key=AKIA1234")


@pytest.mark.parametrize(("document", "layer"), [
    ({"mode": "balanced"}, "core_dlp"),
    ({"mode": "strict", "api_allowlist": ["github.com"]}, "core_dlp"),
    ({"mode": "balanced", "fetch_proxy": {"monitoring": {"blocklist": ["*.github.com"]}}}, "blocklist"),
    ({"mode": "strict", "api_allowlist": ["10.0.0.5"]}, "core_ssrf"),
])
def test_scan_follows_pipelocks_layer_order(document, layer):
    assert canary.scan(document, canary.host_for(document)) == layer


def test_a_config_whose_dlp_is_never_reached_is_a_warning():
    result = canary.result({"mode": "balanced", "fetch_proxy": {"monitoring": {"blocklist": ["github.com"]}}})
    assert result.severity == "warning"
    assert "blocklist before DLP" in result.message


@pytest.mark.parametrize(("host", "pattern", "matches"), [
    ("anthropic.com", "*.anthropic.com", True),  # MatchDomain covers the apex (isPassthrough does not)
    ("api.anthropic.com", "*.anthropic.com", True),
    ("evilanthropic.com", "*.anthropic.com", False),
    ("GitHub.com.", "github.com", True),
    ("10.0.0.5", "*.0.0.5", False),
])
def test_match_domain(host, pattern, matches):
    assert canary.match_domain(host, pattern) is matches
