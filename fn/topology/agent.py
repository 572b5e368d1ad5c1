"""What the function knows about one managed agent workload.

Everything the builders need is computed here once (names, selectors, the
proxy URL, NO_PROXY, direct destinations), so each builder is a small pure
function of an Agent and the Config.
"""

from . import names


class Destination:
    """An in-cluster destination the agent calls directly, not via the proxy."""

    __slots__ = ("name", "namespace", "pod_labels", "cidrs", "ports", "hosts")

    def __init__(self, spec, default_namespace, cluster_domain):
        self.name = spec["name"]
        self.namespace = spec.get("namespace") or default_namespace
        self.pod_labels = spec.get("podLabels")
        self.cidrs = spec.get("cidrs") or []
        self.ports = [{"protocol": p.get("protocol", "TCP"), "port": p["port"]} for p in spec["ports"]]
        # Clients match NO_PROXY against the host they dial: every DNS form of
        # the Service, and its addresses (in-cluster clients of the API
        # server dial KUBERNETES_SERVICE_HOST, an IP).
        self.hosts = names.host_forms(self.name, self.namespace, cluster_domain) + [c.split("/")[0] if c.endswith(("/32", "/128")) else c for c in self.cidrs]


class Agent:
    """One selected workload and its companion."""

    __slots__ = (
        "item", "kind", "api_version", "name", "namespace", "proxy", "identity",
        "selector", "pod_labels", "proxy_url", "no_proxy", "destinations",
    )

    def __init__(self, *, item, kind, api_version, name, namespace, proxy, identity, selector, pod_labels, config):
        self.item = item
        self.kind = kind
        self.api_version = api_version
        self.name = name
        self.namespace = namespace
        self.proxy = proxy
        self.identity = identity
        self.selector = selector
        self.pod_labels = pod_labels
        domain = config["clusterDomain"]
        self.proxy_url = names.proxy_url(proxy, namespace, domain)
        self.destinations = [Destination(d, namespace, domain) for d in config["destinations"]]
        self.no_proxy = _no_proxy(self, config)

    def ref(self):
        ref = {"apiVersion": self.api_version, "kind": self.kind, "name": self.name}
        if self.namespace:
            ref["namespace"] = self.namespace
        return ref


def _no_proxy(agent, config):
    """Loopback, the proxy's own names (Pipelock's fetch endpoint is called
    directly), each direct destination, then the user's extra entries.
    Never `.svc` or `.cluster.local`: those would send every in-cluster call
    direct, where the agent NetworkPolicy drops it."""
    entries = ["localhost", "127.0.0.1", "::1"]
    entries += names.host_forms(agent.proxy, agent.namespace, config["clusterDomain"])
    for destination in agent.destinations:
        entries += destination.hosts
    entries += config["noProxy"]
    seen, out = set(), []
    for entry in entries:
        if entry not in seen:
            seen.add(entry)
            out.append(entry)
    return out
