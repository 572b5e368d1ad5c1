"""Identity as the cluster sees it, whatever YAML spells it: a differential
property test against kustomize.

The same resources are written in many representations: quoted or not,
`!!str` and `!!binary` tags, aliases, merge keys (`<<`, in metadata and at
the top of a resource), flow or block, inside `kind: List` documents
(nested too), in a plain stream and in a ResourceList. `kubectl kustomize`
normalises all of these; what it prints is what `kubectl apply` will see.
The reader must give each resource exactly that identity (apiVersion,
kind, namespace, name, labels, annotations), or an error about it.

kustomize runs once per example over a batch of resources, so the test
stays at a few seconds.
"""

import base64
import os
import shutil
import subprocess
import tempfile

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from pipelock_companion.krm import reader, textedit, yamlio

pytestmark = pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not on PATH")

KINDS = [("apps/v1", "Deployment"), ("apps/v1", "StatefulSet"), ("v1", "ConfigMap"), ("v1", "Service"),
         ("batch/v1", "Job")]
# Label and annotation values: DNS-ish words, and words YAML 1.1 reads as
# something else (1.2 and kustomize read them as strings, or as what they are).
WORDS = st.one_of(st.from_regex(r"[a-z][a-z0-9-]{0,8}", fullmatch=True),
                  st.sampled_from(["on", "off", "yes", "no", "true", "null", "agents", "0644", "12"]))
KEYS = st.sampled_from(["app", "tier", "team", "example.com/owner", "app.kubernetes.io/name"])


@st.composite
def resources(draw, index):
    api_version, kind = draw(st.sampled_from(KINDS))
    return {
        "apiVersion": api_version, "kind": kind,
        "name": f"r{index}-{draw(st.from_regex(r'[a-z]{1,6}', fullmatch=True))}",
        "namespace": draw(st.one_of(st.none(), st.sampled_from(["agents", "default", "team-a", "on"]))),
        "labels": draw(st.dictionaries(KEYS, WORDS, max_size=3)),
        "annotations": draw(st.dictionaries(KEYS, WORDS, max_size=2)),
        # how each part is written
        "scalars": draw(st.lists(st.sampled_from(["plain", "single", "double", "str", "binary", "alias"]),
                                 min_size=12, max_size=12)),
        "metadata": draw(st.sampled_from(["block", "flow", "merge", "merge-tagged", "root-merge", "alias"])),
        "labels_merged": draw(st.booleans()),
    }


class Writer:
    """Writes one resource as text, by the representation its model draws."""

    def __init__(self, model):
        self.model = model
        self.choices = iter(model["scalars"])
        self.refs = []  # (anchor, text) written first, in `x-refs`, for aliases to refer to
        self.unreadable = False  # written so that the reader must refuse it

    def scalar(self, value, allow_alias=True):
        how = next(self.choices, "plain")
        plain_ok = value not in ("", "null", "true", "0644", "12")  # those would read as other types
        if how == "alias" and allow_alias:
            anchor = f"v{len(self.refs)}"
            self.refs.append((anchor, self.scalar(value, allow_alias=False)))
            return f"*{anchor}"
        if how == "binary":
            return "!!binary " + base64.b64encode(value.encode()).decode()
        if how == "str":
            return f"!!str {value}" if plain_ok else f'!!str "{value}"'
        if how == "single" or (how in ("plain", "alias") and not plain_ok):
            return f"'{value}'"
        if how == "double":
            return f'"{value}"'
        return value

    def mapping(self, values, flow, annotations=False):
        pairs = [(key, self.scalar(value)) for key, value in values.items()]
        refs = dict(self.refs)
        # kustomize keeps a !!binary annotation as its base64 text, kubectl decodes it: an error
        self.unreadable = self.unreadable or (annotations and any(
            refs.get(v[1:], v).startswith("!!binary") for _, v in pairs))
        if flow:
            return "{" + ", ".join(f"{k}: {v}" for k, v in pairs) + "}"
        return "".join(f"\n  {k}: {v}" for k, v in pairs) or " {}"

    def text(self):
        m = self.model
        how = m["metadata"]
        head = [("apiVersion", self.scalar(m["apiVersion"])), ("kind", self.scalar(m["kind"]))]
        name = ("name", self.scalar(m["name"]))
        namespace = [("namespace", self.scalar(m["namespace"]))] if m["namespace"] is not None else []
        labels, annotations = self.mapping(m["labels"], True), self.mapping(m["annotations"], True, annotations=True)
        defined = []  # anchored mappings, written before they are used
        if m["labels_merged"] and m["labels"]:
            defined.append(f"x-labels: &labels {labels}")
            labels = "{<<: *labels}"
        fields = [name, *namespace, ("labels", labels), ("annotations", annotations)]
        body = "{" + ", ".join(f"{k}: {v}" for k, v in fields) + "}"
        if how == "block":
            metadata = "".join(f"\n  {k}: {v}" for k, v in fields)
        elif how == "flow":
            metadata = " " + body
        elif how in ("merge", "merge-tagged"):
            rest = "{" + ", ".join(f"{k}: {v}" for k, v in fields[1:]) + "}"
            defined.append(f"x-meta: &meta {rest}")
            key = "<<" if how == "merge" else "!!merge <<"
            metadata = f" {{{key}: *meta, {name[0]}: {name[1]}}}"
        elif how == "alias":
            defined.append(f"x-meta: &meta {body}")
            metadata = " *meta"
        else:  # root-merge: kind and metadata come from a merged mapping
            defined.append(f"x-root: &root {{kind: {head[1][1]}, metadata: {body}}}")
            head = head[:1]
            metadata = None
        lines = [f"x-refs: [{', '.join(f'&{a} {t}' for a, t in self.refs)}]"] if self.refs else []
        lines += defined + [f"{k}: {v}" for k, v in head]
        lines += [f"metadata:{metadata}"] if metadata is not None else ["<<: *root"]
        return "\n".join(lines) + "\n"


def indent(text, prefix="  "):
    return "".join(prefix + line if line else line for line in text.splitlines(True))


def as_list(texts, nested):
    """A `kind: List` holding these resources (one of them in a List of its own)."""
    entries = [indent(t)[2:] for t in texts]
    if nested and len(entries) > 1:
        entries[-1] = indent("apiVersion: v1\nkind: List\nitems:\n- " + entries[-1])[2:]
    return "apiVersion: v1\nkind: List\nitems:\n" + "".join("- " + e for e in entries)


@st.composite
def batches(draw):
    models = [draw(resources(i)) for i in range(draw(st.integers(8, 20)))]
    writers = [Writer(m) for m in models]
    texts = [w.text() for w in writers]
    unreadable = sum(w.unreadable for w in writers)
    # some resources go into Lists
    documents, i = [], 0
    while i < len(texts):
        take = draw(st.integers(1, 3)) if draw(st.booleans()) else 0
        if take:
            documents.append(as_list(texts[i:i + take], nested=draw(st.booleans())))
            i += take
        else:
            documents.append(texts[i])
            i += 1
    return documents, unreadable


def kustomize(documents):
    """The identities kustomize prints for a stream of these documents."""
    with tempfile.TemporaryDirectory() as directory:
        with open(os.path.join(directory, "kustomization.yaml"), "w") as f:
            f.write("resources: [resources.yaml]\n")
        with open(os.path.join(directory, "resources.yaml"), "w") as f:
            f.write("---\n".join(documents))
        proc = subprocess.run(["kubectl", "kustomize", directory], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return sorted(identity(yamlio.to_data(yamlio.compose(doc))) for doc in proc.stdout.split("\n---\n"))


def identity(data):
    meta = data.get("metadata") or {}
    return textedit.canon([data.get("apiVersion"), data.get("kind"), meta.get("namespace"), meta.get("name"),
                           meta.get("labels") or {}, meta.get("annotations") or {}])


def ours(parsed):
    """(identities of the resources the reader read, number refused with an error)."""
    refused = {e.line for e in parsed.errors if not e.shape}
    out, errors = [], 0

    def visit(item):
        nonlocal errors
        if item.children is not None:
            for child in item.children:
                visit(child)
            return
        last = item.line + item.body().count("\n")
        if any(item.line <= line <= last for line in refused):
            errors += 1
            return
        meta = item.metadata
        out.append(textedit.canon([item.api_version, item.kind, meta.get("namespace"), meta.get("name"),
                                   meta.get("labels") or {}, meta.get("annotations") or {}]))

    for item in parsed.items:
        visit(item)
    return sorted(out), errors


# No shrinking: each step would run kustomize again; a failing batch is
# printed whole, and its resources are few.
@settings(max_examples=12, deadline=None, derandomize=True, phases=[Phase.explicit, Phase.generate],
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(batches())
def test_identity_is_what_kustomize_prints_or_an_error(batch):
    documents, unreadable = batch
    expected = kustomize(documents)
    stream = reader.read("---\n".join(documents), plain=True)
    resource_list = reader.read("apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n"
                                + "".join("- " + indent(d)[2:] for d in documents))
    for parsed in (stream, resource_list):
        assert not [e for e in parsed.errors if e.shape], [e.describe() for e in parsed.errors]
        got, refused = ours(parsed)
        assert len(got) + refused == len(expected)
        assert refused == unreadable  # refused only what must be
        missing = list(expected)
        for one in got:
            assert one in missing, f"read as {one}; kustomize prints {missing}"
            missing.remove(one)
