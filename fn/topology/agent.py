"""What the function knows about one managed agent workload.

Everything the builders need is computed here once (names, selectors, the
proxy URL, NO_PROXY, direct destinations, the Pipelock config), so each
builder is a small pure function of an Agent and the Settings.
"""

from .. import conventions as C
from . import names, pipelock_config


class Destination:
    """An in-cluster destination the agent calls directly, not via the proxy."""

    __slots__ = ("name", "namespace", "pod_labels", "cidrs", "ports", "hosts")

    def __init__(self, spec, default_namespace, cluster_domain):
        self.name = spec.name
        self.namespace = spec.namespace or default_namespace
        self.pod_labels = spec.pod_labels
        self.cidrs = list(spec.cidrs)
        self.ports = [dict(p) for p in spec.ports]
        # Clients match NO_PROXY against the host they dial: every DNS form of
        # the Service, and its addresses (in-cluster clients of the API
        # server dial KUBERNETES_SERVICE_HOST, an IP).
        self.hosts = names.host_forms(self.name, self.namespace, cluster_domain) + [
            c.split("/")[0] if c.endswith(("/32", "/128")) else c for c in self.cidrs]


class Agent:
    """One selected workload and its companion."""

    __slots__ = (
        "item", "kind", "api_version", "name", "namespace", "proxy", "proxy_namespace", "identity",
        "selector", "pod_labels", "proxy_url", "no_proxy", "destinations", "direct_hosts", "config_text",
    )

    def __init__(self, *, item, kind, api_version, name, namespace, proxy, identity, selector, pod_labels,
                 settings):
        self.item = item
        self.kind = kind
        self.api_version = api_version
        self.name = name
        self.namespace = namespace
        self.proxy = proxy
        # The companions' namespace: spec.proxyNamespace, or the workload's.
        self.proxy_namespace = settings.proxy_namespace or namespace
        self.identity = identity
        self.selector = selector
        self.pod_labels = pod_labels
        domain = settings.cluster_domain
        self.proxy_url = names.proxy_url(proxy, self.proxy_namespace, domain)
        self.destinations = [Destination(d, namespace, domain) for d in settings.destinations]
        self.direct_hosts = _direct_hosts(self, domain)
        self.no_proxy = list(dict.fromkeys(self.direct_hosts + list(settings.no_proxy)))
        self.config_text = pipelock_config.render(self, settings)

    def ref(self):
        ref = {"apiVersion": self.api_version, "kind": self.kind, "name": self.name}
        if self.namespace:
            ref["namespace"] = self.namespace
        return ref

    def workload_ref(self):
        """The resourceRef and file of results about the workload (its item's, when it has one)."""
        if self.item is not None:
            return self.item.ref(), self.item.file()
        return self.ref(), None


def _direct_hosts(agent, cluster_domain):
    """The hosts the agent reaches directly, not through the proxy: loopback,
    the proxy's own names (Pipelock's fetch endpoint is called directly) and
    each direct destination. Never `.svc` or `.cluster.local`: those would
    send every in-cluster call direct, where the agent NetworkPolicy drops it."""
    hosts = list(C.LOOPBACK_HOSTS) + names.host_forms(agent.proxy, agent.proxy_namespace, cluster_domain)
    for destination in agent.destinations:
        hosts += destination.hosts
    return list(dict.fromkeys(hosts))
