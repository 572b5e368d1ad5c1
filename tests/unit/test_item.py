"""Items, as a specification: one resource, kept as the text it came in.

An item answers for its identity (kind, apiVersion, group, name, namespace,
labels, annotations), for the `resourceRef` and `file` of a result about
it, and for its data; `update(new_data)` records a change as edits of its
own text. Generated items (`Item.from_data`) are rendered from data.
"""

from pipelock_companion.krm import reader
from pipelock_companion.krm.item import Item


def one(text):
    parsed = reader.read(text)
    assert not parsed.errors
    [item] = parsed.items
    return item


CM = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: agents
  labels: {app: agent}
  annotations:
    config.kubernetes.io/local-config: "TRUE"
    internal.config.kubernetes.io/path: pkg/settings.yaml
    internal.config.kubernetes.io/index: '2'
data:
  on: yes # kept as text
"""


def test_identity():
    item = one(CM)
    assert (item.api_version, item.kind, item.group, item.name, item.namespace) == \
        ("v1", "ConfigMap", "", "settings", "agents")
    assert item.labels == {"app": "agent"}
    assert item.is_local_config()  # any case of "true", as kpt reads it
    assert one("apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d}\n").group == "apps"


def test_result_references():
    item = one(CM)
    assert item.ref() == {"apiVersion": "v1", "kind": "ConfigMap", "name": "settings", "namespace": "agents"}
    assert item.file() == {"path": "pkg/settings.yaml", "index": 2}
    bare = one("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  annotations: {config.kubernetes.io/path: a.yaml}\n")
    assert bare.ref() == {"apiVersion": "v1", "kind": "ConfigMap", "name": ""}
    assert bare.file() == {"path": "a.yaml"}  # the legacy annotation, no index


def test_an_update_edits_the_text_and_the_identity_follows():
    item = one(CM)
    data = item.data
    item.update({**data, "metadata": {**data["metadata"], "labels": {"app": "agent", "managed": "yes"}}})
    assert item.labels == {"app": "agent", "managed": "yes"}
    expected = CM.rstrip("\n").replace("labels: {app: agent}", "labels:\n    app: agent\n    managed: 'yes'")
    assert item.body().rstrip("\n") == expected
    assert item.data["data"] == {"on": "yes"}


def test_an_update_to_the_same_data_changes_nothing():
    item = one(CM)
    item.update(dict(item.data))
    assert item.new_body is None and item.body() == CM.rstrip("\n")


def test_a_generated_item_is_rendered_from_data_and_updated_as_data():
    item = Item.from_data({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"}})
    assert item.generated and item.body() == "apiVersion: v1\nkind: Service\nmetadata:\n  name: s"
    item.update({"apiVersion": "v1", "kind": "Service", "metadata": {"name": "t"}})
    assert item.name == "t" and item.body().endswith("name: t")


def test_an_item_that_cannot_be_edited_in_place_says_so():
    item = one("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: m}\nx: &d {a: '1'}\ndata:\n  <<: *d  # merged\n")
    assert item.data["data"] == {"a": "1"}
    note = item.update({**item.data, "data": {"a": "1", "b": "2"}})
    assert "without its comments" in note
    assert one(item.body()).data["data"] == {"a": "1", "b": "2"}


def test_a_child_of_a_list_in_a_flow_sequence_is_written_in_flow_style():
    parsed = reader.read("apiVersion: v1\nkind: List\nitems: [{apiVersion: v1, kind: A, metadata: {name: a}},\n"
                         "  {apiVersion: v1, kind: B, metadata: {name: b}}]\n", plain=True)
    the_list = parsed.items[0]
    child = the_list.children[1]
    child.update({**child.data, "spec": {"on": "yes"}})
    assert the_list.body() == ("apiVersion: v1\nkind: List\nitems: [{apiVersion: v1, kind: A, metadata: {name: a}},\n"
                               "  {apiVersion: v1, kind: B, metadata: {name: b}, spec: {'on': 'yes'}}]")
    assert the_list.data["items"][1]["spec"] == {"on": "yes"}
