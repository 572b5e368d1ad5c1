"""The reader, as a specification: what it makes of input text.

`reader.read(text)` never raises for bad input: it returns a `Parsed` with
the items it could read and an `errors` list for the rest. Each item knows
where its text lies (`body()`) and the little every item needs (apiVersion,
kind, metadata); everything else is read only when asked (`data`).
"""

import re

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from pipelock_companion.krm import reader, yamlio

HEAD = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\n"


def read_ok(text):
    parsed = reader.read(text)
    assert not parsed.errors, [e.describe() for e in parsed.errors]
    return parsed


def messages(parsed):
    return [e.describe() for e in parsed.errors]


# --- the two shapes of input ---------------------------------------------------

def test_a_resource_list_gives_its_items_header_and_function_config():
    parsed = read_ok(HEAD + "items:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: a, namespace: ns}\n"
                            "functionConfig:\n  apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: fn}\n")
    assert parsed.fmt == "resourcelist"
    assert parsed.header == ("config.kubernetes.io/v1", "ResourceList")
    [item] = parsed.items
    assert (item.api_version, item.kind, item.name, item.namespace) == ("v1", "ConfigMap", "a", "ns")
    assert parsed.function_config.data["metadata"] == {"name": "fn"}


def test_a_list_is_read_as_a_resource_list_and_its_header_echoed():
    parsed = read_ok("apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Secret, metadata: {name: s}}\n")
    assert parsed.fmt == "resourcelist" and parsed.header == ("v1", "List")
    assert [i.kind for i in parsed.items] == ["Secret"]


def test_a_plain_stream_gives_one_item_per_document_and_drops_empty_ones():
    parsed = read_ok("---\n# only a comment\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n"
                     "---\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: b}\n...\n")
    assert parsed.fmt == "stream"
    assert [(i.kind, i.name) for i in parsed.items] == [("ConfigMap", "a"), ("Secret", "b")]


def test_empty_input_and_input_without_a_document_are_errors_answered_as_a_resource_list():
    for text in ("", "  \n\n", "# just a comment\n", "---\n...\n"):
        parsed = reader.read(text)
        assert parsed.fmt == "resourcelist" and parsed.items == []
        assert parsed.errors


# --- what an item captures -------------------------------------------------

def test_metadata_is_read_with_the_yaml_1_2_core_schema():
    # `on` and `yes` are strings in YAML 1.2 (and to kyaml); 0644 is octal
    # as kyaml reads it; quoted values are always strings.
    parsed = read_ok(HEAD + "items:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: a\n"
                            "    labels: {on: on, yes: yes, quoted: '0644', n: 0644, t: true}\n")
    assert parsed.items[0].labels == {"on": "on", "yes": "yes", "quoted": "0644", "n": 420, "t": True}


@settings(max_examples=300, deadline=None, derandomize=True)
@given(st.one_of(st.text(alphabet="0123456789+-.eExXoOabcfFinNaAtTrRuUlLsS_~:", max_size=8),
                 st.sampled_from(["1.", ".5", "-.5e3", "1e3", ".inf", "-.Inf", ".nan", "NaN", "100m", "128Mi", "0o17",
                                  "0x1F", "~", "null", "True", "FALSE", "", "1_000", "2026-01-01", "1:20"])))
def test_plain_scalars_resolve_as_the_core_schema_patterns_say(text):
    # The resolver answers from a table by the first character and asks the
    # float pattern only about texts that can end a float: the same tags
    # as the patterns of the YAML 1.2 core schema asked in order.
    expected = next((tag for tag, pattern in _CORE_PATTERNS if re.match(pattern, text)), yamlio.STR)
    assert yamlio.Resolver12().resolve(yaml.ScalarNode, text, (True, False)) == expected


_CORE_PATTERNS = [
    (yamlio.NULL, r"^(?:~|null|Null|NULL|)$"),
    (yamlio.BOOL, r"^(?:true|True|TRUE|false|False|FALSE)$"),
    (yamlio.INT, r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"),
    (yamlio.FLOAT, (r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
                    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$")),
]


def test_identity_fields_of_the_wrong_type_read_as_absent():
    parsed = read_ok(HEAD + "items:\n- apiVersion: v1\n  kind: ConfigMap\n"
                            "  metadata: {name: [x], namespace: '', labels: [a], annotations: 1}\n")
    item = parsed.items[0]
    assert (item.name, item.namespace, item.labels, item.annotations) == (None, None, {}, {})


def test_data_is_composed_only_from_the_items_own_text():
    parsed = read_ok(HEAD + "items:\n- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: a}\n"
                            "  data:\n    base: &b {x: '1'}\n    copy: *b\n    when: 2026-01-01\n")
    data = parsed.items[0].data
    assert data["data"] == {"base": {"x": "1"}, "copy": {"x": "1"}, "when": "2026-01-01"}


def test_each_item_knows_its_line_and_column():
    parsed = read_ok(HEAD + "items:\n- apiVersion: v1\n  kind: A\n  metadata: {name: a}\n"
                            "-   apiVersion: v1\n    kind: B\n    metadata: {name: b}\n")
    assert [(i.line, i.col) for i in parsed.items] == [(4, 2), (7, 4)]


# --- an item's text (its span) ------------------------------------------------

LIST = HEAD + """\
items:
# head comment of a
- apiVersion: v1 # about apiVersion
  kind: ConfigMap
  metadata: {name: a}
  data:
    script: |
      echo a

    # below the data, as deep as it
  # below a, as deep as its keys
# at the column of the dash: the head comment of b
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: b}
  data:
    kept: |+
      b


functionConfig: {apiVersion: v1, kind: ConfigMap}
"""


def test_an_items_text_runs_from_its_first_key_to_its_last_content_and_its_own_comments():
    a, b = read_ok(LIST).items
    assert a.body() == ("apiVersion: v1 # about apiVersion\n  kind: ConfigMap\n  metadata: {name: a}\n  data:\n"
                        "    script: |\n      echo a\n\n    # below the data, as deep as it\n"
                        "  # below a, as deep as its keys")
    # a kept (|+) block scalar owns its trailing blank lines; a clipped one does not
    assert b.body().endswith("    kept: |+\n      b\n\n\n")


def test_a_flow_function_config_is_known_as_such():
    fc = read_ok(LIST).function_config
    assert fc.flow and fc.body() == "{apiVersion: v1, kind: ConfigMap}"


def test_the_dash_prefix_of_the_list_is_kept():
    parsed = read_ok(HEAD + "items:\n  -  apiVersion: v1\n     kind: A\n     metadata: {name: a}\n")
    assert parsed.dash_prefix == "  -  "


def test_items_in_a_flow_sequence_are_spans_too():
    parsed = read_ok(HEAD + "items: [{apiVersion: v1, kind: A, metadata: {name: a}},\n"
                            "  {apiVersion: v1, kind: B, metadata: {name: b}}]\n")
    assert [i.body() for i in parsed.items] == ["{apiVersion: v1, kind: A, metadata: {name: a}}",
                                               "{apiVersion: v1, kind: B, metadata: {name: b}}"]


# --- shape errors: reported, the rest still read ---------------------------

@pytest.mark.parametrize(("items", "expect"), [
    ("items: 5\n", "items is not a list"),
    ("items: {a: b}\n", "items is not a list"),
    ("items:\n- just a string\n", "items[0] is not a mapping"),
])
def test_a_resource_list_of_the_wrong_shape_is_an_error(items, expect):
    parsed = reader.read(HEAD + items)
    assert parsed.fmt == "resourcelist"
    assert any(expect in m for m in messages(parsed))


def test_a_function_config_that_is_not_a_mapping_is_an_error_and_null_means_none():
    assert any("functionConfig is not a mapping" in m
               for m in messages(reader.read(HEAD + "items: []\nfunctionConfig: [a]\n")))
    assert read_ok(HEAD + "items: []\nfunctionConfig: ~\n").function_config is None


def test_two_resource_lists_in_one_stream_are_an_error():
    rl = HEAD + "items: []\n"
    parsed = reader.read(rl + "---\n" + rl.replace("items: []", "items: [{}]"))
    assert any("holds 2 documents" in m for m in messages(parsed))


@pytest.mark.parametrize(("text", "expect"), [
    ("a: 1\na: 2\n", "duplicate mapping key 'a'"),
    ("metadata:\n  name: x\n  name: y\n", "duplicate mapping key 'name'"),
    ("? [a]\n: 1\n? [a]\n: 2\n", "duplicate mapping key"),
])
def test_duplicate_keys_are_an_error_as_kyaml_has_it(text, expect):
    assert any(expect in m for m in messages(reader.read(text)))


def test_an_alias_may_not_reach_into_another_item():
    # kpt writes each item to its own file, where the alias would dangle:
    # that item is an error, read on its own; the other one is kept.
    text = (HEAD + "items:\n- {apiVersion: v1, kind: A, metadata: {name: &n a}}\n"
            "- {apiVersion: v1, kind: B, metadata: {name: *n}}\n")
    parsed = reader.read(text)
    assert [i.name for i in parsed.items] == ["a"]
    assert messages(parsed) == [("items[1] line 5: alias *n refers to no anchor before it in the same resource "
                                 "(each resource must be readable on its own)")]


def test_an_alias_bomb_is_refused_and_nesting_is_bounded():
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 10)}]\n" for i in range(5))
    assert any("alias bomb" in m for m in messages(reader.read(bomb)))
    deep = "a: " + "[" * (reader.MAX_DEPTH + 1) + "]" * (reader.MAX_DEPTH + 1) + "\n"
    assert any(f"nesting deeper than {reader.MAX_DEPTH}" in m for m in messages(reader.read(deep)))


def test_the_limits_on_items_are_read_at_run_time(monkeypatch):
    monkeypatch.setattr(reader.limits, "MAX_ITEMS", 2)
    parsed = reader.read("---\n".join(f"apiVersion: v1\nkind: A\nmetadata: {{name: a{i}}}\n" for i in range(3)))
    assert parsed.items == [] and "more than 2 resources" in messages(parsed)[0]


# --- salvage: what a broken input still gives ------------------------------

BROKEN_LIST = HEAD + """\
items:
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: before}
- apiVersion: v1
  kind: ConfigMap
  metadata:
    name: broken
  data: {a: [unclosed}
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: after}
"""


def test_a_broken_item_is_an_error_naming_it_and_the_others_survive():
    parsed = reader.read(BROKEN_LIST)
    assert parsed.fmt == "resourcelist"
    assert [i.name for i in parsed.items] == ["before", "after"]
    assert [i.line for i in parsed.items] == [4, 12]  # lines of the input, not of the piece
    [error] = parsed.errors
    assert error.where == "items[1]" and error.line == 11  # where libyaml notices
    assert error.ref == {"apiVersion": "v1", "kind": "ConfigMap", "name": "broken"}


def test_a_broken_document_of_a_stream_is_an_error_and_the_others_survive():
    parsed = reader.read("apiVersion: v1\nkind: A\nmetadata: {name: a}\n---\nkind: B\n  bad: indent\n"
                         "---\napiVersion: v1\nkind: C\nmetadata: {name: c}\n")
    assert parsed.fmt == "stream"
    assert [i.kind for i in parsed.items] == ["A", "C"]
    assert len(parsed.errors) == 1 and parsed.errors[0].line == 6


# --- decoding stdin --------------------------------------------------------

def test_decode_takes_utf8_and_drops_a_bom():
    assert reader.decode("\ufeffa: 1\r\nb: é\n".encode()) == "a: 1\r\nb: é\n"


def test_items_are_read_with_lf_line_breaks_and_the_input_remembers_crlf():
    crlf = reader.read("apiVersion: v1\r\nkind: A\r\nmetadata: {name: a}\r\n")
    assert crlf.items[0].body() == "apiVersion: v1\nkind: A\nmetadata: {name: a}" and crlf.line_break == "\r\n"
    mixed = reader.read("apiVersion: v1\r\nkind: A\nmetadata: {name: a}\r")
    assert mixed.items[0].name == "a" and mixed.line_break == "\n"  # mixed: nothing to restore


def test_decode_refuses_invalid_utf8_naming_the_byte_and_oversized_input():
    with pytest.raises(reader.InputError, match="byte 3"):
        reader.decode(b"a: \xff\n")
    with pytest.raises(reader.InputError, match="more than the limit"):
        reader.decode(reader.Oversized(reader.MAX_INPUT_BYTES + 1))


# --- a List: a wrapper, or a document with children --------------------------

A_LIST = """\
apiVersion: v1
kind: List
items:
- apiVersion: v1
  kind: ConfigMap
  metadata: {name: a}
- apiVersion: v1
  kind: List
  items: [{apiVersion: v1, kind: Secret, metadata: {name: nested}}]
"""


def test_a_list_alone_is_a_resource_list_but_in_a_plain_stream_a_document_with_children():
    assert read_ok(A_LIST).fmt == "resourcelist"
    plain = reader.read(A_LIST, plain=True)
    assert not plain.errors and plain.fmt == "stream"
    [the_list] = plain.items
    assert [(c.kind, c.name) for c in the_list.children] == [("ConfigMap", "a"), ("List", None)]
    assert [(g.kind, g.name) for g in the_list.children[1].children] == [("Secret", "nested")]
    assert the_list.children[0].parent is the_list


def test_a_list_among_other_documents_is_an_error_unless_the_stream_is_plain():
    text = A_LIST + "---\napiVersion: v1\nkind: Secret\nmetadata: {name: s}\n"
    assert any("one of them a List" in m for m in messages(reader.read(text)))
    assert not reader.read(text, plain=True).errors


def test_an_item_of_a_list_that_aliases_another_is_an_error_about_the_list():
    text = ("apiVersion: v1\nkind: List\nmetadata: {name: l}\n"
            "items:\n- {apiVersion: v1, kind: A, metadata: {name: &n a}}\n"
            "- {apiVersion: v1, kind: B, metadata: {name: *n}}\n")
    [error] = reader.read(text, plain=True).errors
    assert "items[1]: alias *n refers to an anchor outside its resource" in error.message
    assert error.ref == {"apiVersion": "v1", "kind": "List", "name": "l"}


def test_only_a_list_has_children():
    parsed = read_ok("apiVersion: x/v1\nkind: Inventory\nmetadata: {name: i}\nitems: [{kind: A}]\n")
    assert parsed.items[0].children is None


# --- identity with full YAML semantics ----------------------------------------

def test_identity_through_aliases_merge_keys_and_tags_is_read_as_kustomize_reads_it():
    parsed = read_ok(HEAD + """\
items:
- apiVersion: &v apps/v1
  kind: !!str Deployment
  metadata:
    <<: {namespace: agents, labels: {app: merged, decoded: !!binary YWdlbnRz}}
    name: &n agent
    annotations: {copy: *n, custom: !thing 123}
- apiVersion: v1
  <<: {kind: Secret, metadata: {name: from-a-merge}}
""")
    deployment, secret = parsed.items
    assert (deployment.api_version, deployment.kind, deployment.namespace, deployment.name) == \
        ("apps/v1", "Deployment", "agents", "agent")
    assert deployment.labels == {"app": "merged", "decoded": "agents"}
    assert deployment.annotations == {"copy": "agent", "custom": "123"}
    assert (secret.kind, secret.name) == ("Secret", "from-a-merge")


@pytest.mark.parametrize(("value", "why"), [
    ("!!binary /w==", "not base64 of UTF-8 text"),
    ("!!timestamp 2001-12-14", "not read the same by every tool"),
    ("!!int abc", "not an integer"),
])
def test_an_identity_that_cannot_be_read_as_kustomize_reads_it_is_an_error_naming_the_item(value, why):
    parsed = reader.read(HEAD + "items:\n- apiVersion: v1\n  kind: ConfigMap\n"
                         f"  metadata: {{name: x, namespace: {value}}}\n")
    [error] = parsed.errors
    assert error.message.startswith("metadata.namespace: ") and why in error.message
    assert error.ref["name"] == "x" and not error.shape
    assert [i.name for i in parsed.items] == ["x"]  # still written back


def test_a_binary_annotation_is_an_error_kustomize_keeps_it_encoded_kubectl_decodes_it():
    parsed = reader.read("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  annotations: {a: !!binary YQ==}\n")
    [error] = parsed.errors
    assert error.message.startswith("metadata.annotations.a: a !!binary value here")


def test_errors_say_whether_the_yaml_is_malformed_or_only_of_the_wrong_shape():
    assert [e.shape for e in reader.read("- a\n").errors] == [True]
    assert [e.shape for e in reader.read("a: [b\n").errors] == [False]


def test_salvage_cuts_a_stream_at_every_document_marker():
    parsed = reader.read("apiVersion: v1\nkind: A\nmetadata: {name: a}\n--- # next\nkind: B\n  bad: x\n"
                         "...\n%YAML 1.2\n---\napiVersion: v1\nkind: C\nmetadata: {name: c}\n"
                         "--- {apiVersion: v1, kind: D, metadata: {name: d}}\n")
    assert [i.name for i in parsed.items] == ["a", "c", "d"]
    assert [e.line for e in parsed.errors] == [6]
