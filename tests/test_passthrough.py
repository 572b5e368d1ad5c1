"""Items the function does not select come out byte for byte, whatever they hold.

Each test builds a ResourceList (or a stream) holding one selected agent
workload, so the function really runs, and the items under test; it then
finds each item's text in the output and compares the bytes. An item's
text is everything from its first key to the end of its last line,
including comment lines below it indented as deep as its keys (a comment at
the column of the `- ` is the next item's head comment, and is compared as
such).
"""

import subprocess

import pytest
import yaml

from conftest import AGENT_ITEM, function_command

HEADER = "apiVersion: config.kubernetes.io/v1\nkind: ResourceList\nitems:\n"

AGENT = AGENT_ITEM


def run(text, args=(), timeout=120):
    proc = subprocess.run([function_command(), *args], input=text.encode("utf-8"), capture_output=True,
                          timeout=timeout)
    out, err = proc.stdout.decode("utf-8"), proc.stderr.decode("utf-8")
    assert "Traceback" not in err and "internal error" not in out, err
    assert proc.returncode == 0, err
    return out


def assert_passed_through(items, layout=None):
    """Run a ResourceList of `items` (item texts, `- ` and all) plus the
    agent; every item's text must be in the output, in order, exactly once."""
    text = layout(items) if layout else HEADER + AGENT + "".join(items)
    out = run(text)
    assert "agent-pipelock" in out, "the agent workload was not processed"
    position = 0
    for item in items:
        found = out.find(item, position)
        assert found >= 0, f"item not found unchanged in the output:\n{item[:3000]}\n--- output ---\n{out[:6000]}"
        assert out.count(item) == text.count(item)
        position = found + len(item)
    return out


def item(name, body, kind="ConfigMap", api_version="v1"):
    return f"- apiVersion: {api_version}\n  kind: {kind}\n  metadata:\n    name: {name}\n{body}"


# --- custom resources and kinds the function reads but does not change -----

def test_custom_resources():
    items = [
        item("db", '  spec:\n    engine: postgres\n    version: "16"\n    storage: {size: 10Gi, class: fast}\n'
                   "    users:\n    - name: app\n      roles: [read, write]\n", kind="Database",
             api_version="db.example.com/v1beta2"),
        item("route", "  spec:\n    parentRefs: [{name: gw}]\n    rules:\n"
                      "    - matches:\n      - path: {type: PathPrefix, value: /}\n",
             kind="HTTPRoute", api_version="gateway.networking.k8s.io/v1"),
        item("no-spec", "  status: {}\n", kind="Empty", api_version="x.example.com/v1"),
    ]
    assert_passed_through(items)


def test_kinds_the_function_reads_pass_through():
    # NetworkPolicies are read by the boundary check, a Deployment that is
    # not opted in is looked at by selection, local config is skipped:
    # none of them may change.
    items = [
        item("deny-all", "    namespace: other\n  spec:\n    podSelector: {}\n    policyTypes: [Ingress, Egress]\n",
             kind="NetworkPolicy", api_version="networking.k8s.io/v1"),
        item("web", "    namespace: agents\n  spec:\n    selector:\n      matchLabels: {app: web}\n    template:\n"
                    "      metadata: {labels: {app: web}}\n      spec:\n"
                    "        containers: [{name: web, image: nginx}]\n",
             kind="Deployment", api_version="apps/v1"),
        item("opted-out", '    annotations:\n      pipelock.dev/inject: "false"\n  spec:\n    template:\n'
                          "      metadata: {labels: {app: x}}\n      spec: {containers: [{name: x, image: x}]}\n",
             kind="Deployment", api_version="apps/v1"),
        item("kptfile", '    annotations:\n      config.kubernetes.io/local-config: "true"\n  pipeline: {}\n',
             kind="Kptfile", api_version="kpt.dev/v1"),
    ]
    assert_passed_through(items)


# --- block scalars -------------------------------------------------------------

CHOMPING = {
    "literal clip": "    v: |\n      line 1\n        indented\n      line 3\n",
    "literal keep": "    v: |+\n      kept\n\n\n",
    "literal strip": "    v: |-\n      stripped\n",
    "folded clip": "    v: >\n      folded\n      text\n\n      para\n",
    "folded keep": "    v: >+\n      folded kept\n\n",
    "folded strip": "    v: >-\n      folded\n      stripped\n",
    "indentation indicator": "    v: |2\n        starts with spaces\n      back\n",
    "indicator and chomping": "    v: >2-\n        deep\n",
    "header comment": "    v: | # a comment on the header\n      text\n",
    "empty": "    v: |\n",
    "trailing spaces kept": "    v: |\n      spaces at the end   \n      and\ttabs\t\n",
}


@pytest.mark.parametrize("case", sorted(CHOMPING))
def test_block_scalars(case):
    # last in its item (where the end of a value is easiest to get wrong), and not last
    last = item("last", "  data:\n" + CHOMPING[case])
    middle = item("middle", "  data:\n" + CHOMPING[case] + "    after: x\n")
    assert_passed_through([last, middle, last.replace("name: last", "name: last-in-list")])


def test_block_scalar_with_keep_chomping_at_the_end_of_the_list():
    assert_passed_through([item("keep", "  data:\n    v: |+\n      a\n\n")])


def test_multiline_flow_and_quoted_scalars():
    body = ("  data:\n"
            "    plain: this plain scalar\n      goes on over\n      three lines\n"
            "    single: 'it''s\n      two lines'\n"
            '    double: "escapes \\t \\" \\u00e9 \\\n      continued"\n')
    assert_passed_through([item("multi", body)])


# --- anchors, aliases, tags ---------------------------------------------------

def test_anchors_and_aliases_within_an_item():
    body = ("  data:\n"
            "    base: &base {a: 1, b: 2}\n"
            "    copy: *base\n"
            "    merged:\n      <<: *base\n      c: 3\n"
            "    list: &l [x, y]\n"
            "    again: *l\n"
            "    scalar: &s value\n"
            "    ref: *s\n")
    other = item("other", "  spec:\n    defaults: &d\n      replicas: 2\n"
                          "    a:\n      <<: *d\n    b:\n      <<: [*d]\n",
                 kind="Thing", api_version="x.example.com/v1")
    assert_passed_through([item("anchors", body), other])


def test_an_anchor_on_the_item_itself():
    anchored = "- &whole\n  apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: anchored\n"
    assert_passed_through([anchored])


def test_tags():
    body = ("  data:\n"
            "    str: !!str 0644\n"
            "    custom: !Ref some.Value\n"
            "    seq: !Custom [a, b]\n"
            "    binary: !!binary aGVsbG8=\n"
            "    verbatim: !<tag:example.com,2026:thing> x\n")
    assert_passed_through([item("tags", body)])


# --- comments -----------------------------------------------------------------

def test_comments_everywhere():
    heads = ["# head comment of the first item\n",
             "# head comment of the next item\n\n# after a blank line\n",
             ""]
    items = [
        ("- apiVersion: v1 # after apiVersion\n"
        "  # between keys\n"
        "  kind: ConfigMap\n"
        "  metadata:\n"
        "    # inside metadata\n"
        "    name: commented # after the name\n"
        "  data:\n"
        "    list:\n"
        "    # before an entry\n"
        "    - a # after an entry\n"
        "    -   b\n"
        "    flow: [a, # inside a flow sequence\n"
        "      b]\n"
        "    key: value # on the last line\n"
        "    # below the last line, as deep as the data\n"
        "  # below, as deep as the item's keys\n"),
        "- apiVersion: v1\n  kind: ConfigMap\n  metadata: {name: flow}   # after a flow mapping\n",
        ('- apiVersion: v1\n  kind: Secret\n  metadata:\n    name: last\n  stringData:\n    a: "#not a comment"\n'
         "    b: 'neither # is this'\n    c: nor#this\n    # last comment of the list\n"),
    ]
    out = assert_passed_through(
        items, layout=lambda items: HEADER + AGENT + "".join(map("".join, zip(heads, items, strict=True))))
    # head comments are kept too, with the blank lines between them
    assert "# head comment of the first item\n- apiVersion: v1 # after apiVersion\n" in out
    assert "# head comment of the next item\n\n# after a blank line\n- apiVersion: v1\n" in out


def test_the_patched_workload_keeps_every_line_it_had():
    """The selected agent too: the function adds lines, and each line it had
    (comments with their spacing, flow style, quoting, YAML 1.1 look-alikes)
    is still there, in order, byte for byte. This runs the command directly:
    kpt re-spaces inline comments before a function sees them
    (tests/cases/tricky-scalars)."""
    agent = ("- apiVersion: apps/v1\n  kind: Deployment\n  metadata:\n    name: agent\n    namespace: agents\n"
             '    annotations:\n      pipelock.dev/inject: "true"   # opt in\n'
             "  spec:\n    selector:\n      matchLabels: {app: agent}\n    template:\n"
             "      metadata:\n        labels: {app: agent}   # flow style stays\n      spec:\n"
             "        containers:\n        - name: agent\n          image: example.com/agent:1.0.0\n"
             '          args: [--verbose, on, "0644"]   # flow style stays\n'
             "          env:\n          - name: STRICT\n            value: NO\n"
             "          - name: UMASK\n            value: '0022'   # quoted\n")
    out = run(HEADER + agent)
    lines = iter(out.split("\n"))
    for line in agent.rstrip("\n").split("\n"):
        assert line in lines, f"{line!r} is not in the output, in order:\n{out[:4000]}"
    assert "pipelock.dev/proxy-name: agent-pipelock" in out


def test_comments_before_the_function_config_stay_with_the_last_item():
    last = item("last", "  data:\n    a: b\n    # about a\n")
    text = HEADER + AGENT + last + "functionConfig:\n  apiVersion: v1\n  kind: ConfigMap\n  metadata:\n    name: fn\n"
    assert last in run(text)


# --- unicode and long strings ---------------------------------------------------

def test_unicode():
    body = ("  data:\n"
            '    emoji: "🎉 party 🚀"\n'
            "    zwj: 👩‍👩‍👧 family\n"
            "    cjk: 漢字とかな、한국어\n"
            "    rtl: שלום עולם — مرحبا بالعالم\n"
            "    combining: e\u0301 n\u0303\n"
            "    astral: 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 𝟘𝟙\n"
            '    escaped: "\\u263A \\U0001F600"\n'
            "    键: 值 # 注释\n"
            "    multi: |\n      第一行\n      🎉 second\n")
    items = [item("unicode-é", body), item("after-unicode", "  data: {k: v}\n")]
    assert_passed_through(items)


@pytest.mark.parametrize("style", ["plain", "double-quoted", "literal", "folded"])
def test_one_megabyte_strings(style):
    chunk = "0123456789abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ é漢🎉 "
    big = (chunk * (1_048_576 // len(chunk) + 1))[:1_048_576].strip()
    if style == "plain":
        value = "    big: " + big + "\n"
    elif style == "double-quoted":
        value = '    big: "' + big + '"\n'
    elif style == "literal":
        value = "    big: |\n" + "".join("      " + big[i:i + 100].strip() + "\n" for i in range(0, len(big), 100))
    else:
        value = "    big: >-\n" + "".join("      " + big[i:i + 100].strip() + "\n" for i in range(0, len(big), 100))
    assert_passed_through([item("big", "  data:\n" + value), item("after-big", "  data: {k: v}\n")])


# --- scalars YAML 1.1 reads differently ----------------------------------------

AMBIGUOUS = ["on", "off", "yes", "no", "y", "n", "Y", "N", "NO", "Yes", "True", "FALSE", "0644", "0o644", "0x1F",
             "012", "1:20", "190:20:30", "1_000", "2026-01-01", "2026-01-01T10:00:00Z", "~", "null", "Null", "",
             ".inf", "-.Inf", ".NaN", "1e3", "+12", "-0", "0.", ".5", "=", "<<"]


def test_yaml_1_1_ambiguous_scalars_quoted_and_unquoted():
    lines = []
    for i, value in enumerate(AMBIGUOUS):
        if value not in ("<<", "="):
            lines.append(f"    plain{i}: {value}\n")
        lines.append(f"    single{i}: '{value}'\n")
        lines.append(f'    double{i}: "{value}"\n')
    keys = "".join(f"    {value or '? '}: key{i}\n" for i, value in enumerate(AMBIGUOUS)
                   if value not in ("", "<<", "~", "null", "Null"))
    assert_passed_through([item("scalars", "  data:\n" + "".join(lines)), item("keys", "  spec:\n" + keys,
                                                                            kind="Thing", api_version="x/v1")])


def test_numbers_in_places_kubernetes_types():
    body = ("  spec:\n    replicas: 03\n    ports:\n    - port: 0x50\n      targetPort: 1_000\n"
            "    defaultMode: 0644\n    ratio: 1e-3\n    big: 123456789012345678901234567890\n")
    assert_passed_through([item("numbers", body, kind="Thing", api_version="x/v1")])


# --- layout of the list ------------------------------------------------------

def test_indented_list_and_wide_dashes():
    items = [("  - apiVersion: v1\n    kind: ConfigMap\n    metadata:\n      name: indented\n"
              "    data:\n      k: |\n        v\n")]
    agent = "\n".join("  " + line if line else line for line in AGENT.split("\n"))
    out = assert_passed_through(items, layout=lambda items: HEADER + agent.rstrip(" ") + "".join(items))
    assert "  - apiVersion: v1\n    kind: ConfigMap" in out


def test_four_space_indentation():
    four = "-   apiVersion: v1\n    kind: ConfigMap\n    metadata:\n        name: four\n    data:\n        k: v\n"
    out = run(HEADER + four)
    assert four in out


def test_items_with_their_own_space_after_the_dash():
    # Valid YAML: each entry may put its own spaces after the `-`. Each item
    # keeps its own (it was re-indented to the first item's).
    items = [("-   apiVersion: v1\n    kind: ConfigMap\n    metadata:\n      name: wide\n"
              "    data:\n      s: |\n        x\n"),
             "-  apiVersion: v1\n   kind: Secret\n   metadata: {name: three}\n"]
    assert_passed_through(items)


def test_flow_style_items():
    flow = ["- {apiVersion: v1, kind: ConfigMap, metadata: {name: flow}, data: {on: yes, n: 0644}}\n",
            "- {apiVersion: v1, kind: ConfigMap,\n   metadata: {name: multi-line-flow}}\n"]
    assert_passed_through(flow)


def test_a_flow_sequence_of_items():
    text = HEADER.replace("items:\n", "items: [{apiVersion: v1, kind: ConfigMap, metadata: {name: a}, data: {x: on}},\n"
                                      "  {apiVersion: v1, kind: ConfigMap, metadata: {name: b}}]\n")
    out = run(text)
    assert "{apiVersion: v1, kind: ConfigMap, metadata: {name: a}, data: {x: on}}" in out
    assert "{apiVersion: v1, kind: ConfigMap, metadata: {name: b}}" in out


def test_kpt_annotations_are_untouched():
    body = ("    annotations:\n"
            "      config.kubernetes.io/index: '0'\n"
            "      config.kubernetes.io/path: 'cm.yaml'\n"
            "      internal.config.kubernetes.io/index: '0'\n"
            "      internal.config.kubernetes.io/path: 'cm.yaml'\n"
            "      internal.config.kubernetes.io/seqindent: 'compact'\n"
            "      config.k8s.io/id: '7'\n")
    assert_passed_through([item("kpt", body)])


# --- plain streams -------------------------------------------------------------

def test_stream_documents_pass_through(tmp_path):
    config = tmp_path / "fn.yaml"
    config.write_text("apiVersion: fn.pipelock.dev/v1alpha1\nkind: CompanionProxy\nmetadata:\n  name: fn\n")
    docs = [
        ("# Source: chart/templates/cm.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a # c\ndata:\n"
         "  on: yes\n  script: |+\n    echo 🎉\n\n"),
        "apiVersion: v1\nkind: Secret\nmetadata: {name: b}\nstringData:\n  k: 0644\n# after the last line\n",
        "apiVersion: x/v1\nkind: Thing\nmetadata:\n  name: c\nspec:\n  base: &b {a: 1}\n  copy: *b\n",
    ]
    agent = "\n".join(line[2:] for line in AGENT.split("\n"))
    text = "---\n".join(docs) + "---\n" + agent
    out = run(text, ["--config", str(config)])
    position = 0
    for doc in docs:
        found = out.find(doc, position)
        assert found >= 0, f"document not found unchanged:\n{doc}\n--- output ---\n{out[:4000]}"
        position = found + len(doc)
    assert len(list(yaml.safe_load_all(out))) == len(docs) + 1 + 6
