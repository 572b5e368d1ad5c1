"""Settings Pipelock (or the registry, or the kubelet) would refuse, refused
at render time with an error naming the field; and the operational
defaults that depend on them (images, PDB, modes)."""

import pytest
import yaml

from pipelock_companion import conventions as C
from pipelock_companion.settings import Settings, checks
from pipelock_companion.settings import load as load_settings
from pipelock_companion.topology import disruption_budget
from pipelock_companion.topology.agent import Agent

from conftest import AGENT_ITEM, run_function

DIGEST = "sha256:" + "0123456789abcdef" * 4


class _Config:
    def __init__(self, spec):
        self.data = {"apiVersion": C.API_VERSION, "kind": C.KIND, "metadata": {"name": "t"}, "spec": spec}


def _results(spec):
    return load_settings(_Config(spec))


def _errors(spec):
    return [(r.field["path"] if r.field else None) for r in _results(spec)[1] if r.severity == "error"]


def _run(spec_yaml):
    text = ("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n" + AGENT_ITEM
            + "functionConfig:\n  apiVersion: fn.pipelock.dev/v1alpha1\n  kind: CompanionProxy\n"
            + "  metadata: {name: t}\n  spec:\n" + "".join(f"    {line}\n" for line in spec_yaml.splitlines()))
    out, _, code = run_function(text.encode())
    return code, yaml.safe_load(out)


def _proxy(document):
    return next(i for i in document["items"]
                if i["kind"] == "Deployment" and i["metadata"]["name"].endswith("pipelock"))


# --- images ------------------------------------------------------------------------------


@pytest.mark.parametrize(("image", "version", "expected"), [
    ("ghcr.io/luckypipewrench/pipelock", "2.2.0", "ghcr.io/luckypipewrench/pipelock:2.2.0"),
    (f"ghcr.io/luckypipewrench/pipelock@{DIGEST}", "2.2.0", f"ghcr.io/luckypipewrench/pipelock:2.2.0@{DIGEST}"),
    (f"ghcr.io/luckypipewrench/pipelock:2.2.0@{DIGEST}", "2.2.0", f"ghcr.io/luckypipewrench/pipelock:2.2.0@{DIGEST}"),
    ("registry.local:5000/mirror/pipelock", "2.3.0-rc.1", "registry.local:5000/mirror/pipelock:2.3.0-rc.1"),
    ("ghcr.io/luckypipewrench/pipelock:2.2.0", "2.2.0", "ghcr.io/luckypipewrench/pipelock:2.2.0"),
])
def test_proxy_image_reference(image, version, expected):
    settings, results = _results({"image": image, "version": version})
    assert [r for r in results if r.severity == "error"] == []
    assert settings.image_ref == expected


def test_digest_pinned_proxy_is_what_the_deployment_pulls():
    code, document = _run(f"image: ghcr.io/luckypipewrench/pipelock@{DIGEST}")
    assert code == 0
    container = _proxy(document)["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == f"ghcr.io/luckypipewrench/pipelock:2.2.0@{DIGEST}"


@pytest.mark.parametrize(("spec", "path"), [
    ({"version": "v2.2.0"}, "spec.version"),           # never published: GoReleaser tags without the v
    ({"version": "2.2.0+build.5"}, "spec.version"),   # '+' is not allowed in a tag
    ({"image": "ghcr.io/luckypipewrench/pipelock:2.1.0"}, "spec.image"),  # a tag that contradicts version
    ({"image": "ghcr.io/luckypipewrench/pipelock@sha256:abc"}, "spec.image"),  # not a digest
    ({"image": "GHCR.io/Pipelock"}, "spec.image"),     # repository paths are lowercase
    ({"probes": {"image": "curlimages/curl"}}, "spec.probes.image"),  # unpinned: whatever latest is
    ({"tls": {"secretName": "ca", "trustImage": "alpine"}}, "spec.tls.trustImage"),
])
def test_image_settings_that_cannot_be_pulled_as_meant_are_errors(spec, path):
    assert path in _errors(spec)


def test_version_with_v_says_what_to_write():
    (result,) = [r for r in _results({"version": "v2.2.0"})[1] if r.severity == "error"]
    assert result.field == {"path": "spec.version", "currentValue": "v2.2.0", "proposedValue": "2.2.0"}


@pytest.mark.parametrize("image", [f"curlimages/curl@{DIGEST}", f"curlimages/curl:8.11.1@{DIGEST}"])
def test_probe_image_pinned_by_digest(image):
    assert _errors({"probes": {"enabled": True, "image": image}}) == []


def test_mirrored_proxy_image_warns_about_the_trust_image():
    settings, results = _results({"image": "registry.local/pipelock", "tls": {"secretName": "ca"}})
    warnings = [r for r in results if r.severity == "warning"]
    assert [r.field["path"] for r in warnings] == ["spec.tls.trustImage"]
    assert settings.trust_image_ref == "ghcr.io/luckypipewrench/pipelock-init:2.2.0"
    settings, results = _results({"image": "registry.local/pipelock",
                                  "tls": {"secretName": "ca", "trustImage": "registry.local/pipelock-init:2.2.0"}})
    assert results == []
    assert settings.trust_image_ref == "registry.local/pipelock-init:2.2.0"


def test_trust_image_follows_version():
    assert Settings.from_spec({"version": "2.3.0", "tls": {"secretName": "ca"}}).trust_image_ref == \
        "ghcr.io/luckypipewrench/pipelock-init:2.3.0"


# --- TLS modes: refuse exactly what Pipelock would see and refuse ------------------------------


def _kubelet_mode(default_mode):
    # pkg/volume/volume_linux.go: with fsGroup, a read-only volume's files get mode | roMask (0440).
    return default_mode | 0o440


def _pipelock_refuses(file_mode):
    # internal/config/config.go validateTLSInterception: keyInfo.Mode().Perm() & 0o137 != 0.
    return file_mode & 0o137 != 0


@pytest.mark.parametrize("mode", range(0o1000))
def test_every_default_mode_is_refused_exactly_when_pipelock_would(mode):
    refused = "spec.tls.defaultMode" in _errors({"tls": {"secretName": "ca", "defaultMode": mode}})
    assert refused is _pipelock_refuses(_kubelet_mode(mode))


@pytest.mark.parametrize("mode", [0o400, 0o600, 0o440, 0o640])
def test_modes_without_group_read_work_with_fsgroup(mode):
    # The seed's "0400 trap": the kubelet makes it 0440, readable by the proxy's group.
    assert _errors({"tls": {"secretName": "ca", "defaultMode": mode}}) == []


# --- replicas and the PDB -------------------------------------------------------------------------


@pytest.mark.parametrize("replicas", [1, 2, 3, 10])
def test_pdb_never_blocks_a_drain_and_keeps_the_rest(replicas):
    settings = Settings.from_spec({"replicas": replicas})
    agent = Agent(item=None, kind="Deployment", api_version="apps/v1", name="a", namespace="n", proxy="a-pipelock",
                  identity="deployment/a", selector={"matchLabels": {"app": "a"}}, pod_labels={"app": "a"},
                  settings=settings)
    spec = disruption_budget.build(agent, settings)["spec"]
    # The disruption controller's arithmetic (pkg/controller/disruption):
    # desiredHealthy = minAvailable, or expected pods - maxUnavailable; an
    # eviction is allowed while healthy pods exceed it.
    desired = spec["minAvailable"] if "minAvailable" in spec else replicas - spec["maxUnavailable"]
    assert replicas - desired == 1  # all healthy: a drain may always take one pod
    assert desired >= min(1, replicas - 1)  # and never the last one while there are two or more
    upstream_desired = 1  # upstream's minAvailable: 1
    assert (replicas - upstream_desired >= 1) is (replicas >= 2)  # which blocks every drain with one replica


def test_one_replica_warns():
    results = _results({"replicas": 1})[1]
    assert [(r.severity, r.field["path"]) for r in results] == [("warning", "spec.replicas")]
    assert _results({"replicas": 2})[1] == []


# --- strict without an allowlist ---------------------------------------------------------------------


def test_strict_without_allowlist_names_upstreams_list_as_the_migration():
    (result,) = _results({"preset": "strict"})[1]
    assert (result.severity, result.field["path"]) == ("error", "spec.apiAllowlist")
    for host in C.UPSTREAM_DEFAULT_ALLOWLIST:
        assert host in result.message


def test_upstream_default_allowlist_is_pipelocks():
    # Defaults().APIAllowlist, internal/config/config.go at v2.2.0: ten entries, three chat platforms.
    assert len(C.UPSTREAM_DEFAULT_ALLOWLIST) == 10
    assert {"api.telegram.org", "*.discord.com", "*.slack.com"} <= set(C.UPSTREAM_DEFAULT_ALLOWLIST)


# --- the passthrough probe's URL --------------------------------------------------------------------


@pytest.mark.parametrize(("url", "ok"), [
    ("https://login.bank.example/", True),
    ("https://deep.login.bank.example/x", True),
    ("https://bank.example/", False),     # Pipelock's isPassthrough: *.x does not match x
    ("https://example.com/", False),
    ("https://exact.example.org:8443/", True),
])
def test_passthrough_probe_url_must_be_one_pipelock_passes_through(url, ok):
    spec = {"passthroughDomains": ["*.bank.example", "exact.example.org"], "tls": {"secretName": "ca"},
            "probes": {"enabled": True, "passthroughURL": url}}
    assert ("spec.probes.passthroughURL" in _errors(spec)) is not ok


def test_is_passthrough_matches_pipelocks_rules():
    assert checks.is_passthrough("a.b.example", ["*.example"])
    assert not checks.is_passthrough("example", ["*.example"])
    assert checks.is_passthrough("Login.Example.com", ["login.example.COM"])
