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
DNS_PORT = 53  # the default; spec.dns.ports (OpenShift's CoreDNS pods listen on 5353)
CONFIG_DIR = "/etc/pipelock"
CONFIG_FILE = "pipelock.yaml"
# Not under CONFIG_DIR: a mount point cannot be made inside a read-only
# ConfigMap volume. The CA files get fixed names there (volume items), so
# the Pipelock config does not depend on the Secret's key names.
TLS_DIR = "/etc/pipelock-tls"
# With the certificate in a ConfigMap (upstream's recipe), it has its own volume.
TLS_CERT_DIR = "/etc/pipelock-tls-cert"
CA_CERT_FILE = "ca.pem"        # `pipelock tls init`'s names
CA_KEY_FILE = "ca-key.pem"
# The Pipelock image is FROM scratch: the binary, no shell.
BINARY = "/pipelock"
# `nobody`: the proxy and probe pods run as this non-root UID and GID.
NOBODY = 65534

# -- what the agent is given ----------------------------------------------------
PROXY_ENV = ("HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy")
NO_PROXY_ENV = ("NO_PROXY", "no_proxy")
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "::1")

# With TLS interception: the trust every routed container gets. An init
# container writes the public roots plus the Pipelock CA certificate (never
# the key) into an emptyDir that every container mounts read-only.
TRUST_CONTAINER = "pipelock-trust"
TRUST_VOLUME = "pipelock-trust"        # the emptyDir
CA_SOURCE_VOLUME = "pipelock-ca-cert"  # the certificate alone, for the init container
TRUST_DIR = "/etc/pipelock-trust"
CA_SOURCE_DIR = "/etc/pipelock-ca-cert"
TRUST_BUNDLE_FILE = "ca-bundle.crt"    # public roots + the Pipelock CA
TRUST_CA_FILE = "pipelock-ca.crt"      # the Pipelock CA alone
# These replace the default roots, so they get the combined bundle:
# OpenSSL (Python ssl/urllib/httpx, curl, Ruby) and Go; requests; curl;
# git over GnuTLS (Debian's git), which reads no SSL_CERT_FILE.
TRUST_BUNDLE_ENV = ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "GIT_SSL_CAINFO")
# Node adds this file to its own roots: the CA alone.
TRUST_EXTRA_ENV = ("NODE_EXTRA_CA_CERTS",)
# Where the trust image keeps its public roots (Alpine's ca-certificates-bundle).
PUBLIC_ROOTS = "/etc/ssl/certs/ca-certificates.crt"

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
# What the input can show of other DNS setups (docs/dns.md).
NODE_LOCAL_DNS_LABELS = {"k8s-app": "node-local-dns"}
NODE_LOCAL_DNS_NAME = "node-local-dns"
NODE_LOCAL_DNS_DEFAULT_IP = "169.254.20.10"
OPENSHIFT_DNS_NAMESPACE = "openshift-dns"
OPENSHIFT_DNS_POD_LABELS = {"dns.operator.openshift.io/daemonset-dns": "default"}
OPENSHIFT_DNS_PORT = 5353

# -- the Pipelock image -----------------------------------------------------------
DEFAULT_IMAGE = "ghcr.io/luckypipewrench/pipelock"
# Pipelock's releases tag images with the version without its `v`
# (GoReleaser's .Version): 2.2.0, never v2.2.0.
DEFAULT_PIPELOCK_VERSION = "2.2.0"
# Published with every release beside the proxy image: Alpine (sh, cat, the
# public roots) plus the binary, USER 65534. It builds the agents' trust bundle.
DEFAULT_TRUST_IMAGE = "ghcr.io/luckypipewrench/pipelock-init"
# Go's int and int64 on the platforms Pipelock publishes (amd64, arm64).
GO_INT_MAX = 2**63 - 1

# -- the live probes ----------------------------------------------------------------
DEFAULT_PROBE_IMAGE = "curlimages/curl:8.11.1"
DEFAULT_PROBE_URL = "https://example.com"
DEFAULT_PROBE_TCP = "1.1.1.1:443"

# -- upstream's `pipelock init sidecar` ---------------------------------------------
# Pipelock v2.2.0's Defaults().APIAllowlist (internal/config/config.go), which
# `init sidecar --preset strict` writes when no allowlist is given. Quoted in
# the strict-preset error: it is the migration path, not our default.
UPSTREAM_DEFAULT_ALLOWLIST = (
    "*.anthropic.com", "*.openai.com", "api.telegram.org", "*.discord.com", "gateway.discord.gg",
    "*.slack.com", "github.com", "*.github.com", "*.githubusercontent.com", "registry.npmjs.org",
)
# Its sidecar canary: a synthetic AWS access key ID in a URL, split so that
# no file of ours trips a secret scanner (internal/cli/setup/sidecar_canary.go).
CANARY_KEY = "AKIA" + "IOSFODNN7CANARY1"


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
