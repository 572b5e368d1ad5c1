"""The half of tests/oracles/nca.py that imports network-config-analyzer.

It runs under the Python of the oracle's own virtualenv (.venv-oracle,
`make oracle`), never in the suite's: nca pins its dependencies exactly,
and an oracle must not choose the versions of what it checks. One worker
answers a whole test session: one JSON object a line on stdin, one answer
a line on stdout.

    -> {"ok": true, "nca": "2.1.0"}                          (on start)
    {"op": "config", "id": 7, "objects": [...], "policies": 3}
    -> {"ok": true}
    {"op": "ports", "id": 7, "pairs": [[["pod", "agents/pod-0"], ["address", "203.0.113.7"]], ...]}
    -> {"ok": true, "ports": [{"TCP": [[443, 443]], "UDP": [], "SCTP": []}, ...]}
    -> {"error": "ValueError", "message": "..."}             (any request)

A configuration is the Namespaces, Pods and policies as nca.resources
writes them; `policies` says how many policies it holds. nca keeps its
universe of endpoints in a process-wide singleton, so the worker holds one
configuration, the last built: a question naming another id is an error.
"""

import ipaddress
import json
import os
import sys
import traceback
from importlib.metadata import version

from nca.CoreDS.CanonicalIntervalSet import CanonicalIntervalSet
from nca.CoreDS.ConnectivityProperties import ConnectivityProperties
from nca.CoreDS.Peer import BasePeerSet, IpBlock, PeerSet
from nca.NetworkConfig.NetworkConfig import NetworkConfig
from nca.NetworkConfig.PeerContainer import PeerContainer
from nca.NetworkConfig.PoliciesFinder import PoliciesFinder
from nca.NetworkConfig.TopologyObjectsFinder import NamespacesFinder, PodsFinder
from nca.Resources.PolicyResources.NetworkPolicy import PolicyConnectionsFilter

PROTOCOLS = ("TCP", "UDP", "SCTP")
_POLICY_DIMENSIONS = ("src_peers", "dst_peers", "protocols", "dst_ports")


class Configuration:
    """One nca configuration, built as nca's command builds it: the costs
    measured on a 2-core machine are 10 to 25 ms for 5 to 50 pods, the
    first question about a pair of endpoints 0.5 ms (it answers every port
    and protocol of the pair)."""

    def __init__(self, objects, policy_count):
        BasePeerSet.reset()
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
        if parsed != policy_count:
            raise ValueError(f"nca took {parsed} of {policy_count} policies (two with one namespace/name?)")
        self._peers = {peer.full_name(): peer for peer in container.peer_set}
        self._from, self._to = {}, {}  # caches by endpoint: source, destination
        config = NetworkConfig("oracle", container, policy_finder)
        self._allowed = config.allowed_connections(
            res_conns_filter=PolicyConnectionsFilter.only_all_allowed_connections()).all_allowed_conns

    def ports(self, source, destination):
        """{protocol: [[first, last], ...]} on which `source` may connect to
        `destination`. Asking nca for each port (contained_in) costs 0.2 ms;
        reading the allowed set's cubes for the pair answers every port and
        protocol at once. A cube must not restrict anything but peers,
        protocols and destination ports, as none of a NetworkPolicy does
        (Istio's methods and paths would): checked."""
        source, destination = tuple(source), tuple(destination)
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
        return {protocol: [[i.start, i.end] for i in ranges] for protocol, ranges in ports.items()}

    def _peer(self, endpoint):
        kind, name = endpoint
        if kind == "address":
            address = ipaddress.ip_address(name)
            return IpBlock(f"{address}/{address.max_prefixlen}")
        peer = self._peers.get(name)
        if peer is None:
            raise ValueError(f"nca has no pod {name}")
        return peer


def answer(line, state):
    """The answer to one request line, or the error it raised; `state`
    holds the current configuration."""
    try:
        return _answer(json.loads(line), state)
    except Exception as error:  # noqa: BLE001 - every failure goes back as an answer
        return {"error": type(error).__name__, "message": str(error), "traceback": traceback.format_exc()}


def _answer(request, state):
    if request["op"] == "config":
        state.clear()  # a failed build leaves none: nca's universe was reset
        state[request["id"]] = Configuration(request["objects"], request["policies"])
        return {"ok": True}
    if request["op"] == "ports":
        configuration = state.get(request["id"])
        if configuration is None:
            raise RuntimeError(f"configuration {request['id']} is not the last one built")
        return {"ok": True, "ports": [configuration.ports(*pair) for pair in request["pairs"]]}
    raise ValueError(f"unknown request {request['op']!r}")


def main():
    # Answers go to a copy of stdout; nca's own prints ("Warning: Missing
    # named port ...") go to stderr, where pytest shows them with the test.
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    state = {}

    def send(message):
        answers.write(json.dumps(message, separators=(",", ":")) + "\n")
        answers.flush()

    send({"ok": True, "nca": version("network-config-analyzer")})
    for line in sys.stdin:
        send(answer(line, state))


if __name__ == "__main__":
    main()
