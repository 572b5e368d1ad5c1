"""The function's settings as typed values, with one table of defaults.

`Settings.from_spec(spec)` builds them once from a validated
`CompanionProxy` spec; everything else reads attributes. The defaults are
the field defaults below and nowhere else.
"""

from .. import conventions as C
from . import images
from .record import Record, fresh


class WorkloadRef(Record):
    """A workload named in spec.workloads (kustomize generators see no resources)."""

    kind: str
    name: str
    pod_labels: dict
    namespace: str | None = None
    agent_identity: str | None = None
    proxy_name: str | None = None


class DestinationSpec(Record):
    """An in-cluster destination the agent calls directly, not via the proxy."""

    name: str
    ports: tuple  # ({"protocol": ..., "port": ...}, ...) as NetworkPolicy ports entries
    namespace: str | None = None
    pod_labels: dict | None = None
    cidrs: tuple = ()


class Dns(Record):
    namespace: str = C.DEFAULT_DNS_NAMESPACE
    pod_labels: dict = fresh(factory=lambda: dict(C.DEFAULT_DNS_POD_LABELS))
    cidrs: tuple = ()
    # The port the DNS *pods* listen on: NetworkPolicies see the port after
    # the Service's translation (OpenShift: Service 53 -> pods 5353).
    ports: tuple = (C.DNS_PORT,)


class ProxyEgress(Record):
    ports: tuple = C.DEFAULT_PROXY_EGRESS_PORTS
    allow_cidrs: tuple = C.EVERYWHERE_CIDRS
    deny_cidrs: tuple = C.DEFAULT_DENY_CIDRS


class Scraper(Record):
    """The pods that may scrape the proxy's metrics port."""

    namespace: str
    pod_labels: dict


class Metrics(Record):
    scraper: Scraper | None = None


class PolicyRef(Record):
    """A policy object named in spec.unanalysedPolicies."""

    kind: str
    name: str
    namespace: str | None = None
    api_version: str | None = None

    def names(self, api_version, kind, name, namespace):
        """Whether this entry names that object (apiVersion and namespace only when given)."""
        return (self.kind == kind and self.name == name
                and (self.namespace is None or self.namespace == (namespace or "default"))
                and (self.api_version is None or self.api_version == api_version))


class Tls(Record):
    # The Secret holding the CA key, and the certificate unless
    # cert_config_map names a ConfigMap for it (upstream's recipe: ConfigMap
    # `pipelock-ca` key ca.pem + Secret `pipelock-ca-key` key ca-key.pem).
    # Key names default to `pipelock tls init`'s; cert-manager's are
    # tls.crt / tls.key.
    secret_name: str
    cert_key: str = C.CA_CERT_FILE
    key_key: str = C.CA_KEY_FILE
    cert_config_map: str | None = None
    # With the pod's fsGroup the kubelet ORs 0440 into a Secret's files and
    # makes them group-owned by the fsGroup: the proxy reads the key through
    # the group bit whatever the mode, and Pipelock refuses only modes with a
    # bit of 0o137 (settings.checks).
    default_mode: int = 0o440
    fs_group: int = C.NOBODY
    cert_ttl: str | None = None
    cert_cache_size: int | None = None
    max_response_bytes: int | None = None
    # bundle: every routed container trusts the public roots + the Pipelock
    # CA (topology.trust); none: you give the agents the CA yourself.
    agent_trust: str = "bundle"
    trust_image: str | None = None  # default: the pipelock-init image of `version`


class Rollout(Record):
    depends_on: bool = False
    argo_sync_waves: bool = False


class Probes(Record):
    enabled: bool = False
    image: str = C.DEFAULT_PROBE_IMAGE
    external_url: str = C.DEFAULT_PROBE_URL
    external_tcp: str = C.DEFAULT_PROBE_TCP
    # A URL on a spec.passthroughDomains host: with TLS interception the
    # probe checks it keeps its public certificate.
    passthrough_url: str | None = None


def _default_resources():
    return {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "500m", "memory": "512Mi"}}


class Settings(Record):
    mode: str = "generate"
    selector: dict = fresh(factory=dict)  # a kpt resource selector (krm.selector)
    exclude: dict = fresh(factory=dict)
    workloads: tuple = ()  # (WorkloadRef, ...)
    image: str = C.DEFAULT_IMAGE
    version: str = C.DEFAULT_PIPELOCK_VERSION
    replicas: int = 2
    resources: dict = fresh(factory=_default_resources)
    preset: str = "balanced"
    agent_identity: str | None = None
    api_allowlist: tuple = ()
    passthrough_domains: tuple = ()
    no_proxy: tuple = ()
    cluster_domain: str = C.DEFAULT_CLUSTER_DOMAIN
    dns: Dns = fresh(factory=Dns)
    proxy_egress: ProxyEgress = fresh(factory=ProxyEgress)
    proxy_namespace: str | None = None  # the companions' namespace; None: the workload's
    metrics: Metrics = fresh(factory=Metrics)
    destinations: tuple = ()  # (DestinationSpec, ...)
    tls: Tls | None = None
    existing_policies: str = "report"
    unanalysed_policies: tuple = ()  # (PolicyRef, ...)
    downloading_init_containers: str = "warn"
    legacy_sidecar: str = "warn"
    rollout: Rollout = fresh(factory=Rollout)
    probes: Probes = fresh(factory=Probes)
    # Fail closed: a selection that matches nothing is an error unless allowed.
    allow_empty_match: bool = False
    # Where the settings came from: "CompanionProxy", "ConfigMap" or None
    # (no config: select by annotation), and the config's resourceRef.
    source: str | None = None
    ref: dict | None = None

    @property
    def image_ref(self):
        """The proxy image: `image` at tag `version`, and its digest when
        `image` carries one (the runtime then pulls by the digest)."""
        name, _, digest = images.split(self.image)
        return images.join(name, self.version, digest)

    @property
    def trust_image_ref(self):
        """The image that builds the agents' trust bundle."""
        if self.tls is not None and self.tls.trust_image:
            return self.tls.trust_image
        return images.join(C.DEFAULT_TRUST_IMAGE, self.version)

    @property
    def agent_trust(self):
        """Whether routed containers get the trust bundle."""
        return self.tls is not None and self.tls.agent_trust == "bundle"

    @property
    def has_selector(self):
        return any(self.selector.values())

    def workload_named(self, kind, name, namespace):
        """The spec.workloads entry naming this workload (the first), or None.
        Asked for every workload of the input: looked up, not searched."""
        index = self.__dict__.get("_workloads_by_id")
        if index is None:
            index = {}
            for ref in self.workloads:
                index.setdefault((ref.kind, ref.name, ref.namespace or None), ref)
            object.__setattr__(self, "_workloads_by_id", index)  # derived from a field: not a field itself
        return index.get((kind, name, namespace or None))

    @classmethod
    def from_spec(cls, spec, source=None, ref=None):
        """Settings from a spec that passed the schema (camelCase keys)."""
        spec = spec or {}
        given: dict = {}
        for key, name in _SCALARS.items():
            if key in spec:
                given[name] = _plain(spec[key])
        for key, name in _LISTS.items():
            if key in spec:
                given[name] = tuple(spec[key])
        if "selector" in spec:
            given["selector"] = dict(spec["selector"])
        if "exclude" in spec:
            given["exclude"] = dict(spec["exclude"])
        if "resources" in spec:
            given["resources"] = _merged(_default_resources(), spec["resources"])
        if "workloads" in spec:
            given["workloads"] = tuple(WorkloadRef(
                kind=w["kind"], name=w["name"], pod_labels=dict(w["podLabels"]), namespace=w.get("namespace"),
                agent_identity=w.get("agentIdentity"), proxy_name=w.get("proxyName")) for w in spec["workloads"])
        if "destinations" in spec:
            given["destinations"] = tuple(DestinationSpec(
                name=d["name"], namespace=d.get("namespace"), pod_labels=d.get("podLabels"),
                cidrs=tuple(d.get("cidrs") or ()),
                ports=tuple({"protocol": p.get("protocol", "TCP"), "port": p["port"]} for p in d["ports"]))
                for d in spec["destinations"])
        scraper = (spec.get("metrics") or {}).get("scraper")
        if scraper is not None:
            given["metrics"] = Metrics(Scraper(scraper["namespace"], dict(scraper["podLabels"])))
        if "unanalysedPolicies" in spec:
            given["unanalysed_policies"] = tuple(PolicyRef(
                kind=r["kind"], name=r["name"], namespace=r.get("namespace"), api_version=r.get("apiVersion"))
                for r in spec["unanalysedPolicies"])
        for key, attribute, kind, names in _OBJECTS:
            if spec.get(key) is not None:
                fields: dict = {names[k]: _plain(v) for k, v in spec[key].items()}
                given[attribute] = kind(**fields)
        return cls(**given, source=source, ref=ref)


# spec key -> attribute, for values taken as they are
_SCALARS = {
    "mode": "mode", "image": "image", "version": "version", "replicas": "replicas", "preset": "preset",
    "agentIdentity": "agent_identity", "clusterDomain": "cluster_domain", "existingPolicies": "existing_policies",
    "proxyNamespace": "proxy_namespace",
    "downloadingInitContainers": "downloading_init_containers", "legacySidecar": "legacy_sidecar",
    "allowEmptyMatch": "allow_empty_match",
}
_LISTS = {"apiAllowlist": "api_allowlist", "passthroughDomains": "passthrough_domains", "noProxy": "no_proxy"}
# Nested objects: each field given replaces its default, the others keep theirs.
_OBJECTS = (
    ("dns", "dns", Dns, {"namespace": "namespace", "podLabels": "pod_labels", "cidrs": "cidrs", "ports": "ports"}),
    ("proxyEgress", "proxy_egress", ProxyEgress,
     {"ports": "ports", "allowCIDRs": "allow_cidrs", "denyCIDRs": "deny_cidrs"}),
    ("tls", "tls", Tls,
     {"secretName": "secret_name", "certKey": "cert_key", "keyKey": "key_key", "certConfigMap": "cert_config_map",
      "defaultMode": "default_mode", "fsGroup": "fs_group", "certTTL": "cert_ttl", "certCacheSize": "cert_cache_size",
      "maxResponseBytes": "max_response_bytes", "agentTrust": "agent_trust", "trustImage": "trust_image"}),
    ("rollout", "rollout", Rollout, {"dependsOn": "depends_on", "argoSyncWaves": "argo_sync_waves"}),
    ("probes", "probes", Probes,
     {"enabled": "enabled", "image": "image", "externalURL": "external_url", "externalTCP": "external_tcp",
      "passthroughURL": "passthrough_url"}),
)


def _plain(value):
    """Lists as tuples (frozen settings); an integer the schema accepted as
    `5.0` as the int 5, so the Pipelock config says 5."""
    if isinstance(value, list):
        return tuple(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _merged(base, override):
    out = dict(base)
    for key, value in override.items():
        out[key] = _merged(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
    return out
