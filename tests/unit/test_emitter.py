"""The direct block writer (krm/emitter.py) against the real emitter: for any
plain data, `yamlio.dump` writes exactly the bytes PyYAML's representer and
libyaml's emitter write (`yamlio._dump`), and those read back as the data."""

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from pipelock_companion import runner
from pipelock_companion.krm import emitter, yamlio

import kpt_packages

# Texts where the style is easy to get wrong: YAML 1.1 and 1.2 look-alikes,
# indicators first, last and in the middle, spaces and line breaks at the
# edges, characters libyaml will not write plain, long keys.
TRICKY = [
    "", " ", "  ", "a", "on", "off", "yes", "No", "y", "n", "~", "null", "Null", "true", "FALSE", "0", "0644", "1:20",
    "0o17", "0x1F", "1e3", "1.5", ".5", "-1", "+1", ".inf", "-.Inf", ".nan", "2026-01-01", "=", "<<", "!", "&", "*",
    "-", "--", "---", "---x", "...", "....", ".x", "-x", "- x", "-.5", "?", "?x", "? x", ":", ":x", ": x", "x:", "x: y",
    "x:y", "http://a:8080/p?q=1&r=2", "#", "#x", "x #y", "x#y", "a b", "a  b", " a", "a ", "a,b", "[a]", "{a}", "a[0]",
    "@x", "x@y", "`x`", "%x", "|", ">", "'", "''", "a'b", '"', 'a"b', "\\", "a\\b", "\t", "a\tb", "\x7f", "\x85",
    "\u2028", "\ufeff", "é", "日本", "😀", "\x00", "\r", "a\rb",
    "\n", "\n\n", "a\n", "a\n\n", "a\nb", "a\nb\n", "\na", " a\nb", "a \nb", "a\n b", "a\n\n\nb", "a\n \nb", "a\nb ",
    "line one\n  indented\n\n# not a comment\n", "k: v\n- x\n", "x" * 130, "a" * 127 + ":",
    "a  b", "a : b", "x ?", "- -", "-- x", "?-", ":-", "a\n\tb", "a\n\n", "a \nb\n", "--config", "::/0",
]

scalars = st.one_of(
    st.sampled_from(TRICKY),
    st.text(alphabet=st.sampled_from(list("ab -:#.'\"\n\t0:,[]{}é?!&*|>%@`~=<")), max_size=12),
    st.text(max_size=8),
    st.integers(min_value=-(10 ** 20), max_value=10 ** 20),
    st.booleans(),
    st.none(),
    st.floats(allow_nan=True, allow_infinity=True),
)
keys = st.one_of(st.sampled_from(TRICKY), st.text(max_size=10), st.sampled_from(["name", "image", "env", "value"]))
data = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                     st.dictionaries(keys, inner, max_size=4)), max_leaves=25)


def assert_same(value):
    fast = yamlio.dump(value)
    assert fast == yamlio._dump(value)
    return fast


@settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.dictionaries(keys, data, min_size=1, max_size=5), st.lists(data, min_size=1, max_size=5)))
@example({"a": {"b": "line1\nline2\n", "c": ["x\ny", "z"]}, "d": [[["q"]], {}, [], {"e": [{"f": "\n\n"}]}]})
def test_the_same_bytes_as_the_real_emitter(value):
    assert_same(value)


def test_every_tricky_text_as_a_value_a_key_and_a_list_entry():
    for text in TRICKY:
        for value in ({"k": text}, {text: "v"}, [text], {"a": [{"b": text}]}, [[text, 1]], {"a": {"b": {"c": text}}}):
            assert_same(value)


def _outputs():
    """The items of the function's output on every test case and example package."""
    items = []
    for folder in kpt_packages.packages(kpt_packages.CASES) + kpt_packages.packages(kpt_packages.EXAMPLES):
        out, _, _ = runner.process(kpt_packages.resource_list(folder).encode())
        doc = yaml.load(out, Loader=yaml.CSafeLoader)
        items += [item for item in doc.get("items") or [] if isinstance(item, dict)]
    return items


def test_the_objects_the_function_writes():
    # Every object of the output on every test case and example, written
    # again, the same bytes: the shapes the function writes. Counted, not
    # timed: the scalars of the generated objects are ones the direct writer
    # decides itself (the real emitter would be asked once and remembered).
    asked = []

    def exact(value):
        asked.append(value)
        return yamlio._dump(value)

    writer = emitter.BlockWriter(exact, yamlio._typed)
    items = _outputs()
    companions = [i for i in items if isinstance(i, dict) and isinstance(i.get("metadata"), dict)
                  and (i["metadata"].get("labels") or {}).get("app.kubernetes.io/managed-by") == "pipelock-companion"]
    assert len(companions) > 100
    for item in companions:
        assert writer.write(item) == yamlio._dump(item)
    assert len(asked) <= 2, asked
    for item in items:
        assert_same(item)


@pytest.mark.parametrize("unusual", [{}, [], "text", {1: "a"}, {"k": (1, 2)}, {"multi\nline": 1}, {"x" * 200: 1},
                                     {"k": "a\u2028b"}])
def test_what_it_leaves_to_the_real_emitter(unusual):
    writer = emitter.BlockWriter(yamlio._dump, yamlio._typed)
    with pytest.raises(emitter.Unusual):
        writer.write(unusual)
    assert yamlio.dump(unusual) == yamlio._dump(unusual)
