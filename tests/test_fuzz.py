"""Fuzzing: mutated ResourceLists and configs never break the contract.

Valid inputs (the kpt packages of tests/cases/ and examples/ as
ResourceLists, and a few hand-written ones) are mutated the way files get
damaged or mistyped: bytes flipped, cut short, lines
dropped or repeated, indentation shifted, YAML's special characters
inserted, items spliced in from another input; functionConfigs get random
values in their fields. The function runs in-process
(`runner.process`) and, for a few examples, as the installed command.

Properties, for every input:

1. No exception escapes, and no result is an "internal error" (the
   runner's name for an exception it caught: a bug) or holds a traceback.
2. The exit code is 0 or 1, 1 exactly when a result is an error.
3. The output parses as YAML: a ResourceList, or for a stream input a
   stream of documents.
4. The output holds every input item that parses on its own. The oracle,
   independent of the reader: an input item is the text from a `- ` line
   at column 0 after a column-0 `items:` line, up to the next line at
   column 0 that is not a comment (the next item or top-level key). It
   "parses on its own" when PyYAML composes that text, dedented, as one
   mapping that stays within the documented limits (no duplicate keys,
   nesting at most MAX_DEPTH, aliases expanding it by at most
   MAX_ALIAS_EXPANSION nodes) and that is not itself a ResourceList. Such
   an item must come out with the same content (compared as YAML node
   trees: tags, values, structure), or, if the function selected and
   patched it, with the same apiVersion, kind, name and namespace.
   This holds whether or not the whole input parses: when it does, it
   means every well-formed item; when it does not, the items the damage
   did not reach. When the whole input parses as a ResourceList and the
   function reports no error, the output holds exactly the input's items
   (plus generated ones).
   An input that does not end in a line break gets one after its last
   item (the output goes on after it); a block scalar ending the input
   keeps its value all the same (its chomping becomes strip, `|-`).
"""

import re
import subprocess
import sys

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pipelock_companion import conventions as C
from pipelock_companion import runner, workloads
from pipelock_companion.krm import reader
from pipelock_companion.krm import results as R

from conftest import function_command
from kpt_packages import CASES, EXAMPLES, packages, resource_list

SETTINGS = settings(max_examples=150, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

HAND_WRITTEN = [s.encode("utf-8") for s in [
    """\
apiVersion: config.kubernetes.io/v1
kind: ResourceList
items:
# head comment
- apiVersion: apps/v1
  kind: Deployment
  metadata:
    name: agent # the agent
    namespace: agents
    annotations:
      pipelock.dev/inject: "true"
  spec:
    selector:
      matchLabels: {app: agent}
    template:
      metadata:
        labels: {app: agent}
      spec:
        containers:
        - name: agent
          image: example.com/agent:1.0.0
          env:
          - {name: MODE, value: "on"}
- apiVersion: v1
  kind: ConfigMap
  metadata:
    name: settings
    namespace: agents
  data:
    defaults: &d {a: "1", b: "2"}
    merged:
      <<: *d
    script: |+
      echo "🎉 漢字"

    folded: >-
      one
      two
    ambiguous: [on, yes, 0644, 1:20, 2026-01-01, ~]
- apiVersion: networking.k8s.io/v1
  kind: NetworkPolicy
  metadata: {name: deny, namespace: agents}
  spec: {podSelector: {}, policyTypes: [Ingress, Egress]}
functionConfig:
  apiVersion: fn.pipelock.dev/v1alpha1
  kind: CompanionProxy
  metadata:
    name: fn
  spec:
    preset: strict
""",
    """\
apiVersion: config.kubernetes.io/v1
kind: ResourceList
items:
- apiVersion: batch/v1
  kind: CronJob
  metadata:
    name: nightly
    annotations: {pipelock.dev/inject: "true"}
  spec:
    schedule: "0 3 * * *"
    jobTemplate:
      spec:
        template:
          metadata: {labels: {app: nightly}}
          spec:
            restartPolicy: Never
            containers: [{name: job, image: example.com/job:2}]
- {apiVersion: v1, kind: Secret, metadata: {name: s}, stringData: {token: "a#b", other: 'c: d'}}
- apiVersion: example.com/v1
  kind: Widget
  metadata:
    name: w
  spec:
    sizes: !Custom [1, 2]
    note: "quoted\\ttab"
""",
]]


def _seeds():
    return HAND_WRITTEN + [resource_list(folder).encode("utf-8") for folder in packages(CASES) + packages(EXAMPLES)]


SEEDS = _seeds()
SPECIAL = [":", "- ", "? ", "&a ", "*a", "!", "!!str ", "|", ">", "|+", "'", '"', "%", "@", "`", "{", "}", "[", "]",
           ",", "#", "\t", "\r", "\r\n", "\ufeff", "\x00", "\x85", "\u2028", "---\n", "...\n", "<<: ", "~", "\\",
           "- - - ", "{a: [", "é", "🎉"]


# --- mutations ---------------------------------------------------------------

@st.composite
def mutated(draw):
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["flip", "truncate", "delete line", "duplicate line", "indent", "dedent",
                                     "tab", "insert", "splice", "swap lines"]))
        lines = bytes(data).split(b"\n")
        if kind == "flip" and data:
            at = draw(st.integers(0, len(data) - 1))
            data[at] = draw(st.integers(0, 255))
        elif kind == "truncate" and data:
            del data[draw(st.integers(0, len(data) - 1)):]
        elif kind in ("delete line", "duplicate line", "indent", "dedent", "tab", "swap lines") and lines:
            at = draw(st.integers(0, len(lines) - 1))
            if kind == "delete line":
                del lines[at]
            elif kind == "duplicate line":
                lines.insert(at, lines[at])
            elif kind == "indent":
                lines[at] = b" " * draw(st.integers(1, 4)) + lines[at]
            elif kind == "dedent":
                lines[at] = lines[at][draw(st.integers(1, 4)):] if lines[at].startswith(b" ") else lines[at]
            elif kind == "tab":
                lines[at] = b"\t" + lines[at].lstrip(b" ")
            else:
                other = draw(st.integers(0, len(lines) - 1))
                lines[at], lines[other] = lines[other], lines[at]
            data = bytearray(b"\n".join(lines))
        elif kind == "insert":
            at = draw(st.integers(0, len(data)))
            data[at:at] = draw(st.sampled_from(SPECIAL)).encode("utf-8")
        elif kind == "splice":
            donor = draw(st.sampled_from(SEEDS)).split(b"\n")
            start = draw(st.integers(0, len(donor) - 1))
            piece = donor[start:start + draw(st.integers(1, 12))]
            at = draw(st.integers(0, len(lines)))
            data = bytearray(b"\n".join(lines[:at] + piece + lines[at:]))
    return bytes(data)


SPEC_FIELDS = ["mode", "preset", "replicas", "image", "version", "selector", "exclude", "workloads", "apiAllowlist",
               "noProxy", "destinations", "tls", "dns", "proxyEgress", "resources", "agentIdentity", "clusterDomain",
               "existingPolicies", "rollout", "probes", "unknownField"]
VALUES = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-3, 70000), st.sampled_from(
        ["", "strict", "balanced", "audit", "verify", "generate", "tighten", "report", "warn", "0644", "on", "a=b",
         "10.0.0.0/8", "::/0", "example.com", "-bad-", "x" * 300, "🎉", "a\nb"])),
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(
        st.sampled_from(["matchLabels", "names", "kinds", "namespaces", "name", "kind", "podLabels", "cidrs",
                         "ports", "hosts", "secretName", "enabled", "dependsOn", "app", "k8s-app"]),
        inner, max_size=3)),
    max_leaves=8)


@st.composite
def config_text(draw):
    if draw(st.booleans()):
        spec = draw(st.dictionaries(st.sampled_from(SPEC_FIELDS), VALUES, max_size=4))
        doc = {"apiVersion": "fn.pipelock.dev/v1alpha1", "kind": "CompanionProxy", "metadata": {"name": "fn"},
               "spec": spec}
    else:
        keys = st.one_of(st.sampled_from(SPEC_FIELDS), st.sampled_from(
            ["proxyEgress.ports", "selector.matchLabels", "rollout.dependsOn", "dns.namespace", "tls.secretName"]))
        data = draw(st.dictionaries(keys, st.text(max_size=20), max_size=4))
        doc = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "function-input"}, "data": data}
    return yaml.safe_dump(doc, sort_keys=False)


# --- the oracle -----------------------------------------------------------------

class _Loader(yaml.composer.Composer, yaml._yaml.CParser, yaml.resolver.Resolver):
    """libyaml's parser (the same the function uses, so the same YAML),
    PyYAML's composer in Python, so that an anchor may be redefined as YAML
    allows (PyYAML refuses). Composes only: custom tags and complex keys
    are fine."""

    def __init__(self, stream):
        yaml._yaml.CParser.__init__(self, stream)
        yaml.composer.Composer.__init__(self)
        yaml.resolver.Resolver.__init__(self)

    def compose_node(self, parent, index):
        event = self.peek_event()
        if not isinstance(event, yaml.AliasEvent) and getattr(event, "anchor", None) is not None:
            self.anchors.pop(event.anchor, None)
        return super().compose_node(parent, index)


sys.setrecursionlimit(max(sys.getrecursionlimit(), 20000))  # the pure-Python composer, at MAX_DEPTH


RESOURCE_LIST = re.compile(r"^kind:\s*['\"]?(ResourceList|List)['\"]?\s*$", re.M)


def chunks(text):
    """The item pieces of a ResourceList-looking text (see the module
    docstring), each exactly as it stands in the text, its `- ` made spaces."""
    out, start, in_items, pos = [], None, False, 0
    for bare in text.split("\n"):
        line = bare + "\n"
        if bare.startswith("- ") or bare == "-":
            if in_items:
                if start is not None:
                    out.append(text[start:pos])
                start = pos
        elif bare and not bare[0].isspace() and not bare.startswith("#"):
            if start is not None:
                out.append(text[start:pos])
            start = None
            in_items = bare.split(":", 1)[0].strip() == "items"
        pos += len(line)
    if start is not None:
        out.append(text[start:])
    return ["  " + piece[2:] if piece.startswith("- ") else " " + piece[1:] for piece in out]


def _within_limits(root):
    """No duplicate keys, nesting within MAX_DEPTH, small alias expansion."""
    sizes = {}

    def size(node, depth):
        if id(node) in sizes:
            return sizes[id(node)]
        if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)):
            if depth > reader.MAX_DEPTH:
                raise ValueError("too deep")
            children = [n for pair in node.value for n in pair] if isinstance(node, yaml.MappingNode) else node.value
            if isinstance(node, yaml.MappingNode):
                keys = [canonical(k) for k, _ in node.value]
                if len(keys) != len(set(keys)):
                    raise ValueError("duplicate key")
            total = 1 + sum(size(child, depth + 1) for child in children)
        else:
            total = 1
        sizes[id(node)] = total
        return total

    try:
        total = size(root, 1)
    except (ValueError, RecursionError):
        return False
    return total - len(sizes) <= reader.MAX_ALIAS_EXPANSION


def canonical(node, _seen=None):
    """A hashable form of a node tree: tags, values and structure."""
    if isinstance(node, yaml.ScalarNode):
        return ("scalar", node.tag, node.value)
    if isinstance(node, yaml.SequenceNode):
        return ("seq", tuple(canonical(n) for n in node.value))
    return ("map", tuple((canonical(k), canonical(v)) for k, v in node.value))


def compose(text):
    try:
        return yaml.compose(text, Loader=_Loader)
    except (yaml.YAMLError, RecursionError):
        return None


def identity(node):
    """(apiVersion, kind, name, namespace) of a mapping node, as strings."""
    fields = {k.value: v for k, v in node.value if isinstance(k, yaml.ScalarNode)}
    meta = fields.get("metadata")
    meta = ({k.value: v for k, v in meta.value if isinstance(k, yaml.ScalarNode)}
            if isinstance(meta, yaml.MappingNode) else {})

    def value(n):
        return n.value if isinstance(n, yaml.ScalarNode) else None

    return (value(fields.get("apiVersion")), value(fields.get("kind")), value(meta.get("name")),
            value(meta.get("namespace")) or None)


def may_change(node):
    """Kinds the function may rewrite: workloads it patches, NetworkPolicies it
    tightens (spec.existingPolicies), companions of a previous run it refreshes.
    Those are compared by identity; every other item by content."""
    if not isinstance(node, yaml.MappingNode):
        return False
    kind = identity(node)[1]
    return kind in workloads.WORKLOAD_KINDS or kind == "NetworkPolicy" or C.MANAGED_BY in yaml.serialize(node)


def expected_items(text):
    """Input items that parse on their own: [(canonical, identity, may change)]."""
    out = []
    for piece in chunks(text):
        node = compose(piece)
        if not isinstance(node, yaml.MappingNode) or not _within_limits(node):
            continue
        ident = identity(node)
        if ident[1] in ("ResourceList", "List"):
            continue
        out.append((canonical(node), ident, may_change(node)))
    return out


def output_items(out, fmt):
    """The resources in the output: a ResourceList's items, or a stream's documents."""
    if fmt == "resourcelist":
        root = compose(out)
        assert isinstance(root, yaml.MappingNode), f"output is not a mapping:\n{out[:3000]}"
        fields = {k.value: v for k, v in root.value}
        assert isinstance(fields.get("kind"), yaml.ScalarNode) and fields["kind"].value in ("ResourceList", "List")
        items = fields.get("items")
        assert isinstance(items, yaml.SequenceNode), f"output has no items list:\n{out[:3000]}"
        docs = list(items.value)
    else:
        try:
            docs = [d for d in yaml.compose_all(out, Loader=_Loader) if d is not None]
        except yaml.YAMLError as err:
            raise AssertionError(f"output stream does not parse: {err}\n{out[:3000]}") from None
    found = []
    for doc in docs:
        if isinstance(doc, yaml.MappingNode):
            fields = {k.value: v for k, v in doc.value if isinstance(k, yaml.ScalarNode)}
            kind = fields.get("kind")
            if isinstance(kind, yaml.ScalarNode) and kind.value in ("ResourceList", "List") \
                    and isinstance(fields.get("items"), yaml.SequenceNode):
                found.extend(fields["items"].value)  # a ResourceList echoed in a stream
                continue
        found.append(doc)
    return found


def check(data, config=None):
    """Run in-process and check properties 1-4; returns (output, results)."""
    out, results, fmt = runner.process(data, config_text=config)  # 1: no exception escapes
    for r in results:
        assert r.severity in (R.ERROR, R.WARNING, R.INFO)
        assert "internal error" not in r.message and "Traceback" not in r.message, r.message
    assert isinstance(out, str)
    if fmt == "resourcelist":
        assert out.strip(), "empty output"
    got = output_items(out, fmt)  # 3
    try:
        text = reader.decode(data)
    except reader.InputError:
        return out, results  # nothing of it can be read: an error and no items
    if not (RESOURCE_LIST.search(text) and re.search(r"^items:", text, re.M)):
        return out, results
    expected = expected_items(text)
    whole = compose(text) if "\n---" not in text and "\n..." not in text else None
    if isinstance(whole, yaml.MappingNode) and not R.has_errors(results):
        # the whole input is a ResourceList the function accepted: all its items, in any style
        fields = {k.value: v for k, v in whole.value if isinstance(k, yaml.ScalarNode)}
        items = fields.get("items")
        if isinstance(items, yaml.SequenceNode):
            expected = [(canonical(n), identity(n) if isinstance(n, yaml.MappingNode) else None, may_change(n))
                        for n in items.value]
    contents = {}
    identities = set()
    for node in got:
        key = canonical(node)
        contents[key] = contents.get(key, 0) + 1
        if isinstance(node, yaml.MappingNode):
            identities.add(identity(node))
    for content, ident, changeable in expected:  # 4
        if contents.get(content):
            contents[content] -= 1
        else:
            assert changeable and ident in identities, (
                f"input item {ident} parses on its own but is not in the output\n--- input ---\n{text[:4000]}"
                f"\n--- output ---\n{out[:4000]}")
    return out, results


# --- properties ---------------------------------------------------------------------

@pytest.mark.parametrize("seed", range(len(SEEDS)))
def test_seeds_themselves(seed):
    check(SEEDS[seed])


@SETTINGS
@given(mutated())
@example(b"apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- apiVersion: v1\n\tkind: X\n")
@example(b"apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n- {a: [\n- apiVersion: v1\n  kind: X\n"
         b"  metadata: {name: ok}\n")
def test_mutated_resource_lists(data):
    check(data)


@SETTINGS
@given(mutated(), config_text())
def test_mutated_inputs_with_random_configs(data, config):
    check(data, config)


@SETTINGS
@given(st.sampled_from(SEEDS), config_text())
def test_random_function_configs(seed, config):
    # the config inside the ResourceList, where kpt puts it
    text = seed.decode("utf-8")
    if "\nfunctionConfig:" in text:
        text = text[:text.index("\nfunctionConfig:") + 1]
    text += "functionConfig:\n" + "".join("  " + line + "\n" for line in config.splitlines())
    check(text.encode("utf-8"))


@SETTINGS
@given(st.binary(max_size=400))
def test_arbitrary_bytes(data):
    check(data)


@settings(max_examples=8, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_the_command_agrees(data):
    proc = subprocess.run([function_command()], input=data, capture_output=True, timeout=60)
    out, results = check(data)
    err = proc.stderr.decode("utf-8", "replace")
    assert "Traceback" not in err and "internal error" not in err, err
    assert proc.returncode == (1 if R.has_errors(results) else 0), err
    assert proc.stdout.decode("utf-8") == out
