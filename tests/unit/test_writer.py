"""The writer, as a specification: output in the shape the input came in.

A ResourceList comes back as a ResourceList (its apiVersion and kind
echoed, functionConfig echoed, results added), a stream as a stream. Input
items are written from their own text; generated items are rendered.
"""

from pipelock_companion.krm import reader, writer
from pipelock_companion.krm.item import Item
from pipelock_companion.krm.results import Result

HEAD = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\n"
ITEMS = """\
items:
# about a
- apiVersion: v1 # c
  kind: ConfigMap
  metadata: {name: a}
  data:
    on: yes
    mode: 0644
-   apiVersion: v1
    kind: Secret
    metadata: {name: b}
"""


def written(text, extra=(), results=()):
    parsed = reader.read(text)
    assert not parsed.errors
    return writer.write(parsed, parsed.items + list(extra), list(results))


def test_an_unchanged_resource_list_comes_back_as_it_came():
    text = HEAD + ITEMS + "functionConfig:\n  apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: fn\n"
    assert written(text) == text


def test_the_header_is_echoed_and_results_are_added_at_the_end():
    text = "apiVersion: v1\nkind: List\n" + ITEMS
    out = written(text, results=[Result("about b", "warning", {"kind": "Secret", "name": "b"})])
    assert out == text + ("results:\n- message: about b\n  severity: warning\n"
                          "  resourceRef:\n    kind: Secret\n    name: b\n")


def test_a_flow_function_config_stays_on_its_line():
    text = HEAD + ITEMS + "functionConfig: {apiVersion: v1, kind: ConfigMap, metadata: {name: fn}}\n"
    assert written(text) == text


def test_generated_items_follow_at_the_lists_dash():
    text = HEAD + "items:\n  - apiVersion: v1\n    kind: A\n    metadata: {name: a}\n"
    generated = Item.from_data({"apiVersion": "v1", "kind": "Service",
                                "metadata": {"name": "s", "labels": {"x": "on"}}})
    assert written(text, [generated]) == text + ("  - apiVersion: v1\n    kind: Service\n    metadata:\n      name: s\n"
                                                 "      labels:\n        x: 'on'\n")


def test_no_items_are_written_as_an_empty_list():
    assert written(HEAD + "items: []\n") == HEAD + "items: []\n"


def test_a_changed_item_is_written_as_edited_and_its_neighbours_as_they_were():
    text = HEAD + ITEMS
    parsed = reader.read(text)
    a = parsed.items[0]
    a.update({**a.data, "data": {**a.data["data"], "added": "x"}})
    out = writer.write(parsed, parsed.items, [])
    assert out == text.replace("    mode: 0644\n", "    mode: 0644\n    added: x\n")


def test_a_stream_is_written_as_a_stream_with_its_head_comments():
    text = ("# Source: chart/a.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\n"
            "# Source: chart/b.yaml\napiVersion: v1\nkind: Secret\nmetadata: {name: b}\n")
    generated = Item.from_data({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}})
    assert written(text, [generated]) == text + "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: s\n"


def test_the_output_comes_in_pieces_one_per_item():
    text = "---\n".join(f"apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c{i}}}\n" for i in range(5))
    parsed = reader.read(text)
    pieces = list(writer.chunks(parsed, parsed.items, []))
    assert len(pieces) == 5 and "".join(pieces) == text


def test_a_crlf_stream_comes_back_with_crlf_and_a_resource_list_with_lf():
    stream = "apiVersion: v1\r\nkind: A\r\nmetadata: {name: a}\r\n"
    assert written(stream) == stream
    rl = (HEAD + ITEMS).replace("\n", "\r\n")
    assert written(rl) == HEAD + ITEMS  # kpt writes the items' files, with LF


def test_a_stream_keeps_everything_between_its_documents():
    # markers with their comments, directives, `...`, comments, blank lines
    text = ("# Copyright header\n\n%YAML 1.2\n%TAG !e! tag:example.com,2024:\n--- # first\n"
            "apiVersion: v1\nkind: A\nmetadata: {name: a}\ndata: {x: !e!thing y}\n... # end\n\n"
            "---\n# Source: b.yaml\napiVersion: v1\nkind: B\nmetadata: {name: b}   \n# trailing comment\n")
    generated = Item.from_data({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}})
    assert written(text) == text
    assert written(text, [generated]) == text + "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: s\n"


def test_the_dash_line_of_an_item_is_kept_with_the_head_comment_kpt_puts_there():
    # `kpt fn source` writes a resource's head comment after its dash
    text = HEAD + "items:\n- # Source: chart/templates/a.yaml\n  apiVersion: v1\n  kind: A\n  metadata: {name: a}\n"
    generated = Item.from_data({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}})
    assert written(text, [generated]) == text + "- apiVersion: v1\n  kind: Service\n  metadata:\n    name: s\n"


def test_a_block_scalar_ending_the_input_keeps_its_value_when_more_follows():
    last = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata:\n  run.sh: |\n    echo hi"
    generated = Item.from_data({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}})
    assert written(last) == last  # nothing follows: as it came
    out = written(last, [generated])
    assert out.startswith(last.replace("run.sh: |", "run.sh: |-") + "\n---\n")
    entry = HEAD + "items:\n- " + last.replace("\n", "\n  ")
    assert "    run.sh: |-\n      echo hi\n" in written(entry)


def test_a_list_is_written_with_its_changed_child_and_the_rest_as_it_was():
    text = ("apiVersion: v1\nkind: List\nitems:\n# the first\n- apiVersion: v1  # kept\n  kind: ConfigMap\n"
            "  metadata: {name: a}\n- apiVersion: v1\n  kind: Secret\n  metadata: {name: b}\n")
    parsed = reader.read(text, plain=True)
    child = parsed.items[0].children[0]
    child.update({**child.data, "data": {"k": "v"}})
    assert writer.write(parsed, parsed.items, []) == text.replace("  metadata: {name: a}\n",
                                                                  "  metadata: {name: a}\n  data:\n    k: v\n")
