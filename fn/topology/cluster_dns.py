"""What the input shows of the cluster's DNS, against spec.dns.

The DNS rule allows the agent and the proxy to reach the DNS pods that
spec.dns names (default kube-system `k8s-app: kube-dns`, port 53). Two
common setups answer elsewhere, and the proxy then goes Ready (its /health
resolves nothing) while every lookup is dropped:

- NodeLocal DNSCache (GKE's default, optional elsewhere): a host-network
  DaemonSet answers on a link-local address and on the kube-dns ClusterIP;
  no pod selector matches host-network pods, only an ipBlock does.
- OpenShift: CoreDNS runs in openshift-dns and its pods listen on 5353
  (the Service maps 53 to 5353; policies see the pod's port).

When the input shows either, and spec.dns does not already cover it, a
warning gives the setting to use (docs/dns.md has every platform).
"""

import ipaddress

from .. import conventions as C
from .. import workloads
from ..krm import results as R
from . import names


def warnings(items, settings):
    """[Result] for DNS setups in the input that spec.dns does not reach."""
    out = []
    node_local = [i for i in items if _is_node_local_dns(i)]
    if node_local:
        out += _node_local(node_local[0], items, settings)
    openshift = next((i for i in items if _is_openshift_dns(i)), None)
    if openshift is not None:
        out += _openshift(openshift, settings)
    return out


def _is_node_local_dns(item):
    if item.kind != "DaemonSet" or not item.is_mapping:
        return False
    if item.name == C.NODE_LOCAL_DNS_NAME:
        return True
    labels = workloads.pod_labels(item.data, "DaemonSet")
    return all(labels.get(k) == v for k, v in C.NODE_LOCAL_DNS_LABELS.items())


def _is_openshift_dns(item):
    if item.kind == "Namespace" and item.name == C.OPENSHIFT_DNS_NAMESPACE:
        return True
    if item.namespace == C.OPENSHIFT_DNS_NAMESPACE:
        return True
    key = next(iter(C.OPENSHIFT_DNS_POD_LABELS))
    return item.kind == "DaemonSet" and item.is_mapping and key in workloads.pod_labels(item.data, "DaemonSet")


def _node_local(daemonset, items, settings):
    addresses = _local_ips(daemonset) or [C.NODE_LOCAL_DNS_DEFAULT_IP]
    addresses += [ip for ip in _kube_dns_cluster_ips(items) if ip not in addresses]
    wanted = [f"{ip}/{ipaddress.ip_address(ip).max_prefixlen}" for ip in addresses]
    missing = [cidr for cidr in wanted if not _covered(cidr, settings.dns.cidrs)]
    if not missing:
        return []
    cluster_ip_note = "" if len(addresses) > 1 else (
        ", plus your kube-dns Service's ClusterIP/32 (kubectl -n kube-system get service kube-dns), which it "
        "also answers on")
    return [R.Result(
        f"NodeLocal DNSCache runs in this cluster ({daemonset.kind} {daemonset.name}): it answers DNS from the host "
        f"network on {', '.join(addresses)}, which no pod selector matches, so the agents' and proxies' lookups "
        f"would be dropped. Set spec.dns.cidrs: [{', '.join(wanted)}]{cluster_ip_note} (docs/dns.md)",
        R.WARNING, daemonset.ref(), R.field("spec.template.spec.containers"), daemonset.file())]


def _local_ips(daemonset):
    """The addresses in node-local-dns's `-localip` argument."""
    spec = workloads.pod_spec(daemonset.data, "DaemonSet") or {}
    out = []
    for container in spec.get("containers") or []:
        given = container.get("args") if isinstance(container, dict) else None
        args = [str(a) for a in given] if isinstance(given, list) else []
        for index, arg in enumerate(args):
            value = None
            if arg in ("-localip", "--localip") and index + 1 < len(args):
                value = args[index + 1]
            elif arg.startswith(("-localip=", "--localip=")):
                value = arg.split("=", 1)[1]
            for part in (value or "").split(","):
                if names.is_ip(part.strip()) and part.strip() not in out:
                    out.append(part.strip())
    return out


def _kube_dns_cluster_ips(items):
    out = []
    for item in items:
        if item.kind == "Service" and item.name == "kube-dns" and item.namespace == C.DEFAULT_DNS_NAMESPACE:
            spec = item.data.get("spec") if isinstance(item.data, dict) else None
            ip = spec.get("clusterIP") if isinstance(spec, dict) else None
            if isinstance(ip, str) and names.is_ip(ip):
                out.append(ip)
    return out


def _openshift(item, settings):
    dns = settings.dns
    if dns.namespace == C.OPENSHIFT_DNS_NAMESPACE and C.OPENSHIFT_DNS_PORT in dns.ports:
        return []
    (key, value), = C.OPENSHIFT_DNS_POD_LABELS.items()
    return [R.Result(
        f"this is OpenShift ({item.kind} {item.name} in the input): its DNS pods run in "
        f"{C.OPENSHIFT_DNS_NAMESPACE}, labelled {key}: {value}, and listen on {C.OPENSHIFT_DNS_PORT} (the "
        f"Service's 53 is translated before policies see it), so the default DNS rule drops every lookup. Set "
        f"spec.dns: {{namespace: {C.OPENSHIFT_DNS_NAMESPACE}, podLabels: {{{key}: {value}}}, ports: "
        f"[{C.OPENSHIFT_DNS_PORT}]}} (docs/dns.md)", R.WARNING, item.ref(), None, item.file())]


def _covered(cidr, cidrs):
    network = ipaddress.ip_network(cidr)
    for given in cidrs:
        try:
            block = ipaddress.ip_network(given, strict=False)
        except ValueError:
            continue
        if block.version == network.version and network.subnet_of(block):  # type: ignore[arg-type]
            return True
    return False

