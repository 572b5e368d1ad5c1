"""Hostile, broken and odd input, through the installed command.

The contract (krm-conventions): whatever comes in, the caller gets a
ResourceList on stdout, results in it, exit 1 when any result is an error,
and never a traceback, a hang or memory out of proportion to the input.
Odd but valid YAML (a BOM, CRLF line endings, a large input) is processed,
not rejected.

Every test runs the CLI as a subprocess with a timeout (a hang fails the
test instead of stalling the suite). Limits are tested at their edges, one
node or byte on each side. Where the specification says nothing, the
behaviour chosen is explained next to its test.
"""

import contextlib
import re
import subprocess
import sys
import tracemalloc

import pytest
import yaml

from pipelock_companion.krm import reader, writer

from conftest import AGENT_ITEM, function_command

HEADER = b"apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n"


def configmap(name, data=b"    key: value\n"):
    return (b"- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: " + name.encode()
            + b"\n    namespace: apps\n  data:\n" + data)


BEFORE = configmap("before")
AFTER = configmap("after")

AGENT = AGENT_ITEM.encode()


def resource_list(*items):
    return HEADER + b"".join(items)


def run(data, args=(), timeout=60):
    """(stdout text, stderr text, exit code) of the installed command."""
    proc = subprocess.run([function_command(), *args], input=data, capture_output=True, timeout=timeout)
    return proc.stdout.decode("utf-8"), proc.stderr.decode("utf-8"), proc.returncode


def run_with_limits(data, timeout=60, **limits):
    """The CLI in a subprocess, with reader limits set to smaller values, so a
    limit can be tested at its edge without building its full-size input."""
    code = "".join(f"import pipelock_companion.krm.reader as r; r.{k} = r.limits.{k} = {v!r}\n"
                   for k, v in limits.items())
    code += "from pipelock_companion.cli import main\nmain()\n"
    proc = subprocess.run([sys.executable, "-c", code], input=data, capture_output=True, timeout=timeout)
    return proc.stdout.decode("utf-8"), proc.stderr.decode("utf-8"), proc.returncode


def parse(out):
    doc = yaml.load(out, Loader=yaml.CSafeLoader)
    assert isinstance(doc, dict) and doc.get("kind") == "ResourceList", f"stdout is not a ResourceList:\n{out[:2000]}"
    assert isinstance(doc.get("items"), list)
    return doc


def names(doc):
    return [(i.get("metadata") or {}).get("name") for i in doc["items"] if isinstance(i, dict)]


def errors(doc):
    return [r["message"] for r in doc.get("results") or [] if r.get("severity") == "error"]


def assert_clean(out, err):
    """No traceback and no unexpected exception, on stderr or in the results."""
    assert "Traceback" not in err and "Traceback" not in out
    assert "internal error" not in err and "internal error" not in out


def assert_rejected(data, expect, kept=("before", "after"), timeout=60, **kwargs):
    """Error result mentioning `expect`, exit 1, and the readable items still in the output."""
    out, err, code = run(data, timeout=timeout, **kwargs)
    assert_clean(out, err)
    assert code == 1, err
    doc = parse(out)
    assert any(expect in m for m in errors(doc)), errors(doc)
    for name in kept:
        assert name in names(doc)
    return doc


def assert_accepted(data, **kwargs):
    out, err, code = run(data, **kwargs)
    assert_clean(out, err)
    assert code == 0, err
    return parse(out)


# --- aliases ---------------------------------------------------------------

def laughs(levels=9):
    """The "billion laughs": each level refers to the previous one nine times."""
    lines = [b'    l0: &l0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]\n']
    for i in range(1, levels):
        refs = ",".join([f"*l{i - 1}"] * 9).encode()
        lines.append(f"    l{i}: &l{i} [".encode() + refs + b"]\n")
    return b"".join(lines)


def test_billion_laughs_is_refused_quickly_and_the_other_items_survive():
    data = resource_list(BEFORE, configmap("lol", laughs()), AFTER)
    doc = assert_rejected(data, "alias bomb", timeout=20)
    assert "lol" not in names(doc)


def test_alias_bomb_in_the_function_config_is_refused():
    data = resource_list(BEFORE, AFTER) + b"functionConfig:\n  apiVersion: v1\n  kind: ConfigMap\n  data:\n" + laughs()
    assert_rejected(data, "alias bomb", timeout=20)


def alias_item(expanded_target, real_padding=0):
    """An item whose aliases expand by exactly `expanded_target` nodes: one
    anchored list of 999 scalars (1,000 nodes with the list) referred to by
    whole aliases, after single-scalar aliases for the rest. `real_padding`
    plain scalars before them make the item bigger without expanding it."""
    lines = [b"    pad: [" + b",".join([b"p"] * real_padding) + b"]\n"]
    lines.append(b"    base: &b [" + b",".join([b"x"] * 999) + b"]\n    one: &o y\n")
    big, small = divmod(expanded_target, 1000)
    lines.append(b"    small: [" + b",".join([b"*o"] * small) + b"]\n")
    lines.append(b"    big: [" + b",".join([b"*b"] * big) + b"]\n")  # the last node: all are counted by then
    return configmap("aliases", b"".join(lines))


def node_count(item):
    """Distinct nodes of one item (what the reader counts as its own size)."""
    root = yaml.compose(item[2:].replace(b"\n  ", b"\n"), Loader=yaml.CSafeLoader)
    seen, stack = set(), [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            stack.extend(n for pair in node.value for n in pair)
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
    return len(seen)


def test_alias_expansion_limit_at_its_edge():
    # The limit: refused when the aliases expand one item by more than
    # MAX_ALIAS_EXPANSION nodes *and* by more than ALIAS_RATIO times its own
    # node count. This item is small, so the node limit decides.
    assert reader.MAX_ALIAS_EXPANSION == 100_000
    at_limit = resource_list(BEFORE, alias_item(reader.MAX_ALIAS_EXPANSION), AFTER)
    doc = assert_accepted(at_limit)
    assert "aliases" in names(doc)
    over = resource_list(BEFORE, alias_item(reader.MAX_ALIAS_EXPANSION + 1), AFTER)
    assert_rejected(over, "alias bomb")


def test_alias_ratio_at_its_edge():
    # Past MAX_ALIAS_EXPANSION, an item may still expand to ALIAS_RATIO times
    # its own size (big manifests with many small anchors are fine). The
    # item is counted on its own: the items around it do not change its budget.
    assert reader.ALIAS_RATIO == 10
    expanded = 150_000
    own = node_count(alias_item(expanded, 0))  # one padding scalar is one node more
    edge = expanded // reader.ALIAS_RATIO - own
    assert node_count(alias_item(expanded, edge)) * reader.ALIAS_RATIO == expanded
    assert_accepted(resource_list(BEFORE, alias_item(expanded, edge), AFTER))
    assert_rejected(resource_list(BEFORE, alias_item(expanded, edge - 1), AFTER), "alias bomb")


def test_an_alias_to_another_items_anchor_is_an_error_not_a_crash():
    # Each item is written back (and by kpt, into its own file) from its own
    # text: an alias to an anchor in another item would dangle there. kyaml
    # cannot keep it either. So it is refused, naming the alias.
    anchored = b"- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: anchored\n    labels: &l {app: agent}\n"
    agent = AGENT.replace(b"labels: {app: agent}", b"labels: *l")
    assert_rejected(resource_list(BEFORE, anchored, agent, AFTER), "*l")


def test_aliases_to_an_anchor_in_another_item_of_a_passthrough_item_are_refused_too():
    anchored = b"- &whole\n  apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: anchored\n"
    user = b"- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: user\n  data:\n    copy: *whole\n"
    assert_rejected(resource_list(BEFORE, anchored, user, AFTER), "*whole")


def test_anchors_shared_within_a_document_that_is_not_a_resource_list_are_fine():
    # Only the items of a ResourceList are separate resources; a resource
    # of a plain stream may have an `items:` list whose entries share anchors.
    doc = (b"apiVersion: example.com/v1\nkind: Inventory\nmetadata:\n  name: inv\n"
           b"items:\n- &a {b: 1}\n- *a\nother: *a\n")
    out, err, code = run(doc)
    assert code == 0, err
    assert_clean(out, err)
    assert out == doc.decode()


def test_a_hidden_alias_bomb_is_refused_in_a_large_list_too():
    # The expansion budget is per item (each item is its own document for
    # kpt and kubectl), so many benign items do not buy one item a larger
    # allowance than it would have on its own.
    padding = [configmap(f"pad-{i}", b"".join(b"    k%d: [a, b, c, d, e, f, g, h]\n" % j for j in range(20)))
               for i in range(800)]
    bomb = configmap("bomb", laughs(6))  # 9**6 = 531,441 nodes
    assert_rejected(resource_list(BEFORE, *padding, bomb, AFTER), "alias bomb")


# --- nesting ---------------------------------------------------------------
#
# Deep nesting is refused by whichever parser layer meets it first: the
# reader's own MAX_DEPTH, or the limit built into libyaml (PyYAML 6.0.4's
# libyaml 0.2.6 refuses deep flow collections before the reader sees them,
# with its own words). These tests hold the behaviour, not the wording: exit
# 1, no traceback, one error result naming the item and the line, and every
# other item written back. The reader's own limit and words are tested at
# its edge (500 levels, well inside libyaml's) below.

def deep_flow(levels, open_=b"[", close=b"]"):
    return open_ * levels + close * levels


def line_of(data, part):
    """1-based line number of the first occurrence of `part` in `data`."""
    return data[:data.index(part)].count(b"\n") + 1


def assert_refused_at(data, line, item=None, kept=("before", "after"), timeout=30):
    """The input is refused in one error result that names `line` (and
    `item`, e.g. "items[1]", when the error is about one item); exit 1, no
    traceback, the items in `kept` still in the output."""
    out, err, code = run(data, timeout=timeout)
    assert code == 1, f"exit {code} (a negative exit code is a signal: {err[-500:]})"
    assert_clean(out, err)
    doc = parse(out)
    found = [r for r in doc.get("results") or [] if r.get("severity") == "error"]
    assert len(found) == 1, found
    message = found[0]["message"]
    assert re.search(rf"\bline {line}\b", message), message
    if item is not None:
        assert item in message or (found[0].get("field") or {}).get("path") == item, found[0]
    assert set(kept) <= set(names(doc)), names(doc)
    return found[0], err


@pytest.mark.parametrize("shape", ["flow sequence", "flow mapping", "block sequence", "mixed"])
def test_100000_levels_of_nesting_are_refused_without_a_crash(shape):
    levels = 100_000
    if shape == "flow sequence":
        value = b"    deep: " + deep_flow(levels) + b"\n"
    elif shape == "flow mapping":
        value = b"    deep: " + b"{a: " * levels + b"x" + b"}" * levels + b"\n"
    elif shape == "block sequence":
        # compact nested block sequences: every "- " opens one more level
        value = b"    deep:\n    " + b"- " * levels + b"x\n"
    else:
        value = b"    deep:\n    " + b"- " * (levels // 2) + deep_flow(levels // 2) + b"\n"
    data = resource_list(BEFORE, configmap("deep", value), AFTER)
    # All levels open on one line: the line of the value is where it is refused.
    opened = value.rstrip(b"\n").rsplit(b"\n", 1)[-1]
    result, _ = assert_refused_at(data, line_of(data, opened), item="items[1]")
    assert result.get("resourceRef", {}).get("name") == "deep", result


def test_deep_block_mappings_are_refused():
    # Block mappings need one more column of indentation per level, so the
    # input grows with the square of the depth: 100,000 levels would be a
    # 5 GB input (over MAX_INPUT_BYTES). 2,000 levels (2 MB) are well past MAX_DEPTH.
    lines = b"".join(b" " * (4 + i) + b"k:\n" for i in range(2000))
    out, err, code = run(resource_list(BEFORE, configmap("deep", lines), AFTER), timeout=30)
    assert code == 1
    assert_clean(out, err)
    doc = parse(out)
    assert len(errors(doc)) == 1 and "items[1]" in errors(doc)[0], errors(doc)
    assert {"before", "after"} <= set(names(doc))


@pytest.mark.parametrize("where", ["metadata", "functionConfig", "top"])
def test_deep_nesting_elsewhere_is_refused(where):
    deep = deep_flow(100_000)
    if where == "metadata":
        data = resource_list(BEFORE, b"- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: deep, labels: "
                             + deep + b"}\n", AFTER)
        assert_refused_at(data, line_of(data, deep), item="items[1]")
    elif where == "functionConfig":
        data = (resource_list(BEFORE, AFTER)
                + b"functionConfig: {apiVersion: v1, kind: ConfigMap, data: " + deep + b"}\n")
        assert_refused_at(data, line_of(data, deep))
    else:
        # Not even a ResourceList: the error goes to stderr too, and nothing
        # can be written back.
        _, err = assert_refused_at(deep + b"\n", 1, kept=())
        assert len([line for line in err.splitlines() if line.startswith("[error]")]) == 1, err
        assert re.search(r"\bline 1\b", err), err


def nested_item(depth):
    """An item nested `depth` levels deep, its own mapping counted as level 1."""
    return configmap("nested", b"    deep: " + deep_flow(depth - 2) + b"\n")


def test_nesting_limit_at_its_edge():
    assert reader.MAX_DEPTH == 500
    doc = assert_accepted(resource_list(BEFORE, nested_item(reader.MAX_DEPTH), AFTER))
    assert "nested" in names(doc)
    assert_rejected(resource_list(BEFORE, nested_item(reader.MAX_DEPTH + 1), AFTER), "nesting deeper than 500")


def test_a_selected_workload_at_the_nesting_limit_is_processed():
    deep = AGENT.replace(b"    selector:\n", b"    extra: " + deep_flow(reader.MAX_DEPTH - 2) + b"\n    selector:\n")
    doc = assert_accepted(resource_list(BEFORE, deep, AFTER))
    assert "agent-pipelock" in names(doc)


# --- malformed YAML --------------------------------------------------------

@pytest.mark.parametrize("where", ["data", "metadata", "item", "functionConfig"])
def test_duplicate_mapping_keys_are_an_error(where):
    # YAML forbids them and kyaml rejects them; taking the last one (as
    # PyYAML does) would silently drop the other.
    fc = b""
    if where == "data":
        item = configmap("dup", b"    key: a\n    key: b\n")
    elif where == "metadata":
        item = b"- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: dup\n    name: other\n"
    elif where == "item":
        item = b"- apiVersion: v1\n  kind: ConfigMap\n  kind: Secret\n  metadata:\n    name: dup\n"
    else:
        item = configmap("plain")
        fc = b"functionConfig:\n  apiVersion: v1\n  kind: ConfigMap\n  data: {a: b, a: c}\n"
    assert_rejected(resource_list(BEFORE, item, AFTER) + fc, "duplicate mapping key")


def test_complex_keys_are_compared_by_their_text():
    # `? [a]` and `? [b]` are two keys, not two of the same (they were both
    # read as 'None'); `? [a]` twice is a duplicate.
    distinct = configmap("complex", b"    ? [a]\n    : 1\n    ? {b: c}\n    : 2\n    ? [b]\n    : 3\n")
    out, err, code = run(resource_list(BEFORE, distinct, AFTER))
    assert code == 0, err
    assert distinct.decode() in out
    same = configmap("complex", b"    ? [a]\n    : 1\n    ? [a]\n    : 2\n")
    assert_rejected(resource_list(BEFORE, same, AFTER), "duplicate mapping key")


def test_duplicate_keys_of_the_resource_list_itself_are_an_error():
    out, err, code = run(resource_list(BEFORE, AFTER) + b"items: []\n")
    assert code == 1
    assert_clean(out, err)
    assert any("duplicate mapping key 'items'" in m for m in errors(parse(out)))


def test_tab_indentation_is_an_error():
    item = b"- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n\tname: tabbed\n"
    assert_rejected(resource_list(BEFORE, item, AFTER), "malformed YAML")


def test_invalid_utf8_is_an_error_naming_the_byte():
    # Nothing of an input that is not UTF-8 can be trusted to be written back
    # as it came, so no item is: the output is an empty ResourceList with the error.
    data = resource_list(BEFORE, configmap("bad", b"    key: caf\xe9\n"), AFTER)
    out, err, code = run(data)
    assert code == 1
    assert_clean(out, err)
    doc = parse(out)
    assert doc["items"] == []
    offset = data.index(b"\xe9")
    assert any("not valid UTF-8" in m and f"byte {offset}" in m for m in errors(doc))


@pytest.mark.parametrize("char", [b"\x00", b"\x07", b"\x1b"])
def test_control_characters_are_an_error_with_a_line(char):
    data = resource_list(BEFORE, configmap("ctrl", b"    key: a" + char + b"b\n"), AFTER)
    doc = assert_rejected(data, "control characters are not allowed")
    message = next(m for m in errors(doc) if "control characters" in m)
    line = data[:data.index(char)].count(b"\n") + 1
    assert f"line {line}" in message
    assert "<file>" not in message and "<unicode string>" not in message


def test_non_mapping_items_are_an_error_and_still_written_back():
    items = [b"- just a string\n", b"- [1, 2]\n", b"- 42\n", b"-\n"]
    out, err, code = run(resource_list(BEFORE, *items, AFTER))
    assert code == 1
    assert_clean(out, err)
    doc = parse(out)
    assert doc["items"][1:5] == ["just a string", [1, 2], 42, None]
    assert names(doc) == ["before", "after"]
    assert sum("is not a mapping" in m for m in errors(doc)) == 4


@pytest.mark.parametrize("cut", ["in a flow mapping", "in a quoted string", "in an alias"])
def test_a_truncated_document_is_an_error_and_the_complete_items_survive(cut):
    if cut == "in a flow mapping":
        tail = b"- {apiVersion: v1, kind: ConfigMap, metadata: {name: cut"
    elif cut == "in a quoted string":
        tail = b'- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: "cu'
    else:
        tail = b"- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: cut\n  data:\n    copy: *"
    doc = assert_rejected(resource_list(BEFORE, AFTER, tail), "malformed YAML")
    assert names(doc) == ["before", "after"]


# --- recovery: what survives when the whole input does not parse ----------------

BROKEN = b"- {apiVersion: v1, kind: ConfigMap, metadata: {name: broken}, data: [}\n"


def test_a_malformed_item_is_named_with_its_line_and_the_readable_items_come_back_as_they_were():
    # kpt refuses such input before it calls a function, so this is no kpt
    # package under tests/cases: a caller that does not check the YAML first
    # (a plain pipe, a kustomize plugin) gets this.
    fine = b"- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: fine\n  data:\n    a: b\n"
    broken = b"- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: broken\n  data: {a: [b\n"
    also_fine = b"- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: also-fine\n"
    out, err, code = run(resource_list(fine, broken, also_fine))
    assert code == 1
    assert_clean(out, err)
    assert out.startswith((HEADER + fine + also_fine).decode() + "results:\n"), out
    assert parse(out)["results"] == [{
        "message": "cannot read input: items[1] line 15: malformed YAML: did not find expected ',' or ']'"
                   " (while parsing a flow sequence)",
        "severity": "error",
        "resourceRef": {"apiVersion": "v1", "kind": "ConfigMap", "name": "broken"},
        "field": {"path": "items[1]"},
    }]


def test_an_item_line_at_column_0_does_not_rename_the_list():
    # A line of an item pushed to column 0 reads like a key of the list
    # itself; the output must still be a ResourceList (with what is left
    # of the item above that line: it parses on its own).
    slipped = b"- apiVersion: apps/v1\nkind: Deployment\n  metadata:\n    name: slipped\n"
    out, err, code = run(resource_list(BEFORE, slipped))
    assert code == 1
    assert_clean(out, err)
    doc = parse(out)
    assert doc["kind"] == "ResourceList"
    assert doc["items"][1] == {"apiVersion": "apps/v1"}


def test_recovered_items_keep_their_lines():
    text = resource_list(BEFORE, AFTER, BROKEN).decode()
    parsed = reader.read(text)
    assert parsed.errors
    assert [i.line for i in parsed.items] == [4, 11]


def test_recovered_items_keep_the_blank_lines_of_kept_block_scalars():
    kept = configmap("kept", b"    text: |+\n      line\n\n\n")
    out, err, code = run(resource_list(BEFORE, kept, BROKEN, AFTER))
    assert code == 1
    assert_clean(out, err)
    doc = parse(out)
    assert doc["items"][1]["data"]["text"] == "line\n\n\n"
    assert kept.decode() in out


@pytest.mark.parametrize("data", [b"", b"   \n\n  \n", b"\xef\xbb\xbf", b"# only a comment\n"])
def test_empty_input_is_an_error_with_a_resource_list_out(data):
    out, err, code = run(data)
    assert code == 1
    assert_clean(out, err)
    doc = parse(out)
    assert doc["items"] == []
    assert errors(doc)


# --- the shape of the ResourceList ----------------------------------------

@pytest.mark.parametrize("items", [b"items: 5\n", b"items: just text\n", b"items:\n  a: b\n"])
def test_items_that_are_not_a_list_are_an_error(items):
    # Exit 0 with `items: []` would tell kpt the package is now empty.
    out, err, code = run(b"apiVersion: config.kubernetes.io/v1\nkind: ResourceList\n" + items)
    assert code == 1
    assert_clean(out, err)
    assert any("items" in m and "list" in m for m in errors(parse(out)))


def test_empty_items_are_fine():
    for items in (b"items: []\n", b"items:\n", b"items: ~\n"):
        out, err, code = run(b"apiVersion: config.kubernetes.io/v1\nkind: ResourceList\n" + items)
        assert code == 0, err
        assert parse(out)["items"] == []


@pytest.mark.parametrize("fc", [b"functionConfig: hello\n", b"functionConfig: [1, 2]\n", b"functionConfig: 0\n"])
def test_a_function_config_that_is_not_a_mapping_is_an_error(fc):
    # Running with the defaults instead would ignore what the user asked for.
    assert_rejected(resource_list(BEFORE, AFTER) + fc, "functionConfig")


def test_an_empty_function_config_means_none():
    for fc in (b"functionConfig:\n", b"functionConfig: {}\n", b"functionConfig: ~\n"):
        assert_accepted(resource_list(BEFORE, AFTER) + fc)


def test_two_resource_lists_in_one_input_are_an_error():
    # Not a stream of resources: taking the second as a resource would hide
    # every workload in both from the function.
    one = resource_list(BEFORE, AGENT)
    out, err, code = run(one + b"---\n" + one)
    assert code == 1
    assert_clean(out, err)
    assert "ResourceList" in err


# --- items the function cannot identify ------------------------------------

MISSING = {
    "apiVersion": b"- kind: ConfigMap\n  metadata:\n    name: no-api-version\n",
    "kind": b"- apiVersion: v1\n  metadata:\n    name: no-kind\n",
    "metadata.name": b"- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    namespace: apps\n",
    "metadata": b"- apiVersion: v1\n  kind: ConfigMap\n  data: {a: b}\n",
}


@pytest.mark.parametrize("field", sorted(MISSING))
def test_items_without_identity_pass_through_unchanged(field):
    # Decision: such an item is not a valid KRM resource (kpt refuses a
    # package holding one before any function runs: "input resource list
    # must contain only KRM resources"), but it is not this function's to
    # judge or to change: the function does not select it, so it comes out
    # byte for byte and the run succeeds. Failing the whole run would block
    # Helm post-rendering and plain pipes over a document the function never
    # touches; kpt already enforces validity where it matters.
    item = MISSING[field]
    out, err, code = run(resource_list(BEFORE, item, AGENT, AFTER))
    assert code == 0, err
    assert_clean(out, err)
    assert item.decode() in out
    assert "agent-pipelock" in names(parse(out))


@pytest.mark.parametrize("field", sorted(MISSING))
def test_items_without_identity_get_a_warning(field):
    # ... but the user is told, with a warning naming the item's index and
    # the missing field, since kpt would refuse to write it back.
    out, _, _ = run(resource_list(BEFORE, MISSING[field], AFTER))
    doc = parse(out)
    warnings = [r["message"] for r in doc.get("results") or [] if r["severity"] == "warning"]
    assert any("items[1]" in w and field.split(".")[-1] in w for w in warnings), warnings


@pytest.mark.parametrize("name", [b"", b"    name: 123\n", b"    name: [a]\n"])
def test_a_selected_workload_without_a_name_is_an_error(name):
    nameless = AGENT.replace(b"    name: agent\n", name)
    out, err, code = run(resource_list(BEFORE, nameless, AFTER))
    assert code == 1
    assert_clean(out, err)
    assert any("metadata.name" in m for m in errors(parse(out)))


@pytest.mark.parametrize("metadata", [b"", b" [x]", b" 5"])
def test_a_workload_whose_pod_template_metadata_is_not_a_mapping_is_an_error(metadata):
    agent = AGENT.replace(b"      metadata:\n        labels: {app: agent}\n", b"      metadata:" + metadata + b"\n")
    out, err, code = run(resource_list(BEFORE, agent, AFTER))
    assert_clean(out, err)
    assert code == 1
    assert any("spec.template.metadata" in m for m in errors(parse(out)))


# Explicit ids: pytest before 9.2 names a case by its value, and the
# 200,000-byte id then overflows the PYTEST_CURRENT_TEST environment variable.
@pytest.mark.parametrize("data", [b"hello\n", b"- a\n- b\n", deep_flow(100_000) + b"\n"],
                         ids=["text", "list", "deep"])
def test_input_that_is_not_a_resource_list_gets_a_resource_list_out(data):
    out, err, code = run(data, timeout=30)
    assert code == 1
    assert_clean(out, err)
    assert errors(parse(out))


# --- odd but valid input -----------------------------------------------------

def test_a_bom_is_accepted():
    doc = assert_accepted(b"\xef\xbb\xbf" + resource_list(BEFORE, AGENT, AFTER))
    assert "agent-pipelock" in names(doc)


def test_crlf_line_endings_are_accepted():
    # Line breaks come out as LF (as kyaml writes them); values are the same.
    data = resource_list(BEFORE, AGENT, AFTER).replace(b"\n", b"\r\n")
    out, err, code = run(data)
    assert code == 0, err
    assert "\r" not in out
    doc = parse(out)
    assert "agent-pipelock" in names(doc)
    assert doc["items"][0] == yaml.safe_load(resource_list(BEFORE))["items"][0]
    assert BEFORE.decode() in out


def test_old_mac_line_endings_are_accepted():
    data = resource_list(BEFORE, AFTER).replace(b"\n", b"\r")
    assert names(assert_accepted(data)) == ["before", "after"]


def write_large_input(path, target_bytes):
    """A ResourceList of ~1 KB items, written in pieces; returns its item count."""
    item = (b"- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: cm-%d\n    namespace: ns-%d\n"
            b"    labels: {app: app-%d, tier: backend}\n    annotations:\n"
            b"      internal.config.kubernetes.io/path: 'ns/cm-%d.yaml'\n  data:\n"
            b"    settings: |\n" + b"      line of configuration text that is long enough to matter\n" * 14)
    count = 0
    with open(path, "wb") as f:
        f.write(HEADER)
        size = len(HEADER)
        block = []
        while size < target_bytes:
            piece = item % (count, count % 50, count, count)
            block.append(piece)
            size += len(piece)
            count += 1
            if len(block) == 1000:
                f.write(b"".join(block))
                block = []
        f.write(b"".join(block))
        f.write(AGENT)
    return count + 1


def test_a_100_mb_input_is_processed(tmp_path):
    # About 15 s on the 2-core reference machine (see bench/README.md); it runs by default.
    path = tmp_path / "large.yaml"
    count = write_large_input(path, 100_000_000)
    with open(path, "rb") as stdin:
        proc = subprocess.run([function_command()], stdin=stdin, capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = proc.stdout
    # counting `- apiVersion` at column 0 is enough: every input item and
    # each of the agent's companions starts that way, nothing else does
    assert out.count(b"\n- apiVersion: ") == count + 6
    assert b"internal error" not in out


def test_input_size_limit_at_its_edge():
    assert reader.MAX_INPUT_BYTES == 512 * 1024 * 1024
    data = resource_list(BEFORE, AFTER)
    out, err, code = run_with_limits(data, MAX_INPUT_BYTES=len(data))
    assert code == 0, err
    assert names(parse(out)) == ["before", "after"]
    out, err, code = run_with_limits(data, MAX_INPUT_BYTES=len(data) - 1)
    assert code == 1
    assert_clean(out, err)
    assert any("more than the limit" in m for m in errors(parse(out)))


def test_item_count_limit_at_its_edge():
    # Every item costs memory however small it is (about 0.5 KB for `- {}`):
    # 512 MiB of those would take some 50 GB without a limit.
    assert reader.MAX_ITEMS == 1_000_000
    three = resource_list(BEFORE, configmap("middle"), AFTER)
    out, err, code = run_with_limits(three, MAX_ITEMS=3)
    assert code == 0, err
    assert names(parse(out)) == ["before", "middle", "after"]
    out, err, code = run_with_limits(three, MAX_ITEMS=2)
    assert code == 1
    assert_clean(out, err)
    doc = parse(out)
    assert doc["items"] == []  # nothing is recovered past this limit
    assert any("more than 2 resources" in m for m in errors(doc))


def test_item_count_limit_applies_to_streams_and_to_recovery(tmp_path):
    config = tmp_path / "fn.yaml"
    # No agent in the stream, by design: allowEmptyMatch keeps that from being the error.
    config.write_text("apiVersion: fn.pipelock.dev/v1alpha1\nkind: CompanionProxy\nmetadata:\n  name: fn\n"
                      "spec:\n  allowEmptyMatch: true\n")
    stream = b"---\n".join(b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm%d\n" % i for i in range(3))
    code = ("import sys, pipelock_companion.krm.reader.limits as r; r.MAX_ITEMS = %d\n"
            "from pipelock_companion.cli import main\nsys.argv[1:] = ['--config', %r]\nmain()\n")
    for limit, expected in ((3, 0), (2, 1)):
        proc = subprocess.run([sys.executable, "-c", code % (limit, str(config))], input=stream,
                              capture_output=True, timeout=60)
        assert proc.returncode == expected, proc.stderr
    broken = resource_list(BEFORE, configmap("middle"), AFTER, BROKEN)  # 4 items, read piece by piece
    out, _, _ = run_with_limits(broken, MAX_ITEMS=4)
    assert names(parse(out)) == ["before", "middle", "after"]
    out, _, code = run_with_limits(broken, MAX_ITEMS=3)
    assert code == 1 and parse(out)["items"] == []
    assert any("more than 3 resources" in m for m in errors(parse(out)))


def test_metadata_limit_at_its_edge():
    # The metadata the reader keeps of each item (name, namespace, labels,
    # annotations) costs ~20 bytes of memory per byte of `{a: b, c: d, ...}`.
    assert reader.MAX_METADATA_NODES == 10_000_000
    data = resource_list(BEFORE, AFTER)  # each: a mapping, 2 keys, 2 values
    out, err, code = run_with_limits(data, MAX_METADATA_NODES=10)
    assert code == 0, err
    out, err, code = run_with_limits(data, MAX_METADATA_NODES=9)
    assert code == 1
    assert_clean(out, err)
    assert any("metadata holds more than 9 nodes" in m for m in errors(parse(out)))


def child_peak_rss(argv, feed, timeout=120):
    """Run argv, write the chunks of `feed` to its stdin (stopping when it
    stops reading); (exit code, peak RSS in bytes, stdout).

    The peak is the child's own VmHWM, which it prints on exit (see
    PEAK_ON_EXIT): ru_maxrss from wait4 would also count the pages of this
    (large) test process, which the child shares until it execs.
    """
    import threading

    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out, err = [], []
    threads = [threading.Thread(target=lambda: out.append(proc.stdout.read())),
               threading.Thread(target=lambda: err.append(proc.stderr.read()))]
    for thread in threads:
        thread.start()
    with contextlib.suppress(BrokenPipeError):
        for chunk in feed:
            proc.stdin.write(chunk)
    with contextlib.suppress(BrokenPipeError):
        proc.stdin.close()
    for thread in threads:
        thread.join(timeout)
    proc.wait(timeout)
    peak = re.search(rb"VmHWM:\s+(\d+) kB", err[0] if err else b"")
    return proc.returncode, int(peak.group(1)) * 1024 if peak else None, out[0] if out else b""


# Appended to a child's code: print its own peak RSS when it exits.
PEAK_ON_EXIT = ("import atexit, sys\n"
                "atexit.register(lambda: sys.stderr.write(open('/proc/self/status').read()))\n")


def test_input_over_the_limit_is_not_read_into_memory():
    limit = 64 * 1024 * 1024
    chunk = b"# " + b"x" * (1024 * 1024 - 3) + b"\n"

    def feed():
        yield resource_list(BEFORE)
        for _ in range(4 * limit // len(chunk)):
            yield chunk

    code = PEAK_ON_EXIT + ("import pipelock_companion.krm.reader as r\n"
                           f"r.MAX_INPUT_BYTES = r.limits.MAX_INPUT_BYTES = {limit:d}\n"
                           "from pipelock_companion.cli import main\nmain()\n")
    exit_code, peak, out = child_peak_rss([sys.executable, "-c", code], feed())
    assert exit_code == 1
    assert b"more than the limit" in out
    assert peak < 3 * limit, f"peak RSS {peak >> 20} MiB for a {limit >> 20} MiB limit"


# --- memory ------------------------------------------------------------------

def test_reading_keeps_no_copy_of_the_input(tmp_path):
    # In memory while reading: the text (given) plus what the reader keeps
    # (each item's span, apiVersion, kind and metadata). Not a second or third
    # copy of the input, which would go on to be the run's peak.
    path = tmp_path / "in.yaml"
    write_large_input(path, 4_000_000)
    text = reader.decode(path.read_bytes())
    tracemalloc.start()
    try:
        parsed = reader.read(text)
        kept, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert not parsed.errors
    assert peak < kept + len(text) // 4, f"peak {peak >> 20} MiB, kept {kept >> 20} MiB, input {len(text) >> 20} MiB"
    # What the reader keeps of small items is about the input's size (0.95x
    # on Python 3.12, 0.98x on 3.11, 1.12x on 3.10: their objects differ);
    # a kept copy of the text would add a whole 1x on top.
    assert kept < 1.5 * len(text), f"kept {kept >> 20} MiB for a {len(text) >> 20} MiB input"


def test_the_writer_gives_the_output_in_pieces_no_bigger_than_an_item(tmp_path):
    # So the runner can write the output as it is made, never holding all of
    # it (and its UTF-8 copy) at once: that was the run's peak.
    path = tmp_path / "in.yaml"
    write_large_input(path, 2_000_000)
    text = reader.decode(path.read_bytes())
    parsed = reader.read(text)
    pieces = list(writer.chunks(parsed, parsed.items, []))
    assert "".join(pieces) == writer.write(parsed, parsed.items, [])
    largest_item = max(i.end - i.start for i in parsed.items)
    assert max(len(p) for p in pieces) < 2 * largest_item
    stream = reader.read("---\n".join(f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{i}\n"
                                      for i in range(200)))
    assert not stream.errors and len(stream.items) == 200
    pieces = list(writer.chunks(stream, stream.items, []))
    assert "".join(pieces) == writer.write(stream, stream.items, []) and len(pieces) == 200


def test_warnings_for_unidentified_items_are_capped():
    # 5,000 `- {}` items: one warning each would be a results list larger
    # than the input; the first ones are listed, the rest counted.
    data = b"apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n" + b"- {}\n" * 5000
    out, err, code = run(data)
    assert code == 0, err
    about_items = [r["message"] for r in parse(out)["results"] if "apiVersion, kind" in r["message"]]
    assert len(about_items) == 21
    assert "4980 more items" in about_items[-1]
    assert len(parse(out)["items"]) == 5000
