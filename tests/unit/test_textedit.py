"""Text edits, as a specification: a change of data becomes the smallest
edit of the text it came from.

`textedit.apply(text, node, old, new)` returns text that reads as `new`
(it re-reads every result to be sure) and keeps every byte the change does
not reach: comments, key order, quoting, `on` and `0644`; and whether it
could do so (`exact`). Where it cannot (aliases, merge keys), the text is
written from the data: values kept, comments not.
"""

import copy

import pytest

from pipelock_companion.krm import textedit, yamlio

DEPLOYMENT = """\
# head comment
kind: Deployment # the kind
spec:
  replicas: 1
  template:
    spec:
      containers:
      - name: agent   # first
        image: agent:1.0
        env:
        - {name: MODE, value: "on"}
      - name: sidecar
        image: side:0644
"""


def edit(text, change, exact=True):
    node = yamlio.compose(text)
    old = yamlio.to_data(node)
    new = copy.deepcopy(old)
    change(new)
    out, was_exact = textedit.apply(text, node, old, new)
    assert yamlio.to_data(yamlio.compose(out)) == new  # the one thing every edit guarantees
    assert was_exact is exact
    return out


def containers(data):
    return data["spec"]["template"]["spec"]["containers"]


def test_no_change_is_the_same_text():
    assert edit(DEPLOYMENT, lambda _: None) is DEPLOYMENT


def test_a_final_line_break_keeps_the_value_of_a_block_scalar_that_ends_the_text():
    # `echo hi` with no line break after it is the value "echo hi"; with one
    # added, a clipped (|) or kept (|+) scalar would gain it.
    assert textedit.with_final_break("run: |\n  echo hi") == "run: |-\n  echo hi\n"
    assert textedit.with_final_break("run: >2+\n   echo hi") == "run: >2-\n   echo hi\n"
    assert textedit.with_final_break("run: |\n  echo hi\n# done") == "run: |\n  echo hi\n# done\n"
    assert textedit.with_final_break("a: b") == "a: b\n"


def test_a_changed_scalar_is_replaced_in_place():
    out = edit(DEPLOYMENT, lambda d: d["spec"].update(replicas=3))
    assert out == DEPLOYMENT.replace("replicas: 1", "replicas: 3")


def test_a_new_key_goes_at_the_end_of_its_block_mapping_at_its_indentation():
    out = edit(DEPLOYMENT, lambda d: containers(d)[1].update(ports=[{"containerPort": 8080}]))
    assert out == DEPLOYMENT + "        ports:\n        - containerPort: 8080\n"


def test_new_strings_are_quoted_when_any_yaml_reader_could_retype_them():
    out = edit(DEPLOYMENT, lambda d: d["spec"].update(a="on", b="0644", c="1:20", d="0o10", e="plain"))
    assert out.endswith("  a: 'on'\n  b: '0644'\n  c: '1:20'\n  d: '0o10'\n  e: plain\n")


def test_a_named_list_entry_is_inserted_after_its_neighbours_by_name():
    # containers, env, volumes: entries pair up by name, as Kubernetes merges them
    out = edit(DEPLOYMENT, lambda d: containers(d).insert(1, {"name": "proxy", "image": "p:1"}))
    assert out == DEPLOYMENT.replace("      - name: sidecar\n", "      - name: proxy\n        image: p:1\n"
                                                                 "      - name: sidecar\n")


def test_an_entry_is_inserted_at_the_start_of_a_list():
    out = edit(DEPLOYMENT, lambda d: containers(d).insert(0, {"name": "init", "image": "i:1"}))
    assert out == DEPLOYMENT.replace("      - name: agent",
                                     "      - name: init\n        image: i:1\n      - name: agent")


def test_a_deleted_key_or_entry_takes_its_lines_with_it():
    out = edit(DEPLOYMENT, lambda d: containers(d).pop(1))
    assert out == DEPLOYMENT.replace("      - name: sidecar\n        image: side:0644\n", "")
    out = edit(DEPLOYMENT, lambda d: containers(d)[0].pop("image"))
    assert out == DEPLOYMENT.replace("        image: agent:1.0\n", "")


def test_a_changed_flow_collection_is_rewritten_in_block_style():
    out = edit(DEPLOYMENT, lambda d: containers(d)[0]["env"][0].update(value="off"))
    assert out == DEPLOYMENT.replace('        - {name: MODE, value: "on"}\n',
                                     "        - name: MODE\n          value: 'off'\n")


def test_a_new_multi_line_string_is_a_literal_block():
    out = edit("data:\n  a: b\n", lambda d: d["data"].update(script="echo 1\necho 2\n"))
    assert out == "data:\n  a: b\n  script: |\n    echo 1\n    echo 2\n"


def test_an_item_with_aliases_is_written_from_its_nodes_values_kept():
    # Editing text under an alias would change every place it stands for.
    text = "base: &b {x: 1}\ncopy: *b # the comment goes\n"
    out = edit(text, lambda d: d.update(extra=2), exact=False)
    assert "# the comment goes" not in out
    assert yamlio.to_data(yamlio.compose(out)) == {"base": {"x": 1}, "copy": {"x": 1}, "extra": 2}


def test_an_item_with_merge_keys_is_written_from_its_data():
    text = "defaults: &d {replicas: 1}\nspec:\n  <<: *d  # merged\n  name: x\n"
    out = edit(text, lambda d: d["spec"].update(replicas=2), exact=False)
    assert yamlio.to_data(yamlio.compose(out))["spec"] == {"replicas": 2, "name": "x"}


def test_an_unchanged_item_with_aliases_is_not_touched():
    text = "base: &b {x: 1}\ncopy: *b # kept\n"
    assert edit(text, lambda _: None) is text


@pytest.mark.parametrize(("old", "new"), [
    ({"a": 1}, {"a": 1}),
    ({"a": [1, {"b": None}]}, {"a": [1, {"b": None}]}),
])
def test_canon_is_equal_for_equal_data(old, new):
    assert textedit.canon(old) == textedit.canon(new)


def test_canon_tells_types_apart():
    assert textedit.canon({"a": "1"}) != textedit.canon({"a": 1})
    assert textedit.canon({"a": True}) != textedit.canon({"a": 1})
