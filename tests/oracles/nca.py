"""network-config-analyzer (nca) as an outside oracle for NetworkPolicy semantics.

nca is IBM's independent implementation of Kubernetes NetworkPolicy (PyPI
`network-config-analyzer`, pinned in pyproject's test extra). Its documented
interface is the `nca` command, which costs about half a second per
configuration (a Python process, YAML files, text out to parse). This
adapter drives in-process the classes the command drives (the topology and
policy finders, `NetworkConfig.allowed_connections`): on this 2-core
machine a configuration of 5 to 50 pods costs 10 to 25 ms, the first
question about a pair of endpoints 0.5 ms (it answers every port and
protocol of the pair), each further one microseconds.
tests/test_netpol_oracle.py checks that it answers as the command does.

    config = Config(policies, {"prod": {"team": "x"}}, pods)
    config.allowed(pod, ipaddress.ip_address("203.0.113.7"), 443, "TCP")

Pods are objects with `namespace`, `labels`, `ports` ((name, number,
protocol) per named container port) and `ip` (netpol.Pod is one); an
endpoint is one of the pods or an `ipaddress` address outside the cluster.

Policies go in as stored by the API server: `stored_form` writes the API
server's defaults explicitly (policyTypes, protocol, empty fields), so that
nca and the model under test read the same object. nca reads some raw
forms differently from the API server: it treats `egress: []` without
policyTypes as egress isolation, and rejects a rules list whose direction
policyTypes leaves out, or policyTypes in another order than Ingress,
Egress. `Config` removes what has no effect before nca sees it.

What nca cannot express, so this adapter refuses it (ValueError):
- pod IPs: nca's pods have none, so an ipBlock never matches a pod;
- a connection between two addresses (no policy governs it);
- two container ports with one name (Kubernetes rejects that pod too).
Known nca 2.1.0 bugs (each pinned by a test in test_netpol_oracle.py):
- `Exists` / `DoesNotExist` in a podSelector that sits beside a
  namespaceSelector match only pods of the policy's own namespace;
- a namespaceSelector reads a missing label as "", so `In [""]` matches a
  namespace without the label and `NotIn [""]` does not.
"""

import ipaddress

from nca.CoreDS.CanonicalIntervalSet import CanonicalIntervalSet
from nca.CoreDS.ConnectivityProperties import ConnectivityProperties
from nca.CoreDS.Peer import BasePeerSet, IpBlock, PeerSet
from nca.NetworkConfig.NetworkConfig import NetworkConfig
from nca.NetworkConfig.PeerContainer import PeerContainer
from nca.NetworkConfig.PoliciesFinder import PoliciesFinder
from nca.NetworkConfig.TopologyObjectsFinder import NamespacesFinder, PodsFinder
from nca.Resources.PolicyResources.NetworkPolicy import PolicyConnectionsFilter

INGRESS, EGRESS = "Ingress", "Egress"
PROTOCOLS = ("TCP", "UDP", "SCTP")
NAME_LABEL = "kubernetes.io/metadata.name"
_ADDRESS = (ipaddress.IPv4Address, ipaddress.IPv6Address)
_POLICY_DIMENSIONS = ("src_peers", "dst_peers", "protocols", "dst_ports")
_RULES = {INGRESS: "ingress", EGRESS: "egress"}
_PEERS = {"ingress": "from", "egress": "to"}


# -- the API server's stored form ------------------------------------------

def stored_form(policy):
    """The NetworkPolicy as the API server stores it (networking.k8s.io/v1
    defaulting): namespace "default" when unset; a missing spec or
    podSelector is the empty one; policyTypes, when missing or empty,
    is Ingress plus Egress if there is at least one egress rule; each port's
    protocol defaults to TCP; null and empty lists are dropped (the API
    omits them, and an empty peers or ports list means all, like a missing
    one). Expects a valid policy; the input is not changed."""
    meta = dict(policy.get("metadata") or {})
    meta.setdefault("namespace", "default")
    spec = policy.get("spec") or {}
    out = {"podSelector": _selector(spec.get("podSelector"))}
    types = spec.get("policyTypes")
    if not types:
        types = [INGRESS] + ([EGRESS] if spec.get("egress") else [])
    out["policyTypes"] = list(types)
    for key in ("ingress", "egress"):
        if spec.get(key):
            out[key] = [_rule(rule, _PEERS[key]) for rule in spec[key]]
    return {"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy", "metadata": meta, "spec": out}


def _selector(raw):
    raw = raw or {}
    return {k: raw[k] for k in ("matchLabels", "matchExpressions") if raw.get(k)}


def _rule(rule, peers_key):
    rule = rule or {}
    out = {}
    if rule.get(peers_key):
        out[peers_key] = [_peer(peer) for peer in rule[peers_key]]
    if rule.get("ports"):
        out["ports"] = [{"protocol": "TCP", **{k: v for k, v in port.items() if v is not None}}
                        for port in rule["ports"]]
    return out


def _peer(peer):
    out = {key: _selector(peer[key]) for key in ("podSelector", "namespaceSelector") if peer.get(key) is not None}
    if peer.get("ipBlock") is not None:
        block = peer["ipBlock"]
        out["ipBlock"] = {"cidr": block["cidr"], **({"except": list(block["except"])} if block.get("except") else {})}
    return out


def one_direction(policies, direction):
    """Stored policies reduced to one direction: the others isolate nothing.
    With them, a pod-to-pod connection is allowed exactly when that
    direction's side allows it (the egress side at the source, the ingress
    side at the destination)."""
    out = []
    for policy in policies:
        if direction not in policy["spec"]["policyTypes"]:
            continue
        spec = {"podSelector": policy["spec"]["podSelector"], "policyTypes": [direction]}
        if _RULES[direction] in policy["spec"]:
            spec[_RULES[direction]] = policy["spec"][_RULES[direction]]
        out.append({**policy, "spec": spec})
    return out


def _nca_form(policy):
    """What nca accepts with the same meaning: policyTypes in its order,
    and no rules for a direction the policy does not isolate (they have no
    effect: a pod's allowed traffic is the rules of the policies that
    isolate it)."""
    spec = policy["spec"]
    types = [t for t in (INGRESS, EGRESS) if t in spec["policyTypes"]]
    out = {"podSelector": spec["podSelector"], "policyTypes": types}
    for direction in types:
        if _RULES[direction] in spec:
            out[_RULES[direction]] = spec[_RULES[direction]]
    return {**policy, "spec": out}


# -- nca's view of a cluster ------------------------------------------------

def resources(policies, namespaces, pods):
    """The objects nca reads for this configuration, in its accepted forms:
    the Namespaces, one Pod per distinct pod (named `pod-N`, N counting
    from 0 in order) and the policies. Raises ValueError for what nca cannot
    express."""
    objects = [_namespace_object(name, labels or {}) for name, labels in sorted((namespaces or {}).items())]
    for pod, name in _pod_names(pods).items():
        _check_pod(pod, namespaces or {})
        objects.append(_pod_object(pod, name))
    return objects + [_nca_form(policy) for policy in policies]


class Config:
    """Namespaces, pods and stored policies as one nca configuration; ask
    `allowed` any number of times.

    nca keeps its universe of endpoints in a process-wide singleton, so only
    the Config built last can answer: an older one raises RuntimeError.
    `namespaces` maps names to labels; a pod's namespace that is not listed
    has no labels but the name label.
    """

    def __init__(self, policies, namespaces, pods):
        objects = resources(policies, namespaces, pods)
        self._names = {_pod_key(pod): f"{pod.namespace}/{name}" for pod, name in _pod_names(pods).items()}
        BasePeerSet.reset()
        self._universe = BasePeerSet().instance
        # the steps of nca's ResourcesHandler, without its file scanning and
        # its "livesim" (which adds a kube-dns pod a policy names but the
        # configuration lacks)
        namespace_finder, pod_finder, policy_finder = NamespacesFinder(), PodsFinder(), PoliciesFinder()
        pod_finder.namespaces_finder = namespace_finder
        for item in objects:
            namespace_finder.parse_yaml_code_for_ns(item)
        for item in objects:
            pod_finder.add_eps_from_yaml(item)
        container = PeerContainer(pod_finder.peer_set, namespace_finder.namespaces, [],
                                  pod_finder.representative_peers)
        policy_finder.set_peer_container(container)
        for item in objects:
            policy_finder.parse_yaml_code_for_policy(item, "oracle")
        policy_finder.parse_policies_in_parse_queue()
        parsed = len(policy_finder.policies_container.policies)
        if parsed != len(policies):
            raise ValueError(f"nca took {parsed} of {len(policies)} policies (two with one namespace/name?)")
        self._peers = {peer.full_name(): peer for peer in container.peer_set}
        self._ports, self._from, self._to = {}, {}, {}  # caches by endpoint name: pair, source, destination
        config = NetworkConfig("oracle", container, policy_finder)
        self._allowed = config.allowed_connections(
            res_conns_filter=PolicyConnectionsFilter.only_all_allowed_connections()).all_allowed_conns

    def pod_name(self, pod):
        """nca's name for one of the pods: namespace/pod-N."""
        name = self._names.get(_pod_key(pod))
        if name is None:
            raise ValueError(f"{pod!r} is not one of the configuration's pods")
        return name

    def allowed(self, source, destination, port, protocol):
        """Whether the policies allow `source` to open a connection to
        `destination` on `port`/`protocol` (egress at a source pod and
        ingress at a destination pod)."""
        return any(start <= port <= end for start, end in self.ports(source, destination)[protocol])

    def ports(self, source, destination):
        """{protocol: [(first, last), ...]}: the port ranges on which
        `source` may connect to `destination`, for TCP, UDP and SCTP."""
        if BasePeerSet().instance is not self._universe:
            raise RuntimeError("another nca Config was built since this one: nca keeps one universe per process")
        key = (self._name(source), self._name(destination))
        if key not in self._ports:
            if all(isinstance(name, _ADDRESS) for name in key):
                raise ValueError("no NetworkPolicy governs a connection between two addresses")
            self._ports[key] = self._compute_ports(*key)
        return self._ports[key]

    def _compute_ports(self, source, destination):
        # Asking nca for each port (ConnectivityProperties.contained_in)
        # costs 0.2 ms; reading the allowed set's cubes for the pair answers
        # every port and protocol at once. A cube must not restrict anything
        # but peers, protocols and destination ports, as none of a
        # NetworkPolicy does (Istio's methods and paths would): checked.
        if source not in self._from:
            self._from[source] = self._allowed & ConnectivityProperties.make_conn_props_from_dict(
                {"src_peers": PeerSet({self._peer(source)})})
        if destination not in self._to:
            self._to[destination] = ConnectivityProperties.make_conn_props_from_dict(
                {"dst_peers": PeerSet({self._peer(destination)})})
        pair = self._from[source] & self._to[destination]
        ports = {protocol: CanonicalIntervalSet() for protocol in PROTOCOLS}
        for values in pair:
            cube = pair.get_connectivity_cube(values)
            restricted = [d for d in cube.dimensions_list if d not in _POLICY_DIMENSIONS and cube.is_active_dim(d)]
            if restricted:
                raise AssertionError(f"nca restricts {restricted}: not a NetworkPolicy answer")
            for protocol in PROTOCOLS:
                if protocol in cube["protocols"]:
                    ports[protocol] |= cube["dst_ports"].port_set
        return {protocol: [(i.start, i.end) for i in ranges] for protocol, ranges in ports.items()}

    def _name(self, endpoint):
        return endpoint if isinstance(endpoint, _ADDRESS) else self.pod_name(endpoint)

    def _peer(self, name):
        if isinstance(name, _ADDRESS):
            return IpBlock(f"{name}/{name.max_prefixlen}")
        return self._peers[name]


def allowed(policies, namespaces, pods, source, destination, port, protocol):
    """One question, one configuration: `Config(...).allowed(...)`."""
    return Config(policies, namespaces, pods).allowed(source, destination, port, protocol)


def _pod_key(pod):
    return (pod.namespace, tuple(sorted(pod.labels.items())), tuple(sorted(pod.ports)))


def _pod_names(pods):
    """Each distinct pod (in order) and its name, pod-N."""
    names = {}
    for pod in pods:
        names.setdefault(_pod_key(pod), (pod, f"pod-{len(names)}"))
    return dict(names.values())


def _check_pod(pod, namespaces):
    if getattr(pod, "ip", None) is not None:
        raise ValueError(f"{pod!r}: nca's pods have no IP (an ipBlock never matches a pod there)")
    names = [name for name, _, _ in pod.ports]
    if len(set(names)) != len(names):
        raise ValueError(f"{pod!r}: two container ports with one name")
    expected = {**namespaces.get(pod.namespace, {}), NAME_LABEL: pod.namespace}
    if getattr(pod, "namespace_labels", expected) != expected:
        raise ValueError(f"{pod!r}: its namespace labels {pod.namespace_labels} are not those of namespaces "
                         f"{expected}")


def _namespace_object(name, labels):
    if labels.get(NAME_LABEL, name) != name:
        raise ValueError(f"namespace {name}: {NAME_LABEL} must be its name")
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name, "labels": dict(labels)}}


def _pod_object(pod, name):
    ports = [{"name": port, "containerPort": number, "protocol": protocol} for port, number, protocol in pod.ports]
    return {"apiVersion": "v1", "kind": "Pod",
            "metadata": {"name": name, "namespace": pod.namespace, "labels": dict(pod.labels)},
            "spec": {"containers": [{"name": "main", "ports": ports}]}}
