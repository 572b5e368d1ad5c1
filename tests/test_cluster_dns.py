"""DNS setups the input shows, the setting they need, and the DNS port
setting carried into both policies and into the boundary check.

The inputs are shaped like the real manifests: NodeLocal DNSCache as
kubernetes/kubernetes cluster/addons/dns/nodelocaldns/nodelocaldns.yaml
renders it (hostNetwork DaemonSet `node-local-dns`, `-localip <link-local>,<kube-dns IP>`),
OpenShift's as openshift/cluster-dns-operator deploys it (namespace
openshift-dns, DaemonSet dns-default, label dns.operator.openshift.io/daemonset-dns,
containerPort 5353).
"""

import pytest
import yaml

from conftest import AGENT_ITEM, run_function

NODE_LOCAL = """\
- apiVersion: apps/v1
  kind: DaemonSet
  metadata:
    name: node-local-dns
    namespace: kube-system
    labels: {k8s-app: node-local-dns}
  spec:
    selector:
      matchLabels: {k8s-app: node-local-dns}
    template:
      metadata:
        labels: {k8s-app: node-local-dns}
      spec:
        hostNetwork: true
        dnsPolicy: Default
        containers:
        - name: node-cache
          image: registry.k8s.io/dns/k8s-dns-node-cache:1.23.1
          args: ["-localip", "169.254.20.10,10.96.0.10", "-conf", "/etc/Corefile", "-upstreamsvc", "kube-dns-upstream"]
"""
OPENSHIFT = """\
- apiVersion: v1
  kind: Namespace
  metadata:
    name: openshift-dns
"""


def _run(objects, spec=""):
    text = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n" + AGENT_ITEM + objects
    if spec:
        text += ("functionConfig:\n  apiVersion: fn.pipelock.dev/v1alpha1\n  kind: CompanionProxy\n"
                 "  metadata: {name: t}\n  spec:\n" + "".join(f"    {line}\n" for line in spec.splitlines()))
    out, _err, code = run_function(text.encode())
    return code, yaml.safe_load(out)


def _warnings(document, word):
    return [r for r in document["results"] if r["severity"] == "warning" and word in r["message"]]


def _policy(document, name):
    return next(i for i in document["items"] if i["kind"] == "NetworkPolicy" and i["metadata"]["name"] == name)


def test_node_local_dns_warns_with_its_exact_addresses():
    code, document = _run(NODE_LOCAL)
    assert code == 0
    (warning,) = _warnings(document, "NodeLocal DNSCache")
    assert "spec.dns.cidrs: [169.254.20.10/32, 10.96.0.10/32]" in warning["message"]
    assert warning["resourceRef"]["name"] == "node-local-dns"


def test_node_local_dns_without_local_ips_suggests_the_default_and_the_cluster_ip():
    _code, document = _run(NODE_LOCAL.replace('"-localip", "169.254.20.10,10.96.0.10", ', ""))
    (warning,) = _warnings(document, "NodeLocal DNSCache")
    assert "[169.254.20.10/32]" in warning["message"] and "ClusterIP" in warning["message"]


def test_node_local_dns_covered_by_spec_dns_is_quiet_and_allowed():
    code, document = _run(NODE_LOCAL, "dns:\n  cidrs: [169.254.20.10/32, 10.96.0.10/32]")
    assert code == 0
    assert _warnings(document, "NodeLocal") == []
    rule = _policy(document, "agent-pipelock-egress")["spec"]["egress"][0]
    assert {"ipBlock": {"cidr": "169.254.20.10/32"}} in rule["to"]


def test_openshift_warns_with_the_setting():
    code, document = _run(OPENSHIFT)
    assert code == 0
    (warning,) = _warnings(document, "OpenShift")
    assert "namespace: openshift-dns" in warning["message"] and "ports: [5353]" in warning["message"]


def test_openshift_settings_reach_both_policies_and_pass_the_boundary_check():
    spec = ("dns:\n  namespace: openshift-dns\n  podLabels: {dns.operator.openshift.io/daemonset-dns: default}\n"
            "  ports: [5353]")
    code, document = _run(OPENSHIFT, spec)
    assert code == 0, document["results"]
    assert _warnings(document, "OpenShift") == []
    for name in ("agent-pipelock-egress", "agent-pipelock-policy"):
        rule = _policy(document, name)["spec"]["egress"][0]
        assert rule["ports"] == [{"protocol": "UDP", "port": 5353}, {"protocol": "TCP", "port": 5353}]
        assert rule["to"][0]["namespaceSelector"] == {"matchLabels": {"kubernetes.io/metadata.name": "openshift-dns"}}


USER_POLICY = """\
- apiVersion: networking.k8s.io/v1
  kind: NetworkPolicy
  metadata: {name: dns-5353, namespace: agents}
  spec:
    podSelector: {matchLabels: {app: agent}}
    policyTypes: [Egress]
    egress:
    - to:
      - namespaceSelector: {matchLabels: {kubernetes.io/metadata.name: kube-system}}
        podSelector: {matchLabels: {k8s-app: kube-dns}}
      ports: [{protocol: UDP, port: 5353}]
"""


@pytest.mark.parametrize(("ports", "flagged"), [("[53]", True), ("[53, 5353]", False)])
def test_boundary_check_permits_exactly_the_dns_ports(ports, flagged):
    _code, document = _run(USER_POLICY, f"dns:\n  ports: {ports}")
    about = [r for r in document["results"] if (r.get("resourceRef") or {}).get("name") == "dns-5353"]
    assert bool(about) is flagged, document["results"]
