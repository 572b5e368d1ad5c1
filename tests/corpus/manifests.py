"""Look-alikes of real release manifests, generated (nothing fetched).

What Helm charts, operator bundles and `kubectl kustomize` output hold,
mixed at random but deterministically by seed: Helm `# Source:` heads,
license headers, CRDs with long descriptions and block scalars, `---` with
comments, `...`, `%YAML`/`%TAG` directives, flow mappings, anchors and
merge keys within a document, YAML 1.1-ambiguous scalars quoted and not,
trailing spaces, CRLF line breaks, a last document without its final line
break; and now and then an agent workload opted in to the function.

    stream(seed, documents, directives=True, crlf=...) -> Stream
    package(seed, directory, files, documents_per_file)  (for kpt: no directives)
"""

import os
import random

AMBIGUOUS = ["on", "off", "yes", "no", "y", "n", "NO", "True", "FALSE", "0644", "0o644", "0x1F", "012", "1:20",
             "190:20:30", "1_000", "2026-01-01", "~", "null", ".inf", "-.Inf", ".NaN", "1e3", "+12", "-0", "0."]
WORDS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet", "kilo",
         "lima", "metrics", "gateway", "controller", "webhook", "frontend", "cache", "queue", "ledger"]
NAMESPACES = ["default", "monitoring", "argocd", "istio-system", "shop", "agents"]
LICENSE = ("# Copyright 2024 The Example Authors.\n#\n"
           '# Licensed under the Apache License, Version 2.0 (the "License");\n'
           "# you may not use this file except in compliance with the License.\n\n")


class Stream:
    """A generated stream: its text and its segments, (text, is_agent) in
    order; the text is their concatenation."""

    def __init__(self, segments, line_break="\n"):
        self.segments = [(text.replace("\n", line_break), agent) for text, agent in segments]
        self.text = "".join(text for text, _ in self.segments)
        self.line_break = line_break

    @property
    def agents(self):
        return sum(agent for _, agent in self.segments)


class _Gen:
    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.seed = seed
        self.count = 0

    def pick(self, options):
        return self.rng.choice(options)

    def chance(self, p):
        return self.rng.random() < p

    def name(self):
        self.count += 1  # with the seed: unique across the streams of a package too
        return f"{self.pick(WORDS)}-{self.pick(WORDS)}-{self.seed}-{self.count}"

    def scalar(self, value):
        """A value as a manifest writes it: bare, single- or double-quoted
        (bare only where YAML 1.2 reads it as the string or number it is)."""
        style = self.rng.randrange(3)
        if style == 0 and value not in ("", "~", "null") and not value.startswith(("*", "&", "!", "%", "@", "`")):
            return value
        if style == 1:
            return "'" + value.replace("'", "''") + "'"
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'

    def trailing(self):
        return " " * self.rng.randrange(1, 4) if self.chance(0.05) else ""

    # -- documents -------------------------------------------------------

    def metadata(self, name, namespace, flow=False, annotations=None):
        labels = {"app.kubernetes.io/name": name.split("-")[0], "app.kubernetes.io/part-of": "shop"}
        if self.chance(0.3):
            labels["tier"] = self.pick(["on", "off", "yes", "backend"])  # quoted below: they are strings
        if flow:
            inner = ", ".join(f"{k}: {self.scalar(v) if v in AMBIGUOUS else v}" for k, v in labels.items())
            return f"metadata: {{name: {name}, namespace: {namespace}, labels: {{{inner}}}}}\n"
        out = f"metadata:\n  name: {name}{self.trailing()}\n"
        if namespace != "default" or self.chance(0.5):
            out += f"  namespace: {namespace}\n"
        out += "  labels:\n" + "".join(f"    {k}: {self.scalar(v) if v in AMBIGUOUS else v}\n"
                                        for k, v in labels.items())
        if annotations:
            out += "  annotations:\n" + "".join(f"    {k}: {v}\n" for k, v in annotations.items())
        return out

    def configmap(self):
        name, ns = self.name(), self.pick(NAMESPACES)
        out = "apiVersion: v1\nkind: ConfigMap\n" + self.metadata(name, ns, flow=self.chance(0.2)) + "data:\n"
        for i in range(self.rng.randrange(2, 7)):
            out += f"  key{i}: {self.scalar(self.pick(AMBIGUOUS))}{self.trailing()}\n"
        style = self.pick(["|", "|-", "|+", ">", ">-", "|2"])
        out += f"  script.sh: {style}\n"
        for line in range(self.rng.randrange(1, 5)):
            # with an indentation indicator the first line may start with spaces
            indent = "      " if style == "|2" and line == 0 else "    "
            out += f"{indent}echo {self.pick(WORDS)} {line}{self.trailing() if style.startswith('|') else ''}\n"
        if style == "|+":
            out += "\n"
        return out

    def secret(self):
        name, ns = self.name(), self.pick(NAMESPACES)
        return ("apiVersion: v1\nkind: Secret\n" + self.metadata(name, ns) + "type: Opaque\nstringData:\n"
                f"  password: {self.scalar('s3cr3t-' + self.pick(WORDS))}\n  mode: {self.scalar('0600')}\n")

    def service(self):
        name, ns = self.name(), self.pick(NAMESPACES)
        ports = "[{name: http, port: 80, targetPort: 8080}]" if self.chance(0.5) else \
            "\n  - name: http\n    port: 80\n    targetPort: http\n    protocol: TCP"
        return ("apiVersion: v1\nkind: Service\n" + self.metadata(name, ns) + "spec:\n  type: ClusterIP\n"
                f"  selector:\n    app.kubernetes.io/name: {name.split('-')[0]}\n  ports: {ports}\n").replace(
                    "ports: \n", "ports:\n")

    def deployment(self, agent=False):
        name = self.name()
        ns = "agents" if agent else self.pick(NAMESPACES[:-1])
        annotations = {"pipelock.dev/inject": '"true"'} if agent else (
            {"deployment.kubernetes.io/revision": '"3"'} if self.chance(0.3) else None)
        app = name
        out = "apiVersion: apps/v1\nkind: Deployment\n" + self.metadata(name, ns, annotations=annotations)
        anchored = self.chance(0.2)
        if anchored:
            out += "x-defaults: &defaults\n  imagePullPolicy: IfNotPresent\n  terminationMessagePolicy: File\n"
        out += (f"spec:\n  replicas: {self.rng.randrange(1, 4)}\n  selector:\n    matchLabels:\n      app: {app}\n"
                f"  template:\n    metadata:\n      labels:\n        app: {app}\n    spec:\n      containers:\n"
                f"      - name: main\n        image: registry.example.com/{name}:1.{self.count % 9}.0\n")
        if anchored:
            out += "        <<: *defaults\n"
        # An agent's env value must be a string, or the function refuses the
        # workload as the API server would: quoted there, any style elsewhere.
        value = self.pick(AMBIGUOUS)
        value = '"' + value.replace('"', '\\"') + '"' if agent else self.scalar(value)
        out += ('        args: [--port=8080, "--log-level=info"]\n        env:\n'
                f"        - name: FEATURE\n          value: {value}\n")
        return out

    def crd(self):
        kind = self.pick(WORDS).capitalize() + "Policy"
        group = f"{self.name()}.example.com"  # unique: two CRDs of one name are one object
        words = " ".join(self.pick(WORDS) for _ in range(40))
        return (f"apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n"
                f"  name: {kind.lower()}s.{group}\n  annotations:\n    controller-gen.kubebuilder.io/version: v0.14.0\n"
                f"spec:\n  group: {group}\n  names:\n    kind: {kind}\n    plural: {kind.lower()}s\n"
                f"  scope: Namespaced\n"
                f"  versions:\n  - name: v1\n    served: true\n    storage: true\n    schema:\n      openAPIV3Schema:\n"
                f"        description: {kind} is the Schema for the {kind.lower()}s API. {words}\n"
                f"        type: object\n        properties:\n          spec:\n            description: >-\n"
                f"              {words}\n\n              {words[:80]}\n            type: object\n"
                f"            properties:\n              schedule:\n                description: |\n"
                f"                  The schedule in Cron format, see https://en.wikipedia.org/wiki/Cron.\n"
                f"                    indented: kept\n                type: string\n"
                f"                pattern: '^(@(annually|yearly|monthly|weekly|daily|hourly))|((.+)\\s){{4}}.+$'\n")

    def custom(self, tag_handle=None):
        name, ns = self.name(), self.pick(NAMESPACES)
        tagged = f"{tag_handle}thing " if tag_handle else ""
        return (f"apiVersion: example.com/v1\nkind: {self.pick(WORDS).capitalize()}Policy\n" + self.metadata(name, ns)
                + f"spec:\n  base: &base {{retries: 3, window: 1:20}}\n  primary:\n    <<: *base\n    window: 0644\n"
                  f"  copy: *base\n  note: {tagged}{self.scalar(self.pick(WORDS))}\n"
                  "  empty: ~\n  flags: [on, off, yes]\n")

    def document(self, agent, tag_handle=None):
        if agent:
            return self.deployment(agent=True)
        maker = self.pick([self.configmap, self.configmap, self.secret, self.service, self.deployment, self.crd,
                           self.custom])
        return maker(tag_handle) if maker == self.custom else maker()


def stream(seed, documents, directives=True, crlf=None, agent_share=0.02):
    """A plain stream of `documents` documents as Helm, kustomize or an
    operator bundle writes them."""
    gen = _Gen(seed)
    segments = []
    if gen.chance(0.3):
        segments.append((LICENSE, False))
    helm = gen.chance(0.5)
    for index in range(documents):
        agent = gen.chance(agent_share)
        handle = None
        head = ""
        if index:
            if directives and gen.chance(0.05):
                handle = "!e!"
                head += "...\n" if gen.chance(0.5) else "... # end of the document\n"
                head += "%YAML 1.2\n" if gen.chance(0.5) else ""
                head += "%TAG !e! tag:example.com,2024:\n---\n"
            elif gen.chance(0.05):
                head += "...\n---\n"
            else:
                head += gen.pick(["---\n", "---\n", "---\n", "--- # next\n", "---   \n", "\n---\n"])
        if helm:
            head += f"# Source: shop/templates/{gen.pick(WORDS)}.yaml\n"
        elif gen.chance(0.1):
            head += "# A comment about the next resource\n\n"
        segments.append((head, False))
        segments.append((gen.document(agent, handle), agent))
    text, agent = segments[-1]
    if gen.chance(0.5):  # no final line break
        segments[-1] = (text.rstrip("\n"), agent)
    if crlf is None:
        crlf = gen.chance(0.2)
    return Stream(segments, "\r\n" if crlf else "\n")


def package(seed, directory, files, documents_per_file, agent_share=0.02):
    """A kpt package: `files` files of plain streams (no directives: kpt
    splits documents at `---` lines by their text and cannot take them).
    Returns the number of agent workloads in it."""
    agents = 0
    for index in range(files):
        generated = stream(seed * 1000 + index, documents_per_file, directives=False, crlf=False,
                           agent_share=agent_share)
        agents += generated.agents
        with open(os.path.join(directory, f"{index:03d}-{_Gen(seed + index).name()}.yaml"), "w",
                  encoding="utf-8", newline="") as f:
            f.write(generated.text)
    return agents
