"""The facts the whole function shares, each written once.

Labels, annotations, ports, environment variable names, address ranges,
paths and defaults that more than one module needs live here, so that a
change (a new deny range, say) reaches the builder and the check at once.
Nothing here computes anything.
"""

from . import __version__

VERSION = __version__
MANAGED_BY = "pipelock-companion"

# -- the functionConfig kind --------------------------------------------------
API_VERSION = "fn.pipelock.dev/v1alpha1"
KIND = "CompanionProxy"

# -- labels -------------------------------------------------------------------
NAME_LABEL = "app.kubernetes.io/name"
INSTANCE_LABEL = "app.kubernetes.io/instance"
COMPONENT_LABEL = "app.kubernetes.io/component"
MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
VERSION_LABEL = "app.kubernetes.io/version"
PROXY_APP = "pipelock"  # the proxy pods' app.kubernetes.io/name
# Every namespace carries it (Kubernetes >= 1.21): a namespaceSelector on it
# names one namespace.
NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"

# Labels controllers put on pods at run time, beyond the pod template's,
# with values not known here (hashes, uids, ordinals): per workload kind.
# A policy may select the pods through them, so the analysis takes each as
# present with any value, or absent (Cilium drops the hashes from its
# identities).
JOB_RUNTIME_LABELS = (
    "job-name", "controller-uid",                                  # API server, on the Job's template
    "batch.kubernetes.io/job-name", "batch.kubernetes.io/controller-uid",  # the same, since Kubernetes 1.27
    "batch.kubernetes.io/job-completion-index",                    # Indexed Jobs, on the pod (PodIndexLabel)
)
RUNTIME_LABELS = {
    "Deployment": ("pod-template-hash",),                          # ReplicaSet template, selector and pods
    "ReplicaSet": (),
    "StatefulSet": ("statefulset.kubernetes.io/pod-name", "apps.kubernetes.io/pod-index",
                    "controller-revision-hash"),
    "DaemonSet": ("controller-revision-hash", "pod-template-generation"),
    "Job": JOB_RUNTIME_LABELS,
    "CronJob": JOB_RUNTIME_LABELS,
    "Rollout": ("rollouts-pod-template-hash",),                    # and the strategy's canary/stable metadata
}

# -- annotations the function reads from and writes onto workloads ------------
INJECT = "pipelock.dev/inject"
TOPOLOGY = "pipelock.dev/topology"
TOPOLOGY_VALUE = "companion-proxy"
PROXY_NAME = "pipelock.dev/proxy-name"
PROXY_SERVICE = "pipelock.dev/proxy-service"
AGENT_IDENTITY = "pipelock.dev/agent-identity"
CONFIG_CHECKSUM = "pipelock.dev/config-checksum"
PROBE_LABEL = "pipelock.dev/probe"

# Rollout ordering (kpt live / Config Sync, Argo CD).
DEPENDS_ON = "config.kubernetes.io/depends-on"
SYNC_WAVE = "argocd.argoproj.io/sync-wave"

# -- the proxy ----------------------------------------------------------------
PROXY_CONTAINER = "pipelock"  # also the name of a legacy in-pod sidecar
PROXY_PORT = 8888
METRICS_PORT = 9091
DNS_PORT = 53
CONFIG_DIR = "/etc/pipelock"
CONFIG_FILE = "pipelock.yaml"
# Not under CONFIG_DIR: a mount point cannot be made inside a read-only
# ConfigMap volume.
TLS_DIR = "/etc/pipelock-tls"
# The Pipelock image is FROM scratch: the binary, no shell.
BINARY = "/pipelock"
# `nobody`: the proxy and probe pods run as this non-root UID and GID.
NOBODY = 65534

# -- what the agent is given ----------------------------------------------------
PROXY_ENV = ("HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy")
NO_PROXY_ENV = ("NO_PROXY", "no_proxy")
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")

# -- addresses ------------------------------------------------------------------
# Never reachable from the proxy, whatever spec.proxyEgress.denyCIDRs says:
# the metadata and platform endpoints of the major clouds (checked against
# each provider's documented addresses; docs/security.md lists them).
METADATA_CIDRS = (
    "169.254.0.0/16",          # link-local: IMDS of AWS, GCP, Azure, OCI, OpenStack, DigitalOcean, Hetzner,
                               # Linode, IBM; ECS task credentials 169.254.170.2, EKS Pod Identity
                               # 169.254.170.23, Tencent 169.254.0.23, Scaleway 169.254.42.42
    "168.63.129.16/32",        # Azure WireServer, host agent and DNS: a public address
    "100.100.100.200/32",      # Alibaba Cloud metadata (inside CGNAT, kept when 100.64.0.0/10 is allowed)
    "192.0.0.0/24",            # IETF protocol assignments; Oracle Cloud Classic metadata 192.0.0.192
    "0.0.0.0/8",               # "this network": Linux >= 5.2 routes it as unicast; never an internet address
    "fd00:ec2::/32",           # AWS over IPv6: IMDS fd00:ec2::254, DNS, NTP, EKS Pod Identity fd00:ec2::23
    "fd20:ce::254/128",        # GCP metadata on IPv6-only VMs
    "fd00:c1::a9fe:a9fe/128",  # Oracle OCI metadata over IPv6
    "fd00:42::42/128",         # Scaleway metadata over IPv6
    "fe80::/10",               # IPv6 link-local (OpenStack metadata fe80::a9fe:a9fe)
)
# The default of spec.proxyEgress.denyCIDRs: the metadata endpoints and the
# private ranges (these last can be allowed by leaving them out).
DEFAULT_DENY_CIDRS = (
    *METADATA_CIDRS,
    "10.0.0.0/8",              # private: cluster pod/service ranges, VPCs
    "172.16.0.0/12",
    "192.168.0.0/16",
    "100.64.0.0/10",           # carrier-grade NAT, used by some clusters for pods
    "fc00::/7",                # unique local IPv6
)
# IPv6 forms that reach an IPv4 address. The kernel turns a connect() to an
# IPv4-mapped address into IPv4 (the packet on the wire is IPv4), so such an
# address IS the IPv4 one; a generated policy never contains one (the API
# server rejects it under StrictIPCIDRValidation, which would leave the
# proxy unisolated).
IPV4_MAPPED = "::ffff:0:0/96"
# Translated forms: (prefix, bit offset of the IPv4 address in it). NAT64's
# well-known prefix (RFC 6052; AWS and GCP route it to their NAT gateways),
# IPv4-compatible (RFC 4291, deprecated) and 6to4 (RFC 3056).
IPV4_EMBEDDINGS = (("64:ff9b::/96", 96), ("::/96", 96), ("2002::/16", 16))
# Translated forms whose IPv4 target is not at a fixed place: local-use
# NAT64 (RFC 8215: the translator picks the prefix length) and Teredo
# (RFC 4380: the client address is obfuscated). Forbidden whole whenever an
# IPv4 range is.
IPV4_UNPLACED_EMBEDDINGS = ("64:ff9b:1::/48", "2001::/32")
EVERYWHERE_CIDRS = ("0.0.0.0/0", "::/0")
DEFAULT_PROXY_EGRESS_PORTS = (80, 443)

# -- the cluster DNS ------------------------------------------------------------
DEFAULT_DNS_NAMESPACE = "kube-system"
DEFAULT_DNS_POD_LABELS = {"k8s-app": "kube-dns"}
DEFAULT_CLUSTER_DOMAIN = "cluster.local"

# -- the Pipelock image -----------------------------------------------------------
DEFAULT_IMAGE = "ghcr.io/luckypipewrench/pipelock"
DEFAULT_PIPELOCK_VERSION = "2.2.0"

# -- the live probes ----------------------------------------------------------------
DEFAULT_PROBE_IMAGE = "curlimages/curl:8.11.1"
DEFAULT_PROBE_URL = "https://example.com"
DEFAULT_PROBE_TCP = "1.1.1.1:443"


class Role:
    """The roles of the objects the function generates for one agent. An
    object is ours when its kind and name are the ones its role gives for
    an agent in the input; the component label tells the roles apart to
    people and tools."""

    CONFIG = "config"
    PROXY = "proxy"
    SERVICE = "service"
    PROXY_POLICY = "proxy-policy"
    AGENT_POLICY = "agent-policy"
    PDB = "pdb"
    PROBE_SCRIPT = "probe-script"
    PROBE_JOB = "probe-job"


# The app.kubernetes.io/component label of each role's object.
COMPONENT = {
    Role.CONFIG: "config",
    Role.PROXY: "proxy",
    Role.SERVICE: "proxy",
    Role.PROXY_POLICY: "network-policy",
    Role.AGENT_POLICY: "agent-network-policy",
    Role.PDB: "pdb",
}
