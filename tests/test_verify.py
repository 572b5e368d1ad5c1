"""`pipelock-companion verify`: reports, changes nothing; passes on the
generated topology, fails when a user's policy voids it."""

import ipaddress
import os

import yaml

from pipelock_companion.verify import netpol

from conftest import run_function
from kpt_packages import EXAMPLES, resource_list

# One Deployment opted in, no function config.
BASIC = resource_list(os.path.join(EXAMPLES, "basic-deployment"))

ALLOW_ALL = """- apiVersion: networking.k8s.io/v1
  kind: NetworkPolicy
  metadata:
    name: allow-everything
    namespace: agents
  spec:
    podSelector: {}
    policyTypes: [Egress]
    egress:
    - {}
"""


def _generated():
    out, err, code = run_function(BASIC.encode())
    assert code == 0, err
    return out.split("\nresults:\n", 1)[0] + "\n"


def _items(text):
    return yaml.safe_load(text)["items"]


def test_verify_passes_on_the_generated_topology_and_changes_nothing():
    package = _generated()
    out, err, code = run_function(package.encode(), ["verify"])
    assert code == 0, err
    assert out.split("\nresults:\n", 1)[0] + "\n" == package
    results = yaml.safe_load(out)["results"]
    assert [r["severity"] for r in results] == ["info"]
    assert "verified 1 managed agent" in results[0]["message"]


def test_verify_fails_on_a_permissive_user_policy():
    package = _generated().replace("\nitems:\n", "\nitems:\n" + ALLOW_ALL, 1)
    out, _, code = run_function(package.encode(), ["verify"])
    assert code == 1
    errors = [r for r in yaml.safe_load(out)["results"] if r["severity"] == "error"]
    assert errors and all(r["resourceRef"]["name"] == "allow-everything" for r in errors)
    assert any("203.0.113.7" in r["message"] for r in errors)  # the concrete leaking peer
    assert out.split("\nresults:\n", 1)[0] + "\n" == package  # still nothing changed


def test_verify_reports_a_missing_agent_policy():
    package = _generated()
    items = _items(package)
    kept = [i for i in items if i["metadata"]["name"] != "research-agent-pipelock-egress"]
    assert len(kept) == len(items) - 1
    text = yaml.safe_dump({"apiVersion": "config.kubernetes.io/v1", "kind": "ResourceList", "items": kept})
    out, _, code = run_function(text.encode(), ["verify"])
    assert code == 1
    messages = [r["message"] for r in yaml.safe_load(out)["results"] if r["severity"] == "error"]
    assert any("isolat" in m for m in messages), messages


def test_mode_verify_in_the_function_config():
    package = _generated().replace("\nitems:\n", "\nitems:\n" + ALLOW_ALL, 1)
    package += ("functionConfig:\n  apiVersion: fn.pipelock.dev/v1alpha1\n  kind: CompanionProxy\n"
                "  metadata:\n    name: gate\n  spec:\n    mode: verify\n")
    out, _, code = run_function(package.encode())
    assert code == 1
    assert len(_items(out)) == len(_items(package))


def test_a_policy_the_api_server_would_reject_is_reported():
    bad = """- apiVersion: networking.k8s.io/v1
  kind: NetworkPolicy
  metadata:
    name: typo
    namespace: agents
  spec:
    podSelector:
      matchExpressions: [{key: app, operator: Is, values: [x]}]
    policyTypes: [Egress]
"""
    out, _, code = run_function(_generated().replace("\nitems:\n", "\nitems:\n" + bad, 1).encode(), ["verify"])
    warnings = [r for r in yaml.safe_load(out)["results"] if r["severity"] == "warning"]
    assert code == 0
    assert any(r["resourceRef"]["name"] == "typo" and "operator 'Is'" in r["message"] for r in warnings)


def _with_config(spec_yaml):
    return BASIC + ("functionConfig:\n  apiVersion: fn.pipelock.dev/v1alpha1\n  kind: CompanionProxy\n"
                      "  metadata:\n    name: open\n  spec:\n" + spec_yaml)


def test_metadata_stays_forbidden_when_deny_cidrs_drop_it():
    """A config that empties denyCIDRs still may not open cloud metadata to the proxy:
    the generated policy keeps every metadata range out, in every address form."""
    out, err, code = run_function(_with_config("    proxyEgress:\n      denyCIDRs: []\n").encode())
    assert code == 0, err
    (proxy_policy,) = [i for i in _items(out) if i["metadata"]["name"].endswith("-pipelock-policy")]
    policies = netpol.PolicySet([proxy_policy])
    proxy = netpol.Pod("agents", proxy_policy["spec"]["podSelector"]["matchLabels"])
    for address in ("169.254.169.254", "168.63.129.16", "0.0.0.1", "::ffff:169.254.169.254", "64:ff9b::a9fe:a9fe",
                    "2002:a9fe:a9fe::1", "::a9fe:a9fe", "64:ff9b:1::a9fe:a9fe", "2001::1", "fd00:ec2::254",
                    "fe80::a9fe:a9fe", "fd20:ce::254"):
        assert not policies.egress_allowed(proxy, ipaddress.ip_address(address), 443, "TCP"), address
    # the private ranges it dropped are reachable now, and so is the internet, NAT64 included
    for address in ("10.0.0.1", "203.0.113.7", "64:ff9b::cb00:7107", "2606:4700::1111"):
        assert policies.egress_allowed(proxy, ipaddress.ip_address(address), 443, "TCP"), address


def test_allowing_metadata_is_a_config_error():
    out, _, code = run_function(_with_config("    proxyEgress:\n      allowCIDRs: [169.254.169.254/32]\n").encode())
    assert code == 1
    errors = [r for r in yaml.safe_load(out)["results"] if r["severity"] == "error"]
    assert [r["field"]["path"] for r in errors] == ["spec.proxyEgress.allowCIDRs[0]"]
    assert "cloud metadata" in errors[0]["message"]
