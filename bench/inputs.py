"""ResourceLists for the benchmark: mixed kinds, about 1 KB an item, 1% agent workloads.

Items are written as text from templates (as kpt would send them: its
path/index annotations included), so generating 10,000 of them takes
milliseconds and the input is the same from run to run.
"""

NAMESPACES = ("shop", "billing", "search", "platform", "data")
AGENT_NAMESPACES = ("agents-a", "agents-b", "agents-c")

HEADER = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n"

CONFIGMAP = """\
- apiVersion: v1
  kind: ConfigMap
  metadata:
    name: settings-{i}
    namespace: {ns}
    labels:
      app.kubernetes.io/name: settings-{i}
      app.kubernetes.io/part-of: {ns}
    annotations:
      internal.config.kubernetes.io/path: '{ns}/configmap_settings-{i}.yaml'
      internal.config.kubernetes.io/index: '0'
      example.com/description: "{ns} item {i}, owned by team-{ns}@example.com; on-call rota in the runbook, escalation via the platform channel"
  data:
    LOG_LEVEL: "info"
    FEATURE_FLAGS: "search,checkout,recommendations"
    enabled: on  # a YAML 1.1 boolean, a 1.2 string: must come out as it came in
    mode: 0644
    application.properties: |
      server.port=8080
      server.shutdown=graceful
      spring.datasource.url=jdbc:postgresql://db.{ns}.svc:5432/app
      spring.datasource.hikari.maximum-pool-size=20
      management.endpoints.web.exposure.include=health,info,prometheus
      logging.level.root=INFO
      cache.ttl.seconds=300
      retry.max-attempts=5
"""

SERVICE = """\
- apiVersion: v1
  kind: Service
  metadata:
    name: web-{i}
    namespace: {ns}
    labels:
      app.kubernetes.io/name: web-{i}
      app.kubernetes.io/component: frontend
      app.kubernetes.io/part-of: {ns}
    annotations:
      internal.config.kubernetes.io/path: '{ns}/service_web-{i}.yaml'
      internal.config.kubernetes.io/index: '0'
      example.com/description: "{ns} item {i}, owned by team-{ns}@example.com; on-call rota in the runbook, escalation via the platform channel"
      prometheus.io/scrape: "true"
      prometheus.io/port: "9090"
  spec:
    type: ClusterIP
    selector:
      app.kubernetes.io/name: web-{i}
      app.kubernetes.io/component: frontend
    ports:
    - name: http
      port: 80
      targetPort: http
      protocol: TCP
    - name: metrics
      port: 9090
      targetPort: metrics
      protocol: TCP
    sessionAffinity: None
"""

DEPLOYMENT = """\
- apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: {name}
    namespace: {ns}
    labels:
      app: {name}
    annotations:
      internal.config.kubernetes.io/path: '{ns}/deployment_{name}.yaml'
      internal.config.kubernetes.io/index: '0'
      example.com/description: "{ns} item {i}, owned by team-{ns}@example.com; on-call rota in the runbook, escalation via the platform channel"{inject}
  spec:
    replicas: 2
    selector:
      matchLabels:
        app: {name}
    template:
      metadata:
        labels:
          app: {name}
      spec:
        containers:
        - name: app
          image: registry.example.com/{ns}/{name}:1.{i}.0
          ports:
          - name: http
            containerPort: 8080
          env:
          - name: LOG_LEVEL
            value: "info"
          - name: REGION
            value: eu-west-1
          resources:
            requests: {{cpu: 100m, memory: 128Mi}}
            limits: {{cpu: 500m, memory: 512Mi}}
          readinessProbe:
            httpGet: {{path: /healthz, port: http}}
            periodSeconds: 10
"""

INJECT = '\n      pipelock.dev/inject: "true"'

SECRET = """\
- apiVersion: v1
  kind: Secret
  metadata:
    name: credentials-{i}
    namespace: {ns}
    annotations:
      internal.config.kubernetes.io/path: '{ns}/secret_credentials-{i}.yaml'
      internal.config.kubernetes.io/index: '0'
      example.com/description: "{ns} item {i}, owned by team-{ns}@example.com; on-call rota in the runbook, escalation via the platform channel"
  type: Opaque
  data:
    username: YWRtaW5pc3RyYXRvcg==
    password: c2VjcmV0LXBhc3N3b3JkLXRoYXQtaXMtbG9uZy1lbm91Z2gtdG8tbWF0dGVyLWluLWEtYmVuY2htYXJr
    token: ZXlKaGJHY2lPaUpJVXpJMU5pSXNJblI1Y0NJNklrcFhWQ0o5LmV5SnpkV0lpT2lJeE1qTTBOVFkzT0Rrd0lpd2libUZ0WlNJNklrcHZhRzRnUkc5bElpd2lhV0YwSWpveE5URTJNak01TURJeWZR
    ca.crt: LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUJrVENCK3dJSkFNQ3ZvWGVpUjRTT01BMEdDU3FHU0liM0RRRUJDd1VBTUJFeER6QU5CZ05WQkFNTUJuUmxjM1JqWVRBZUZ3MHlOREF4TURFd01EQXdNREJhRncwek5EQXhNREV3TURBd01EQmFNQkV4RHpBTkJnTlZCQU1NQm5SbGMzUmpZVEJjTUEwR0NTcUdTSWIzRFFFQkFRVUFBMHNBTUVnQ1FRQzdvV3U=
"""

CUSTOM = """\
- apiVersion: monitoring.example.com/v1
  kind: AlertRule
  metadata:
    name: latency-{i}
    namespace: {ns}
    annotations:
      internal.config.kubernetes.io/path: '{ns}/alertrule_latency-{i}.yaml'
      internal.config.kubernetes.io/index: '0'
      example.com/description: "{ns} item {i}, owned by team-{ns}@example.com; on-call rota in the runbook, escalation via the platform channel"
  spec:
    # anchors and aliases inside one item are common in hand-written CRs
    defaults: &defaults-{i}
      severity: warning
      for: 5m
      team: {ns}
    rules:
    - name: HighLatency
      <<: *defaults-{i}
      expr: histogram_quantile(0.99, rate(http_request_duration_seconds_bucket{{job="web-{i}"}}[5m])) > 0.5
    - name: ErrorRate
      <<: *defaults-{i}
      severity: critical
      expr: sum(rate(http_requests_total{{job="web-{i}",code=~"5.."}}[5m])) / sum(rate(http_requests_total{{job="web-{i}"}}[5m])) > 0.05
    window: 1:20
    since: 2026-01-01
"""

OTHERS = (CONFIGMAP, SERVICE, DEPLOYMENT, SECRET, CUSTOM)


def items(n, all_selected=False):
    """The item texts of an n-item ResourceList: every 100th a selected agent
    workload; with `all_selected`, every other Deployment (a fifth of the
    rest) is selected too."""
    out = []
    agent = 0
    for i in range(n):
        if i % 100 == 50 or (n < 100 and i == n // 2):
            ns = AGENT_NAMESPACES[agent % len(AGENT_NAMESPACES)]
            out.append(DEPLOYMENT.format(i=i, ns=ns, name=f"agent-{i}", inject=INJECT))
            agent += 1
            continue
        template = OTHERS[i % len(OTHERS)]
        ns = NAMESPACES[(i // len(OTHERS)) % len(NAMESPACES)]
        inject = INJECT if all_selected and template is DEPLOYMENT else ""
        out.append(template.format(i=i, ns=ns, name=f"app-{i}", inject=inject))
    return out


def resource_list(n, all_selected=False):
    return HEADER + "".join(items(n, all_selected))


CONFIG = """\
functionConfig:
  apiVersion: fn.pipelock.dev/v1alpha1
  kind: CompanionProxy
  metadata:
    name: companion
    annotations:
      config.kubernetes.io/local-config: "true"
  spec:
    preset: strict
    apiAllowlist: [api.openai.com, "*.anthropic.com"]
    replicas: 2
"""


def one_workload(with_config=False):
    """A ResourceList holding one agent workload (the cold-start input)."""
    text = HEADER + DEPLOYMENT.format(i=1, ns=AGENT_NAMESPACES[0], name="agent-1", inject=INJECT)
    return text + (CONFIG if with_config else "")


# -- one workload with many containers (issue 10, item 12) ----------------------

CONTAINER = """\
        - name: c{i}
          image: registry.example.com/agent:{i}
          env:
          - name: A
            value: "x"
"""


def many_containers(n):
    """A ResourceList of one agent Deployment with n containers: the patch
    edits each of them, so its cost must grow with n, not with n x n."""
    head = DEPLOYMENT.format(i=0, ns=AGENT_NAMESPACES[0], name="agent-0", inject=INJECT)
    head = head[:head.index("        containers:\n") + len("        containers:\n")]
    return HEADER + head + "".join(CONTAINER.format(i=i) for i in range(n))


# -- the policy-heavy package (issue 17, item 2) ---------------------------------
# One namespace holding every agent and every user policy: the analysis must
# compare each agent only with the policies that can select it or its peers.

POLICY_NAMESPACE = "agents"

APP_POLICY = """\
- apiVersion: networking.k8s.io/v1
  kind: NetworkPolicy
  metadata:
    name: app-{i}
    namespace: {ns}
    annotations:
      internal.config.kubernetes.io/path: '{ns}/networkpolicy_app-{i}.yaml'
      internal.config.kubernetes.io/index: '0'
  spec:
    podSelector:
      matchLabels:
        app: web-{i}
    policyTypes: [Ingress, Egress]
    ingress:
    - from:
      - podSelector:
          matchLabels: {{app: frontend}}
      - namespaceSelector:
          matchLabels: {{kubernetes.io/metadata.name: ingress}}
      ports: [{{port: 8080}}]
    egress:
    - to:
      - podSelector:
          matchLabels: {{app: db-{i}}}
      ports: [{{port: 5432}}]
    - to:
      - ipBlock: {{cidr: 0.0.0.0/0, except: [10.0.0.0/8, 169.254.0.0/16]}}
      ports: [{{port: 443}}]
"""

TIER_POLICY = """\
- apiVersion: networking.k8s.io/v1
  kind: NetworkPolicy
  metadata:
    name: tier-{i}
    namespace: {ns}
  spec:
    podSelector:
      matchExpressions:
      - {{key: tier, operator: In, values: [backend-{i}, batch-{i}]}}
    ingress:
    - from:
      - podSelector: {{matchLabels: {{tier: frontend}}}}
"""

AGENT_DNS_POLICY = """\
- apiVersion: networking.k8s.io/v1
  kind: NetworkPolicy
  metadata:
    name: agent-dns-{i}
    namespace: {ns}
  spec:
    podSelector:
      matchLabels: {{app: agent-{i}}}
    policyTypes: [Egress]
    egress:
    - to:
      - namespaceSelector:
          matchLabels: {{kubernetes.io/metadata.name: kube-system}}
        podSelector:
          matchLabels: {{k8s-app: kube-dns}}
      ports: [{{port: 53, protocol: UDP}}, {{port: 53, protocol: TCP}}]
"""

NAMESPACE_WIDE = """\
- apiVersion: networking.k8s.io/v1
  kind: NetworkPolicy
  metadata:
    name: default-deny-ingress
    namespace: {ns}
  spec:
    podSelector: {{}}
    policyTypes: [Ingress]
- apiVersion: networking.k8s.io/v1
  kind: NetworkPolicy
  metadata:
    name: allow-dns
    namespace: {ns}
  spec:
    podSelector: {{}}
    policyTypes: [Egress]
    egress:
    - to:
      - namespaceSelector: {{matchLabels: {{kubernetes.io/metadata.name: kube-system}}}}
        podSelector: {{matchLabels: {{k8s-app: kube-dns}}}}
      ports: [{{port: 53, protocol: UDP}}]
"""


def policy_heavy(agents=1_000, policies=1_000):
    """A ResourceList of `agents` agent Deployments and `policies` user
    NetworkPolicies, all in one namespace: per-app policies (ingress and
    egress, the kind every namespace has), policies by matchExpressions,
    policies that select one agent (DNS only: permitted), and two that
    select every pod (default-deny ingress, DNS egress). The function
    exits 0 on it: none of them opens the lockdown."""
    ns = POLICY_NAMESPACE
    out = [DEPLOYMENT.format(i=i, ns=ns, name=f"agent-{i}", inject=INJECT) for i in range(agents)]
    out.append(NAMESPACE_WIDE.format(ns=ns))
    for i in range(max(policies - 2, 0)):
        template = (AGENT_DNS_POLICY, TIER_POLICY, APP_POLICY, APP_POLICY, APP_POLICY)[i % 5]
        out.append(template.format(i=i, ns=ns))
    return HEADER + "".join(out)


if __name__ == "__main__":  # python bench/inputs.py N [all] > rl.yaml; python bench/inputs.py --policy-heavy A P
    import sys

    if len(sys.argv) > 1 and sys.argv[1] == "--policy-heavy":
        sizes = [int(a) for a in sys.argv[2:4]]
        sys.stdout.write(policy_heavy(*sizes))
    else:
        sys.stdout.write(resource_list(int(sys.argv[1]) if len(sys.argv) > 1 else 100, "all" in sys.argv[2:]))
