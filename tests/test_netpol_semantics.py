"""Hand-worked NetworkPolicy cases, each from the Kubernetes documentation's
semantics (concepts/services-networking/network-policies and the
networking.k8s.io/v1 API reference), each with a concrete expected outcome."""

import ipaddress

from hypothesis import given, settings
from hypothesis import strategies as st

from pipelock_companion.verify.netpol import EGRESS, INGRESS, Pod, PolicySet

IP = ipaddress.ip_address
WEB = Pod("prod", {"app": "web"}, ip="10.1.0.5")
DB = Pod("prod", {"app": "db"}, ip="10.1.0.6", ports=[("pg", 5432, "TCP")])
OTHER_NS_DB = Pod("staging", {"app": "db"}, ip="10.2.0.6")
PUBLIC = IP("203.0.113.7")


def policy(spec, name="p", namespace="prod"):
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
            "metadata": {"name": name, "namespace": namespace}, "spec": spec}


def egress_policy(rules, selector=None, **kw):
    return policy({"podSelector": selector or {}, "policyTypes": ["Egress"], "egress": rules}, **kw)


def ingress_policy(rules, selector=None, **kw):
    return policy({"podSelector": selector or {}, "policyTypes": ["Ingress"], "ingress": rules}, **kw)


def out(policies, destination, port=443, protocol="TCP", source=WEB):
    return PolicySet(policies).egress_allowed(source, destination, port, protocol)


# -- isolation --------------------------------------------------------------

def test_no_policy_allows_everything():
    assert out([], PUBLIC)
    assert PolicySet([]).rules(WEB, EGRESS) is None


def test_default_deny_egress():
    deny = egress_policy([])
    assert not out([deny], PUBLIC)
    assert not out([deny], DB, 5432)
    # only egress is isolated, and only in its own namespace
    assert PolicySet([deny]).ingress_allowed(WEB, PUBLIC, 80, "TCP")
    assert out([deny], PUBLIC, source=OTHER_NS_DB)


def test_policy_selects_by_pod_labels_only():
    deny_db = egress_policy([], selector={"matchLabels": {"app": "db"}})
    assert out([deny_db], PUBLIC)  # web is not selected
    assert not out([deny_db], PUBLIC, source=DB)


def test_missing_namespace_means_default():
    deny = {"metadata": {"name": "d"}, "spec": {"podSelector": {}, "policyTypes": ["Egress"]}}
    assert not out([deny], PUBLIC, source=Pod("default", {"app": "x"}))
    assert out([deny], PUBLIC)


def test_rules_add_up_across_policies():
    to_cidr = egress_policy([{"to": [{"ipBlock": {"cidr": "203.0.113.0/24"}}]}], name="internet")
    to_db = egress_policy([{"to": [{"podSelector": {"matchLabels": {"app": "db"}}}],
                            "ports": [{"port": 5432}]}], name="db")
    both = [to_cidr, to_db]
    assert out(both, PUBLIC, 443) and out(both, DB, 5432)
    assert not out([to_cidr], DB, 5432) and not out([to_db], PUBLIC)
    assert not out(both, DB, 22)
    rules = PolicySet(both).allowing(WEB, EGRESS, DB, 5432, "TCP")
    assert [(r.policy.key, r.field) for r in rules] == [("prod/db", "spec.egress[0]")]


def test_connection_needs_egress_at_source_and_ingress_at_destination():
    deny_ingress = ingress_policy([], selector={"matchLabels": {"app": "db"}})
    policies = PolicySet([deny_ingress])
    assert policies.egress_allowed(WEB, DB, 5432, "TCP")
    assert not policies.connection_allowed(WEB, DB, 5432, "TCP")
    assert policies.connection_allowed(DB, WEB, 80, "TCP")
    # an address outside the cluster has no side of its own
    assert not policies.connection_allowed(PUBLIC, DB, 5432, "TCP")
    assert policies.connection_allowed(DB, PUBLIC, 443, "TCP")


# -- policyTypes defaulting -------------------------------------------------

def test_policy_types_default_to_ingress_only_without_egress_rules():
    spec = policy({"podSelector": {}})
    policies = PolicySet([spec])
    assert policies.rules(WEB, INGRESS) == [] and policies.rules(WEB, EGRESS) is None
    assert not policies.ingress_allowed(WEB, PUBLIC, 80, "TCP")
    assert policies.egress_allowed(WEB, PUBLIC, 443, "TCP")


def test_policy_types_default_adds_egress_when_egress_rules_exist():
    spec = policy({"podSelector": {}, "egress": [{"ports": [{"port": 53, "protocol": "UDP"}]}]})
    policies = PolicySet([spec])
    assert not policies.egress_allowed(WEB, PUBLIC, 443, "TCP")
    assert policies.egress_allowed(WEB, PUBLIC, 53, "UDP")
    assert not policies.ingress_allowed(WEB, PUBLIC, 80, "TCP")


def test_policy_types_default_ignores_an_empty_egress_list():
    # the API server adds Egress only when len(spec.egress) > 0
    spec = policy({"podSelector": {}, "egress": []})
    assert PolicySet([spec]).rules(WEB, EGRESS) is None
    empty_types = policy({"podSelector": {}, "policyTypes": [], "egress": [{}]})
    assert PolicySet([empty_types]).rules(WEB, INGRESS) == []  # [] is defaulted like a missing list
    assert len(PolicySet([empty_types]).rules(WEB, EGRESS)) == 1


def test_explicit_egress_type_leaves_ingress_open():
    spec = policy({"podSelector": {}, "policyTypes": ["Egress"], "ingress": []})
    assert PolicySet([spec]).ingress_allowed(WEB, PUBLIC, 80, "TCP")


# -- peers ------------------------------------------------------------------

def test_namespace_selector_by_metadata_name_label():
    rule = {"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "staging"}}}]}
    assert out([egress_policy([rule])], OTHER_NS_DB)
    assert not out([egress_policy([rule])], DB)


def test_namespace_selector_by_namespace_labels():
    rule = {"to": [{"namespaceSelector": {"matchLabels": {"env": "test"}}}]}
    labelled = Pod("staging", {"app": "db"}, namespace_labels={"env": "test"})
    assert out([egress_policy([rule])], labelled)
    assert not out([egress_policy([rule])], OTHER_NS_DB)


def test_pod_selector_alone_means_the_policy_namespace():
    rule = {"to": [{"podSelector": {"matchLabels": {"app": "db"}}}]}
    assert out([egress_policy([rule])], DB)
    assert not out([egress_policy([rule])], OTHER_NS_DB)


def test_pod_and_namespace_selector_in_one_peer_is_and():
    rule = {"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "staging"}},
                    "podSelector": {"matchLabels": {"app": "db"}}}]}
    policies = [egress_policy([rule])]
    assert out(policies, OTHER_NS_DB)
    assert not out(policies, Pod("staging", {"app": "web"}))  # right namespace, wrong pod
    assert not out(policies, DB)  # right pod, wrong namespace


def test_pod_and_namespace_selector_as_two_peers_is_or():
    rule = {"to": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "staging"}}},
                   {"podSelector": {"matchLabels": {"app": "db"}}}]}
    policies = [egress_policy([rule])]
    assert out(policies, Pod("staging", {"app": "web"}))  # any pod of staging
    assert out(policies, DB)  # db pods of the policy's namespace
    assert not out(policies, Pod("prod", {"app": "cache"}))
    assert not out(policies, Pod("dev", {"app": "db"}))


def test_empty_selectors_match_all():
    all_in_namespace = {"to": [{"podSelector": {}}]}
    all_namespaces = {"to": [{"namespaceSelector": {}}]}
    assert out([egress_policy([all_in_namespace])], DB)
    assert not out([egress_policy([all_in_namespace])], OTHER_NS_DB)
    assert out([egress_policy([all_namespaces])], OTHER_NS_DB)
    assert not out([egress_policy([all_namespaces])], PUBLIC)  # selectors never match an address


def test_ip_block_with_except_v4():
    rule = {"to": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]}}]}
    policies = [egress_policy([rule])]
    assert out(policies, IP("10.0.0.1"))
    assert out(policies, IP("10.2.255.255"))
    assert not out(policies, IP("10.1.0.0"))
    assert not out(policies, IP("10.1.255.255"))
    assert not out(policies, IP("11.0.0.0"))
    assert not out(policies, IP("2002:a00:1::"))  # 6to4: an IPv6 address on the wire, never in an IPv4 block


def test_ipv4_mapped_address_is_the_ipv4_address():
    """The kernel sends a connect() to ::ffff:a.b.c.d as IPv4 (tcp_v6_connect
    falls back to tcp_v4_connect), so the IPv4 rules decide, not the IPv6 ones."""
    v4 = {"to": [{"ipBlock": {"cidr": "0.0.0.0/0", "except": ["169.254.0.0/16"]}}]}
    v6 = {"to": [{"ipBlock": {"cidr": "::/0"}}]}
    policies = [egress_policy([v4, v6])]
    assert out(policies, IP("::ffff:10.0.0.1"))
    assert not out(policies, IP("::ffff:169.254.169.254"))  # excepted from the IPv4 block; ::/0 does not apply
    assert out(policies, IP("64:ff9b::a9fe:a9fe"))  # NAT64 is IPv6 on the wire: ::/0 allows it
    assert not out([egress_policy([v6])], IP("::ffff:203.0.113.7"))


def test_ip_block_with_except_v6():
    rule = {"to": [{"ipBlock": {"cidr": "2001:db8::/32", "except": ["2001:db8:1::/48"]}}]}
    policies = [egress_policy([rule])]
    assert out(policies, IP("2001:db8:2::1"))
    assert not out(policies, IP("2001:db8:1::1"))
    assert not out(policies, IP("2001:db9::1"))
    assert not out(policies, IP("10.0.0.1"))


def test_ip_block_matches_pod_ips_and_not_pods_without_one():
    rule = {"to": [{"ipBlock": {"cidr": "10.1.0.0/16"}}]}
    policies = [egress_policy([rule])]
    assert out(policies, DB)
    assert not out(policies, OTHER_NS_DB)
    assert not out(policies, Pod("prod", {"app": "db"}))


def test_empty_to_and_missing_to_both_mean_all_peers():
    for rule in ({"to": []}, {}, {"to": None}):
        policies = [egress_policy([dict(rule, ports=[{"port": 443}])])]
        assert out(policies, PUBLIC) and out(policies, OTHER_NS_DB)
        assert not out(policies, PUBLIC, 80)


def test_empty_ports_and_missing_ports_both_mean_all_ports():
    for rule in ({"ports": []}, {}, {"ports": None}):
        policies = [egress_policy([dict(rule, to=[{"ipBlock": {"cidr": "203.0.113.0/24"}}])])]
        for port, protocol in ((1, "TCP"), (65535, "UDP"), (9, "SCTP")):
            assert out(policies, PUBLIC, port, protocol)


def test_empty_ingress_from_allows_every_source():
    policies = PolicySet([ingress_policy([{"ports": [{"port": 8080}]}])])
    assert policies.ingress_allowed(WEB, PUBLIC, 8080, "TCP")
    assert policies.ingress_allowed(WEB, OTHER_NS_DB, 8080, "TCP")
    assert not policies.ingress_allowed(WEB, PUBLIC, 8081, "TCP")


# -- ports ------------------------------------------------------------------

def test_protocol_defaults_to_tcp_and_must_match():
    tcp = [egress_policy([{"ports": [{"port": 53}]}])]
    udp = [egress_policy([{"ports": [{"port": 53, "protocol": "UDP"}]}])]
    sctp = [egress_policy([{"ports": [{"port": 53, "protocol": "SCTP"}]}])]
    assert out(tcp, PUBLIC, 53, "TCP") and not out(tcp, PUBLIC, 53, "UDP")
    assert out(udp, PUBLIC, 53, "UDP") and not out(udp, PUBLIC, 53, "TCP") and not out(udp, PUBLIC, 53, "SCTP")
    assert out(sctp, PUBLIC, 53, "SCTP") and not out(sctp, PUBLIC, 53, "TCP")


def test_protocol_without_port_is_every_port_of_that_protocol():
    udp = [egress_policy([{"ports": [{"protocol": "UDP"}]}])]
    assert out(udp, PUBLIC, 1, "UDP") and out(udp, PUBLIC, 65535, "UDP")
    assert not out(udp, PUBLIC, 443, "TCP")


def test_end_port_range_is_inclusive():
    rule = {"ports": [{"port": 32000, "endPort": 32768, "protocol": "TCP"}]}
    policies = [egress_policy([rule])]
    assert [out(policies, PUBLIC, p) for p in (31999, 32000, 32500, 32768, 32769)] == \
        [False, True, True, True, False]


def test_named_port_resolves_on_the_destination_pod():
    rule = {"ports": [{"port": "pg"}]}
    policies = [egress_policy([rule])]
    assert out(policies, DB, 5432)
    assert not out(policies, DB, 5433)  # the name means the container port's number only
    assert not out(policies, DB, 5432, "UDP")  # and its protocol
    assert not out(policies, Pod("prod", {"app": "db"}, ports=[("pg", 5432, "UDP")]), 5432)
    assert not out(policies, IP("10.1.0.6"), 5432)  # an address has no named ports


def test_named_port_on_ingress_resolves_on_the_guarded_pod():
    policies = PolicySet([ingress_policy([{"ports": [{"port": "pg"}]}], selector={"matchLabels": {"app": "db"}})])
    assert policies.ingress_allowed(DB, PUBLIC, 5432, "TCP")
    assert not policies.ingress_allowed(DB, PUBLIC, 80, "TCP")


# -- label selector operators ----------------------------------------------

def _expression_policy(*expressions):
    return [egress_policy([], selector={"matchExpressions": list(expressions)})]


def _isolated(policies, labels):
    return PolicySet(policies).rules(Pod("prod", labels), EGRESS) is not None


def test_match_expressions_in_and_not_in():
    in_ = _expression_policy({"key": "tier", "operator": "In", "values": ["a", "b"]})
    assert _isolated(in_, {"tier": "a"}) and _isolated(in_, {"tier": "b"})
    assert not _isolated(in_, {"tier": "c"}) and not _isolated(in_, {})
    not_in = _expression_policy({"key": "tier", "operator": "NotIn", "values": ["a"]})
    assert not _isolated(not_in, {"tier": "a"})
    assert _isolated(not_in, {"tier": "b"}) and _isolated(not_in, {})  # a missing key is not in the set


def test_match_expressions_exists_and_does_not_exist():
    exists = _expression_policy({"key": "tier", "operator": "Exists"})
    assert _isolated(exists, {"tier": ""}) and not _isolated(exists, {"app": "x"})
    absent = _expression_policy({"key": "tier", "operator": "DoesNotExist"})
    assert _isolated(absent, {"app": "x"}) and not _isolated(absent, {"tier": "a"})


def test_match_labels_and_expressions_are_anded():
    both = [egress_policy([], selector={"matchLabels": {"app": "web"},
                                        "matchExpressions": [{"key": "tier", "operator": "Exists"}]})]
    assert _isolated(both, {"app": "web", "tier": "x"})
    assert not _isolated(both, {"app": "web"}) and not _isolated(both, {"tier": "x"})


# -- odd input: never raise, match nothing, say why -------------------------

def test_invalid_selector_matches_nothing_and_is_reported():
    bad = egress_policy([], selector={"matchExpressions": [{"key": "app", "operator": "Bogus", "values": ["x"]}]})
    policies = PolicySet([bad])
    assert policies.rules(WEB, EGRESS) is None
    assert any("spec.podSelector" in m and "Bogus" in m for m in policies.messages())


DENY_ALL = egress_policy([], name="deny-all")


def test_a_rejected_policy_isolates_nothing_but_its_rules_still_count():
    """The API server refuses the whole object: it cannot isolate. Its valid
    rules are still read, so a reading of validity stricter than the
    server's can only make the analysis see more paths, never fewer."""
    typo = egress_policy([{"ports": [{"port": 443}]}, {"to": [{"ipBlock": {"cidr": "nope"}}]}])
    policies = PolicySet([typo])
    assert policies.rules(WEB, EGRESS) is None and policies.egress_allowed(WEB, PUBLIC, 80, "TCP")
    assert [p.policy for p in policies.problems] == ["prod/p"]
    with_deny = PolicySet([typo, DENY_ALL])
    assert with_deny.egress_allowed(WEB, PUBLIC, 443, "TCP") and not with_deny.egress_allowed(WEB, PUBLIC, 80, "TCP")
    unknown_type = policy({"podSelector": {}, "policyTypes": ["Egress", "Sideways"]})
    assert PolicySet([unknown_type]).rules(WEB, EGRESS) is None
    assert PolicySet([policy({"podSelector": {}, "policyTypes": ["Egress", "Egress", "Ingress"]})]).rules(
        WEB, EGRESS) is None


def test_invalid_peers_and_ports_match_nothing_but_keep_the_rule():
    rule = {"to": [{"podSelector": {"matchExpressions": [{"key": "a", "operator": "In", "values": []}]}},
                   {"ipBlock": {"cidr": "not-a-cidr"}},
                   {"ipBlock": {"cidr": "10.0.0.0/8"}, "podSelector": {}}],
            "ports": [{"port": 443}]}
    bad_ports = {"ports": [{"port": 443, "protocol": "ICMP"}, {"port": "http", "endPort": 90}, {"port": "80"}]}
    policies = PolicySet([egress_policy([rule, bad_ports]), DENY_ALL])
    assert not policies.egress_allowed(WEB, IP("10.0.0.1"), 443, "TCP")
    assert not policies.egress_allowed(WEB, DB, 443, "TCP")
    assert not policies.egress_allowed(WEB, PUBLIC, 80, "TCP")  # an all-invalid ports list is not "all ports"
    fields = [p.field for p in policies.problems]
    assert fields == ["spec.egress[0].to[0].podSelector", "spec.egress[0].to[1].ipBlock.cidr", "spec.egress[0].to[2]",
                      "spec.egress[1].ports[0].protocol", "spec.egress[1].ports[1].endPort",
                      "spec.egress[1].ports[2].port"]


def test_except_outside_the_cidr_is_reported():
    rule = {"to": [{"ipBlock": {"cidr": "10.0.0.0/8", "except": ["192.168.0.0/16"]}}]}
    policies = PolicySet([egress_policy([rule]), DENY_ALL])
    assert not policies.egress_allowed(WEB, IP("10.0.0.1"), 443, "TCP")
    assert [p.field for p in policies.problems] == ["spec.egress[0].to[0].ipBlock.except[0]"]


def test_missing_spec_is_the_zero_spec():
    # it decodes to an empty podSelector and defaults to policyTypes [Ingress]
    policies = PolicySet([{"metadata": {"name": "x", "namespace": "prod"}}])
    assert policies.rules(WEB, INGRESS) == [] and policies.rules(WEB, EGRESS) is None
    assert policies.problems == []


def test_null_and_wrongly_typed_fields_do_not_raise():
    objects = [None, "text", {"spec": "text"}, {"spec": {"podSelector": None, "egress": None, "ingress": "x"}},
               {"metadata": "x", "spec": {"podSelector": [], "policyTypes": "Egress", "egress": [None, {"to": {}}]}},
               policy({"podSelector": {}, "policyTypes": ["Egress", "Sideways"], "egress": [{"to": [None, {}]}]}),
               DENY_ALL]
    policies = PolicySet(objects)
    assert policies.rules(WEB, EGRESS) == [r for p in policies.policies if p.key == "prod/p" for r in p.rules[EGRESS]]
    assert not policies.egress_allowed(WEB, PUBLIC, 443, "TCP")
    assert len(policies.messages()) >= 8


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-2, 70000) | st.sampled_from(
        ["", "TCP", "UDP", "In", "Exists", "10.0.0.0/8", "::/0", "http", "app", "Egress", "Ingress"]),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(
        st.sampled_from(["spec", "podSelector", "namespaceSelector", "ipBlock", "cidr", "except", "egress",
                         "ingress", "to", "from", "ports", "port", "endPort", "protocol", "policyTypes",
                         "matchLabels", "matchExpressions", "key", "operator", "values", "metadata", "app"]),
        children, max_size=4),
    max_leaves=20)


@settings(max_examples=200, deadline=None)
@given(st.lists(_JSON, max_size=3))
def test_garbage_never_raises(objects):
    policies = PolicySet(objects)
    for direction in (INGRESS, EGRESS):
        policies.allows(Pod("default", {"app": "x"}, ip="10.0.0.1"), direction, PUBLIC, 443, "TCP")
    policies.messages()


# -- pods as the cluster runs them: labels with values not known here ---------

HASHED = Pod("prod", {"app": "web"}, ip="10.1.0.5", unknown={"pod-template-hash"})


def test_a_runtime_label_may_select_but_never_isolates():
    by_hash = egress_policy([{"ports": [{"port": 443}]}],
                            selector={"matchExpressions": [{"key": "pod-template-hash", "operator": "In",
                                                            "values": ["abc"]}]})
    alone = PolicySet([by_hash])
    assert alone.rules(HASHED, EGRESS) is None  # it may not select the pod: not isolated for sure
    assert [p.name for p in alone.selecting(HASHED, EGRESS)] == ["p"]
    with_deny = PolicySet([by_hash, egress_policy([], name="deny", selector={"matchLabels": {"app": "web"}})])
    assert with_deny.egress_allowed(HASHED, PUBLIC, 443, "TCP")  # its rule may apply
    assert not with_deny.egress_allowed(HASHED, PUBLIC, 80, "TCP")
    assert not with_deny.egress_allowed(WEB, PUBLIC, 443, "TCP")  # a pod without the label: only the deny
    does_not_exist = egress_policy([], selector={"matchExpressions": [
        {"key": "pod-template-hash", "operator": "DoesNotExist"}]})
    assert PolicySet([does_not_exist]).selecting(HASHED, EGRESS)  # some CNIs drop the label: may hold too


_KEYS, _VALUES = ["app", "tier", "pod-template-hash"], ["a", "b", "c"]
_SELECTORS = st.builds(
    lambda labels, expressions: {"matchLabels": labels, "matchExpressions": expressions},
    st.dictionaries(st.sampled_from(_KEYS), st.sampled_from(_VALUES), max_size=2),
    st.lists(st.builds(lambda k, op, vs: {"key": k, "operator": op,
                                          **({"values": vs} if op in ("In", "NotIn") else {})},
                       st.sampled_from(_KEYS), st.sampled_from(["In", "NotIn", "Exists", "DoesNotExist"]),
                       st.lists(st.sampled_from(_VALUES), min_size=1, max_size=2, unique=True)), max_size=2))
_PODS = st.builds(lambda ns, labels, unknown: Pod(ns, labels, unknown=unknown), st.sampled_from(["prod", "dev"]),
                  st.dictionaries(st.sampled_from(_KEYS), st.sampled_from(_VALUES), max_size=3),
                  st.sets(st.sampled_from(_KEYS), max_size=1))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["prod", "dev"]), _SELECTORS), max_size=8), _PODS)
def test_the_index_finds_every_policy_that_may_select_a_pod(specs, pod):
    """The namespace/label index is only a shortcut: it finds exactly the
    policies a scan of all of them finds, and a pod's selection is judged
    True only if every value of its unknown labels (or their absence)
    makes the selector match."""
    objects = [policy({"podSelector": s, "policyTypes": ["Egress"]}, name=f"p{i}", namespace=ns)
               for i, (ns, s) in enumerate(specs)]
    policies = PolicySet(objects)
    scanned = [p for p in policies.policies if p.may_select(pod, EGRESS)]
    assert policies.selecting(pod, EGRESS) == scanned
    for p in policies.policies:
        verdict = p.judge(pod, EGRESS)
        worlds = [{**{k: v for k, v in pod.labels.items() if k not in pod.unknown}, **extra}
                  for extra in ({}, *({k: v} for k in pod.unknown for v in [*_VALUES, "z"]))]
        outcomes = {p.namespace == pod.namespace and p.selector.matches(labels) for labels in worlds}
        if verdict is not None:  # None ("may") claims nothing; True and False must hold in every world
            assert outcomes == {verdict}
