"""Every address form of IPv4, in the generated proxy policy and in the
analysis: an IPv6 address that reaches a forbidden IPv4 address is
forbidden. The oracle (tests/oracles/addresses.py) decodes addresses with
Python's own ipaddress and RFC 6052's layout, apart from fn/addresses.py;
the generated policy is evaluated with the netpol model."""

import ipaddress

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelock_companion import addresses
from pipelock_companion import conventions as C
from pipelock_companion.topology import policy_rules
from pipelock_companion.verify import netpol
from pipelock_companion.verify import reachability as R

from oracles.addresses import LOCAL_NAT64, NAT64
from oracles.addresses import forbidden as forbidden_by_oracle

IP = ipaddress.ip_address
NET = ipaddress.ip_network
PROXY = {"app": "proxy"}


# -- reading CIDRs as the API server does ------------------------------------

@pytest.mark.parametrize(("text", "network", "noted"), [
    ("10.0.0.0/8", "10.0.0.0/8", False),
    ("010.000.000.000/08", "10.0.0.0/8", True),   # Go's ParseCIDRSloppy: leading zeros are decimal
    ("000.000.000.000/0", "0.0.0.0/0", True),
    ("10.1.2.3/8", "10.0.0.0/8", True),           # host bits: accepted, dropped
    ("fe80::/10", "fe80::/10", False),
    ("::ffff:169.254.0.0/112", "::ffff:a9fe:0/112", True),
])
def test_parse_network_reads_what_the_api_server_accepts(text, network, noted):
    parsed, note = addresses.parse_network(text)
    assert parsed == NET(network)
    assert bool(note) is noted


@pytest.mark.parametrize("text", ["nope", "10.0.0.0", "10.0.0.0/33", "1.2.3.4.5/32", "0x0a.0.0.0/8", None, 10,
                                  "10.0.0.0/8/8", "1.2.3.1000/32"])
def test_parse_network_refuses_what_is_not_a_cidr(text):
    assert addresses.parse_network(text) == (None, None)


def test_a_user_block_with_leading_zeros_is_what_the_api_server_reads():
    """`000.000.000.000/0` is every IPv4 address to the API server; reading
    it as nothing would hide an allow-all."""
    sloppy = {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
              "metadata": {"name": "sloppy", "namespace": "agents"},
              "spec": {"podSelector": {}, "policyTypes": ["Egress"],
                       "egress": [{"to": [{"ipBlock": {"cidr": "000.000.000.000/0"}}]}]}}
    policies = netpol.PolicySet([sloppy])
    assert policies.egress_allowed(netpol.Pod("agents", {}), IP("203.0.113.7"), 443, "TCP")
    assert [(p.field, p.rejects) for p in policies.problems] == [("spec.egress[0].to[0].ipBlock.cidr", False)]
    (leak,) = R.agent_egress([sloppy], "agents", {"app": "agent"}, PROXY)
    assert str(leak.peer) == "203.0.113.7"


def test_an_ipv4_mapped_user_block_covers_its_ipv4_addresses():
    """Go-based CNIs read ::ffff:a.b.c.d/(96+p) as a.b.c.d/p; an except in
    that form may be read as nothing: the block may allow more, never less."""
    mapped = {"metadata": {"name": "m", "namespace": "agents"},
              "spec": {"podSelector": {}, "policyTypes": ["Egress"], "egress": [{"to": [{"ipBlock": {
                  "cidr": "::ffff:0:0/96", "except": ["::ffff:169.254.0.0/112"]}}]}]}}
    policies = netpol.PolicySet([mapped])
    pod = netpol.Pod("agents", {})
    assert policies.egress_allowed(pod, IP("203.0.113.7"), 443, "TCP")
    assert policies.egress_allowed(pod, IP("169.254.169.254"), 443, "TCP")
    assert {p.rejects for p in policies.problems} == {False} and len(policies.problems) == 2


# -- translated forms ---------------------------------------------------------

def test_images_of_an_ipv4_range():
    metadata = NET("169.254.0.0/16")
    assert [str(addresses.embedded(prefix, offset, metadata)) for prefix, offset in addresses.EMBEDDINGS] == [
        "64:ff9b::a9fe:0/112", "::a9fe:0/112", "2002:a9fe::/32"]
    forbidden = addresses.forbidden_networks([metadata])
    assert LOCAL_NAT64 in forbidden and NET("2001::/32") in forbidden
    assert addresses.forbidden_networks([NET("fc00::/7")]) == [NET("fc00::/7")]  # no IPv4: nothing to translate


def addresses_near(networks):
    """Addresses at, just inside and just outside each network, in every form."""
    out = set()
    for network in networks:
        for value in (int(network.network_address), int(network.broadcast_address)):
            for delta in (-1, 0, 1):
                if 0 <= value + delta < 2 ** network.max_prefixlen:
                    out.add(ipaddress.ip_address(value + delta) if network.version == 4
                            else ipaddress.IPv6Address(value + delta))
    v4 = [a for a in out if a.version == 4]
    for a in v4:
        out.update({IP(f"::ffff:{a}"), IP(f"64:ff9b::{a}"), IP(f"::{a}"),
                    ipaddress.IPv6Address((0x2002 << 112) | (int(a) << 80) | 1),
                    ipaddress.IPv6Address((0x64ff9b0001 << 88) | int(a)),
                    ipaddress.IPv6Address((0x20010000 << 96) | (int(a) << 64) | 7)})
    return sorted(out, key=lambda a: (a.version, int(a)))


def generated(allow, deny):
    spec = {"podSelector": {"matchLabels": PROXY}, "policyTypes": ["Egress"],
            "egress": [{"to": policy_rules.internet_peers(allow, deny), "ports": [{"port": 443}]}]}
    return {"metadata": {"name": "proxy", "namespace": "agents"}, "spec": spec}


DENY_LISTS = [C.DEFAULT_DENY_CIDRS, (), ("10.0.0.0/8",), ("8.8.8.0/24", "fd00::/8")]


@pytest.mark.parametrize("deny", DENY_LISTS)
def test_the_generated_proxy_policy_blocks_every_form_of_a_forbidden_address(deny):
    policy = generated(C.EVERYWHERE_CIDRS, deny)
    policies = netpol.PolicySet([policy])
    proxy = netpol.Pod("agents", PROXY)
    effective = (*C.METADATA_CIDRS, *deny)
    probes = addresses_near([NET(c) for c in effective] + [NET("203.0.113.0/24"), NET("2606:4700::/32")])
    for ip in probes:
        allowed = policies.egress_allowed(proxy, ip, 443, "TCP")
        if forbidden_by_oracle(ip, effective):
            assert not allowed, ip
        elif ip.version == 4 or ip in NAT64:
            assert allowed, ip  # the proxy still reaches the internet, and NAT64 the same IPv4 addresses
    # and the analysis agrees: no leak in what was generated
    assert R.proxy_egress([policy], "agents", PROXY, forbidden=list(effective)) == []


@settings(max_examples=300, deadline=None)
@given(st.integers(0, 2 ** 32 - 1), st.sampled_from(["mapped", "nat64", "compatible", "6to4", "local-nat64"]))
def test_the_analysis_forbids_every_form_of_a_forbidden_address(value, form):
    """A user rule that opens exactly one translated address to the proxy is
    a leak exactly when the IPv4 address it reaches is forbidden."""
    v4 = ipaddress.IPv4Address(value)
    ip = {"mapped": lambda: IP(f"::ffff:{v4}"), "nat64": lambda: IP(f"64:ff9b::{v4}"),
          "compatible": lambda: IP(f"::{v4}"),
          "6to4": lambda: ipaddress.IPv6Address((0x2002 << 112) | (value << 80) | 1),
          "local-nat64": lambda: ipaddress.IPv6Address((0x64ff9b0001 << 88) | value)}[form]()
    wire = ip.ipv4_mapped or ip
    cidr = f"{wire}/{wire.max_prefixlen}"
    policy = {"metadata": {"name": "one", "namespace": "agents"},
              "spec": {"podSelector": {"matchLabels": PROXY}, "policyTypes": ["Egress"],
                       "egress": [{"to": [{"ipBlock": {"cidr": cidr}}], "ports": [{"port": 443}]}]}}
    leaks = R.proxy_egress([policy], "agents", PROXY)
    assert bool(leaks) == forbidden_by_oracle(ip, R.FORBIDDEN_CIDRS), (ip, leaks)


def test_the_generated_policy_never_holds_an_ipv4_mapped_cidr():
    for deny in DENY_LISTS:
        for peer in policy_rules.internet_peers(C.EVERYWHERE_CIDRS, deny):
            block = peer["ipBlock"]
            for text in (block["cidr"], *block.get("except", ())):
                network, note = addresses.parse_network(text)
                assert note is None and not addresses.is_mapped(network), text


def test_nat64_reaches_only_the_allowed_ipv4_addresses():
    """With IPv4 narrowed to one range, NAT64 follows it; the rest of IPv6 stays open."""
    policy = generated(("203.0.113.0/24", "::/0"), ())
    policies = netpol.PolicySet([policy])
    proxy = netpol.Pod("agents", PROXY)
    assert policies.egress_allowed(proxy, IP("64:ff9b::203.0.113.9"), 443, "TCP")
    assert not policies.egress_allowed(proxy, IP("64:ff9b::8.8.8.8"), 443, "TCP")
    assert policies.egress_allowed(proxy, IP("2606:4700::1111"), 443, "TCP")
    assert not policies.egress_allowed(proxy, IP("8.8.8.8"), 443, "TCP")


# -- the default deny list against the clouds' metadata endpoints -------------

CLOUD_METADATA = {
    "AWS IMDS": ["169.254.169.254", "fd00:ec2::254"],
    "AWS ECS task credentials": ["169.254.170.2"],
    "AWS EKS Pod Identity": ["169.254.170.23", "fd00:ec2::23"],
    "AWS DNS, NTP": ["169.254.169.253", "169.254.169.123", "fd00:ec2::253", "fd00:ec2::123"],
    "GCP": ["169.254.169.254", "fd20:ce::254"],
    "Azure IMDS and WireServer": ["169.254.169.254", "168.63.129.16"],
    "Oracle OCI": ["169.254.169.254", "fd00:c1::a9fe:a9fe"],
    "Oracle Cloud Classic": ["192.0.0.192"],
    "Alibaba": ["100.100.100.200"],
    "Tencent": ["169.254.0.23"],
    "OpenStack": ["169.254.169.254", "fe80::a9fe:a9fe"],
    "Scaleway": ["169.254.42.42", "fd00:42::42"],
    "this network": ["0.0.0.1"],
}


@pytest.mark.parametrize("cloud", sorted(CLOUD_METADATA))
def test_metadata_endpoints_are_always_forbidden(cloud):
    """Whatever denyCIDRs says, the always-forbidden list covers each
    endpoint (and the generated policy blocks it in every form)."""
    always = [NET(c) for c in C.METADATA_CIDRS]
    policies = netpol.PolicySet([generated(C.EVERYWHERE_CIDRS, ())])
    proxy = netpol.Pod("agents", PROXY)
    for text in CLOUD_METADATA[cloud]:
        ip = IP(text)
        assert any(ip.version == n.version and ip in n for n in always), text
        forms = [ip] + ([IP(f"::ffff:{ip}"), IP(f"64:ff9b::{ip}")] if ip.version == 4 else [])
        for form in forms:
            assert not policies.egress_allowed(proxy, form, 443, "TCP"), form
