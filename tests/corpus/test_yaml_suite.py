"""The YAML test suite as the specification of what the function accepts,
and of the promise that what it accepts comes out byte for byte.

Every case of the suite (402, from the npm package: see yaml_suite) is
read. The function accepts what the suite calls valid and refuses what it
calls invalid, except for the differences recorded below, each with its
reason; kpt (go-yaml v3, the reader downstream of us) is run on each of
them to show it decides the same, or reads the same. Then:

- every valid case whose documents are mappings goes through a plain
  stream (`--config`) beside an agent workload, and through a ResourceList
  as an item beside it: the case's text comes out byte for byte;
- every invalid case that is refused is refused with an error naming a
  line, and the documents around it are still read.
"""

import itertools
import os
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor

import pytest
import yaml

from pipelock_companion.krm import reader, yamlio

import streams
import yaml_suite

# Where libyaml, and so the function, decides otherwise than the suite.
# Refusing valid YAML costs an error, never a silent change; accepting
# invalid YAML is safe only where every reader downstream reads it the same
# way, since the text passes through unchanged.
WHY = {
    # valid YAML 1.2, refused
    "tab": "a tab where YAML 1.2 allows it as white space (separation, leading white space of block scalar "
           "content): libyaml takes a tab at the start of a line for indentation and refuses it",
    "flow": "YAML 1.2 forms of flow collections libyaml does not implement: a value right after a quoted key "
            '(`"a":b`), a `:` on the line after its key, multi-line keys, keys and values left empty',
    "keys": "empty keys (`: a`), and explicit keys (`? `) or aliases as keys in block mappings, which libyaml "
            "does not parse",
    "anchors": "anchor and alias names with characters YAML 1.2 allows and libyaml does not (`:`, non-ASCII "
               "letters, punctuation)",
    "directives": "reserved directives (`%FOO`) and `%YAML` versions other than 1.1 and 1.2, which libyaml "
                  "refuses",
    "markers": "a bare document after `...`, a `...` with no document before it, a zero-indented block scalar "
               "at the top, which libyaml does not parse",
    # invalid YAML 1.2, accepted
    "indent": "continuation lines of a flow collection or quoted scalar indented less than YAML 1.2 asks "
              "(or by a tab)",
    "comment": "a comment with no white space before its `#`: read as a comment",
    "dash": "a `-` alone as a plain scalar in a flow sequence: read as the string `-`",
    "block": "leading empty lines of a block scalar more indented than its first line: read as empty",
    "footer": "a directive after a document that has no `...` to end it: read as the next document's",
}

REFUSED_VALID = {
    "2JQS": "keys", "2LFX": "directives", "2SXE": "anchors", "4ABK": "flow", "4MUZ:0": "flow", "4MUZ:1": "flow",
    "4MUZ:2": "flow", "58MP": "flow", "5MUD": "flow", "5T43": "flow", "6BCT": "tab", "6CA3": "tab",
    "6LVF": "directives", "6M2F": "keys", "7Z25": "markers", "8XYN": "anchors", "96NN:0": "tab", "96NN:1": "tab",
    "9SA2": "flow", "A2M4": "tab", "BEC7": "directives", "CFD4": "flow", "DBG4": "flow", "DK3J": "markers",
    "DK95:0": "tab", "DK95:3": "tab", "DK95:4": "tab", "FP8R": "markers", "FRK4": "flow", "HM87:0": "flow",
    "HWV9": "markers", "K3WX": "flow", "M2N8:0": "keys", "M7A3": "markers", "MUS6:5": "directives",
    "MUS6:6": "directives", "NHX8": "keys", "NJ66": "flow", "NKF9": "keys", "Q5MG": "tab", "QT73": "markers",
    "R4YG": "tab", "S3PD": "keys", "SM9W:1": "keys", "UKK6:0": "keys", "UT92": "flow", "VJP3:1": "flow",
    "W4TN": "directives", "W5VH": "anchors", "Y79Y:1": "tab", "Y79Y:10": "tab",
}
ACCEPTED_INVALID = {
    "9C9N": "indent", "9HCY": "footer", "9JBA": "comment", "CVW2": "comment", "DK95:1": "indent",
    "EB22": "footer", "G5U8": "dash", "MUS6:0": "directives", "MUS6:1": "directives", "QB6E": "indent",
    "RHX7": "footer", "S98Z": "block", "SU5Z": "comment", "X4QW": "comment", "Y79Y:3": "indent", "YJV2": "dash",
}
# kpt decides otherwise on these: it takes 4ABK (we refuse it: an error,
# nothing passes unread); it refuses the malformed %YAML directives of
# MUS6:0/1 (they hold no document, so our output refuses them too: no
# document is an error) and the scalar documents of 9HCY and EB22 (not
# resources).
KPT_OTHERWISE = {"4ABK", "MUS6:0", "MUS6:1", "9HCY", "EB22"}

# Valid YAML 1.2 the suite has no case for: line separators are ordinary
# characters in YAML 1.2, line breaks to libyaml (YAML 1.1). kpt refuses them too.
OWN_REFUSED_VALID = {
    "U+2028 in a plain scalar": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata:\n  a: x\u2028y\n",
    "U+2029 in a block scalar": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata:\n  a: |\n    x\u2029y\n",
    "U+0085 in a plain scalar": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata:\n  a: x\x85y\n",
}

# A lone `%YAML 1.2` is invalid at the end of a stream; with a document
# after it (as the embedding below puts one), it is that document's directive.
COMPLETED_BY_CONTEXT = {"9MMA"}


@pytest.fixture(scope="module")
def cases():
    return yaml_suite.cases_or_skip()


def refused(text):
    """Whether the reader refuses `text` as YAML (not for its KRM shape)."""
    return any(not e.shape for e in reader.read(text, plain=True).errors)


def test_every_case_is_decided_as_the_suite_says_or_as_recorded(cases):
    assert len(cases) == 402
    assert set(WHY) == set(REFUSED_VALID.values()) | set(ACCEPTED_INVALID.values())
    got_refused_valid = {c.id for c in cases if not c.fail and refused(c.yaml)}
    got_accepted_invalid = {c.id for c in cases if c.fail and not refused(c.yaml)}
    assert got_refused_valid == set(REFUSED_VALID)
    assert got_accepted_invalid == set(ACCEPTED_INVALID)


@pytest.mark.parametrize("name", sorted(OWN_REFUSED_VALID))
def test_line_separators_in_scalars_are_refused(name):
    assert refused(OWN_REFUSED_VALID[name])


def kpt_source(text):
    """kpt's reading of a file holding `text`: (refused, [item data])."""
    with tempfile.TemporaryDirectory() as directory:
        with open(os.path.join(directory, "case.yaml"), "w", encoding="utf-8") as f:
            f.write(text)
        proc = subprocess.run(["kpt", "fn", "source", directory], capture_output=True, text=True, timeout=60)
    if proc.returncode != 0:
        return True, None
    items = yaml.safe_load(proc.stdout)["items"]
    for item in items:
        item.pop("metadata", None)  # kpt's path and index annotations
    return False, [item.get("bareSeqNodeWrappingKey", item) for item in items]


@pytest.mark.skipif(shutil.which("kpt") is None, reason="kpt is not on PATH")
def test_kpt_decides_every_recorded_difference_as_we_do(cases):
    # kpt reads with go-yaml v3, as kustomize does: what either refuses,
    # the user's pipeline refuses after us anyway; what we accept, it reads
    # as we do (the text passes through unchanged).
    by_id = {c.id: c for c in cases}
    texts = {**{case_id: by_id[case_id].yaml for case_id in {**REFUSED_VALID, **ACCEPTED_INVALID}},
             **OWN_REFUSED_VALID}
    with ThreadPoolExecutor(4) as pool:  # kpt's start-up is most of it
        kpt = dict(zip(texts, pool.map(kpt_source, texts.values()), strict=True))
    disagree = [f"{case_id}: kpt accepts it" for case_id in sorted(REFUSED_VALID) + sorted(OWN_REFUSED_VALID)
                if not kpt[case_id][0] and case_id not in KPT_OTHERWISE]
    for case_id in sorted(ACCEPTED_INVALID):
        kpt_refused, kpt_items = kpt[case_id]
        ours = [yamlio.to_data(node) for node in yaml.compose_all(texts[case_id], Loader=yaml.CSafeLoader)]
        ours = [doc for doc in ours if doc is not None]
        if case_id not in KPT_OTHERWISE and (kpt_refused or kpt_items != ours):
            disagree.append(f"{case_id}: kpt reads {kpt_items}, we read {ours}")
    assert not disagree


def mapping_documents(case):
    """The number of the case's documents when it is valid and every one of
    them is a mapping (an empty document aside); else None."""
    if case.fail or case.id in REFUSED_VALID:
        return None
    events = list(yaml.parse(case.yaml, Loader=yaml.CSafeLoader))
    roots = [after for before, after in itertools.pairwise(events) if isinstance(before, yaml.DocumentStartEvent)
             and not (isinstance(after, yaml.ScalarEvent) and after.value == "" and after.implicit[0])]
    return len(roots) if roots and all(isinstance(root, yaml.MappingStartEvent) for root in roots) else None


def test_valid_documents_come_out_of_a_plain_stream_byte_for_byte(cases, tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text(streams.CONFIG)
    ran, changed = 0, []
    for case in cases:
        if mapping_documents(case) is None:
            continue
        text = case.yaml + ("" if case.yaml.endswith("\n") else "\n")
        out, err, code = streams.run_stream(text + "---\n" + streams.AGENT_DOC, str(config))
        assert code == 0 and "Traceback" not in err, f"{case}: {err}"
        ran += 1
        if not out.startswith(text) or "agent-pipelock" not in out[len(text):]:
            changed.append(f"{case}:\n{text!r}\n{out[:len(text) + 40]!r}")
    assert ran >= 110
    assert not changed, "\n".join(changed)


def as_entry(text):
    """A one-document text as an item of a ResourceList: `- ` before its first
    line, two spaces before the others."""
    lines = text.rstrip("\n").split("\n")
    return "".join(("- " if i == 0 else "  " if line else "") + line + "\n" for i, line in enumerate(lines))


def first_item(text):
    """The first item of a ResourceList text as a tree of (tag, value)."""
    def tree(node):
        if isinstance(node, yaml.ScalarNode):
            return node.tag, node.value
        if isinstance(node, yaml.SequenceNode):
            return node.tag, [tree(n) for n in node.value]
        return node.tag, [(tree(k), tree(v)) for k, v in node.value]

    items = next(v for k, v in yamlio.compose(text).value if k.value == "items")
    return tree(items.value[0])


def test_valid_documents_come_out_of_a_resource_list_byte_for_byte(cases):
    ran, changed = 0, []
    for case in cases:
        if mapping_documents(case) != 1 or any(line.startswith(("---", "...", "%"))
                                                 for line in case.yaml.split("\n")):
            continue
        entry = as_entry(case.yaml)
        text = streams.HEAD + entry + streams.AGENT_ENTRY
        out, results = streams.run_resource_list(text)
        assert not streams.errors(results), f"{case}: {streams.errors(results)}"
        ran += 1
        before, after = first_item(text), first_item(out)
        if entry not in out or after != before:
            changed.append(f"{case}:\n{entry!r}\n{out[:len(entry) + 200]!r}")
    assert ran >= 80
    assert not changed, "\n".join(changed)


BEFORE = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: before}\n"
AFTER = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: after}\n"


def embedded(case):
    return BEFORE + "---\n" + case.yaml + ("" if case.yaml.endswith("\n") else "\n") + "---\n" + AFTER


def test_invalid_cases_are_refused_naming_a_line_and_the_documents_around_them_survive(cases):
    ran, wrong = 0, []
    for case in cases:
        if not case.fail or case.id in ACCEPTED_INVALID:
            continue
        ran += 1
        alone = [e for e in reader.read(case.yaml, plain=True).errors if not e.shape]
        parsed = reader.read(embedded(case), plain=True)
        around = [e for e in parsed.errors if not e.shape]
        names = [item.name for item in parsed.items]
        if not alone or any(e.line is None for e in alone):
            wrong.append(f"{case}: refused without a line: {[e.describe() for e in alone]}")
        if (not around and case.id not in COMPLETED_BY_CONTEXT) or names[:1] != ["before"] or names[-1:] != ["after"]:
            wrong.append(f"{case}: embedded, read as {names} with {[e.describe() for e in parsed.errors]}")
    assert ran >= 75
    assert not wrong, "\n".join(wrong)


def test_the_command_refuses_invalid_cases_in_a_plain_stream(cases, tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text(streams.CONFIG)
    for case in cases:
        if case.fail and case.id not in set(ACCEPTED_INVALID) | COMPLETED_BY_CONTEXT:
            streams.assert_refused_in_a_stream(*streams.run_stream(embedded(case), str(config)))


def _complex_key(node):
    if isinstance(node, yaml.MappingNode):
        return any(not isinstance(k, yaml.ScalarNode) or _complex_key(v) for k, v in node.value)
    return isinstance(node, yaml.SequenceNode) and any(map(_complex_key, node.value))


def test_data_read_straight_from_events_is_what_the_composed_tree_gives(cases):
    # Item.data skips composing a node tree when the YAML is plain
    # (reader.walk.plain_data): on every case libyaml parses as one
    # document, it either declines or gives exactly (types too) what
    # compose + to_data give; and comparing its events with that data as
    # they come (walk.reads_as) agrees.
    from pipelock_companion.krm import textedit
    from pipelock_companion.krm.reader import walk

    straight = declined = 0
    for case in cases:
        for text in (case.yaml, "  " + as_entry(case.yaml)[2:]):
            try:
                expected = yamlio.to_data(yamlio.compose(text))
            except (yaml.YAMLError, yamlio.Unresolvable):
                expected = walk.NOT_PLAIN
            got = walk.plain_data(text)
            if got is walk.NOT_PLAIN:
                declined += 1
                # the check of text edits (walk.reads_as) declines it too, for the full path
                assert expected is walk.NOT_PLAIN or not walk.reads_as(text, expected), (case, text)
                continue
            straight += 1
            assert got is not walk.NOT_PLAIN and textedit.same(got, expected), (case, text, got, expected)
            # so text edits may skip yamlio.is_plain_tree for it (Item.update)
            assert yamlio.is_plain_tree(yamlio.compose(text)), (case, text)
            # it declines collections as keys (read by their repr), for the full path
            assert walk.reads_as(text, expected) or _complex_key(yamlio.compose(text)), (case, text)
    assert straight > 300 and declined > 100, (straight, declined)
