"""YAML as kpt and kustomize read it: YAML 1.2 core schema, over libyaml.

PyYAML's defaults are YAML 1.1 (`on` is a bool, `0644` an octal int). This
module gives the two views the function needs, both 1.2-correct:

- `compose` + `to_data`: a node tree (key order, styles and source positions
  kept) and a plain-data view of it, for the few items the function reads;
- `dump`: text for objects the function writes, quoting every string that a
  YAML 1.1 *or* 1.2 reader would take for something else, so that kpt,
  kustomize and `kubectl apply` (YAML 1.1 rules) all read back a string.
"""

import binascii
import re

import yaml

from . import emitter

# For the type checker only: `typing` costs every run a few milliseconds of
# start, and annotations of local variables are never evaluated.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# Parser: the event parser the reader walks (and `compose` builds on).
try:  # the libyaml C extension; the pure-Python classes are the fallback
    from yaml import CSafeDumper as _BaseDumper
    from yaml._yaml import CParser as Parser
except ImportError:  # pragma: no cover - exercised only without libyaml
    from yaml import SafeDumper as _BaseDumper  # type: ignore[assignment]
    from yaml.composer import Composer
    from yaml.reader import Reader
    from yaml.scanner import Scanner

    class Parser(Reader, Scanner, yaml.parser.Parser, Composer):  # type: ignore[no-redef]
        def __init__(self, stream):
            Reader.__init__(self, stream)
            Scanner.__init__(self)
            yaml.parser.Parser.__init__(self)
            Composer.__init__(self)


STR = "tag:yaml.org,2002:str"
INT = "tag:yaml.org,2002:int"
FLOAT = "tag:yaml.org,2002:float"
BOOL = "tag:yaml.org,2002:bool"
NULL = "tag:yaml.org,2002:null"
MAP = "tag:yaml.org,2002:map"
SEQ = "tag:yaml.org,2002:seq"

class _Lazy:
    """A regular expression compiled when first needed, and asked only about
    texts ending in one of `last`: the float pattern takes longer to compile
    than most runs spend resolving floats, and `100m` or `128Mi`, which start
    like numbers, cannot be one."""

    __slots__ = ("pattern", "last", "compiled")

    def __init__(self, pattern, last):
        self.pattern = pattern
        self.last = last
        self.compiled = None

    def match(self, text):
        if text[-1:] not in self.last or not text:
            return None
        if self.compiled is None:
            self.compiled = re.compile(self.pattern)
        return self.compiled.match(text)


# The YAML 1.2 core schema, https://yaml.org/spec/1.2.2/#1032-tag-resolution
_CORE = (
    (NULL, re.compile(r"^(?:~|null|Null|NULL|)$"), "~nN"),
    (BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), "tTfF"),
    (INT, re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$"), "-+0123456789"),
    (
        FLOAT,
        _Lazy(r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
              r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$", last="0123456789.fFnN"),
        "-+.0123456789",
    ),
)


class Resolver12(yaml.resolver.BaseResolver):
    """Implicit tags by the YAML 1.2 core schema (what kyaml resolves).

    The composer asks for every node; BaseResolver's general answer (path
    resolvers, wildcard resolvers, a list built per scalar) cost more than
    libyaml's parsing of it. This one answers the same from a table by the
    first character, and has no path resolvers to descend into."""

    # This class's own table, filled below: PyYAML keeps it on the class (its
    # stubs declare an instance attribute, so no ClassVar).
    yaml_implicit_resolvers: dict = {}  # noqa: RUF012

    def resolve(self, kind, value, implicit):
        if kind is yaml.ScalarNode:
            if implicit[0]:
                for tag, regexp in self.yaml_implicit_resolvers.get(value[:1], ()):
                    if regexp.match(value):
                        return tag
            return STR
        return SEQ if kind is yaml.SequenceNode else MAP

    def descend_resolver(self, current_node, current_index):
        pass

    def ascend_resolver(self):
        pass


for _tag, _regexp, _first in _CORE:
    Resolver12.add_implicit_resolver(_tag, _regexp, list(_first))
Resolver12.yaml_implicit_resolvers.setdefault("", []).append((NULL, _CORE[0][1]))


class _Composer(Parser, Resolver12):
    def __init__(self, text):
        Parser.__init__(self, text)
        Resolver12.__init__(self)


class _RedefiningComposer(yaml.composer.Composer, Parser, Resolver12):
    """PyYAML's own composer, over the same events, where an anchor may be
    defined again (YAML 1.2: an alias refers to the latest definition)."""

    def __init__(self, text):
        Parser.__init__(self, text)
        yaml.composer.Composer.__init__(self)
        Resolver12.__init__(self)

    def compose_node(self, parent, index):
        event: Any = self.peek_event()  # a node's first event (PyYAML's stubs: any event, or None)
        if not isinstance(event, yaml.AliasEvent) and event.anchor is not None:
            self.anchors.pop(event.anchor, None)
        return super().compose_node(parent, index)


def compose(text):
    """The node tree of a one-document YAML text (raises yaml.YAMLError)."""
    try:
        return _Composer(text).get_single_node()
    except yaml.composer.ComposerError as err:
        if "duplicate anchor" not in str(err.context):
            raise
    return _RedefiningComposer(text).get_single_node()


_RESOLVER = Resolver12()

BINARY = "tag:yaml.org,2002:binary"
MERGE = "tag:yaml.org,2002:merge"
_YAML_TAGS = "tag:yaml.org,2002:"


class Unresolvable(ValueError):
    """A value that cannot be read as kubectl and kustomize read it: `why`,
    and where (`path`, e.g. `metadata.namespace`) when known."""

    def __init__(self, why, path=None):
        super().__init__(f"{path}: {why}" if path else why)
        self.why = why
        self.path = path
        self.item = None  # the item whose data it is, set by Item.data


def event_value(ev):
    """The plain-data value of a scalar event, as `scalar_value` gives a node's.
    A value that cannot be resolved reads as its text here: the reader takes
    the full path (`to_data`) for anything tagged."""
    value = ev.value
    if ev.tag is None and (not ev.implicit[0] or (value and value[0] not in TYPED_FIRST)):
        return value  # quoted, or plain and no core-schema type starts so: a string (most metadata)
    if ev.implicit[0] and not ev.tag:
        tag = _RESOLVER.resolve(yaml.ScalarNode, value, (True, False))
    elif ev.tag and ev.tag != "!":
        tag = ev.tag
    else:
        tag = STR
    try:
        return tagged_value(tag, value)
    except Unresolvable:
        return value


# The first characters of the plain scalars the 1.2 core schema may type (`_CORE`).
TYPED_FIRST = frozenset("".join(first for _, _, first in _CORE))


def scalar_value(node):
    """The plain-data value of one scalar node: implicit values by the 1.2
    core schema; explicit tags as go-yaml v3 (kustomize, kpt) reads them;
    raises Unresolvable for a value it would read otherwise or not at all."""
    return tagged_value(node.tag, node.value)


def tagged_value(tag, value):
    """scalar_value of a scalar with this tag and text (no node needed: the
    event walks read scalars by the ten thousand)."""
    if tag in (STR, "!", MERGE):  # a !!merge key is read where it stands (see to_data)
        return value
    if tag == NULL:
        return None
    if tag == BOOL:
        if value in ("true", "True", "TRUE", "false", "False", "FALSE"):
            return value in ("true", "True", "TRUE")
        raise Unresolvable(f"!!bool {value!r} is not true or false")
    if tag == INT:
        number = parse_int(value)
        if isinstance(number, int):
            return number
        raise Unresolvable(f"!!int {value!r} is not an integer")
    if tag == FLOAT:
        try:
            return float(value.replace(".", "", 1) if value.lstrip("+-").startswith(".") and value[-1:].isalpha()
                         else value)  # .inf, -.Inf, .NaN: Python spells them inf, -Inf, NaN
        except ValueError:
            raise Unresolvable(f"!!float {value!r} is not a number") from None
    if tag == BINARY:
        return _binary_text(value)
    if tag.startswith(_YAML_TAGS):
        # !!timestamp (kustomize rewrites it as RFC 3339), !!set, !!omap, ...
        raise Unresolvable(f"!!{tag[len(_YAML_TAGS):]} {value!r} is not read the same by every tool")
    return value  # custom tags (`!Ref x`): the text is what kustomize reads


def _binary_text(value):
    """A !!binary value as the text kustomize makes of it: its bytes, which
    must be UTF-8 text to be a string anything else reads the same."""
    try:
        raw = binascii.a2b_base64("".join(value.split()).encode("ascii"))
        return raw.decode("utf-8")
    except (ValueError, UnicodeError):
        raise Unresolvable("a !!binary value that is not base64 of UTF-8 text") from None


def parse_int(value):
    """An integer as kyaml reads it: 1.2 forms, and a leading 0 meaning octal
    (`defaultMode: 0440` is 288, as every Kubernetes user expects)."""
    sign = -1 if value.startswith("-") else 1
    digits = value.lstrip("+-")
    try:
        if digits.startswith("0o"):
            return sign * int(digits[2:], 8)
        if digits.startswith("0x"):
            return sign * int(digits[2:], 16)
        if len(digits) > 1 and digits.startswith("0") and digits.isdigit():
            return sign * int(digits, 8) if set(digits) <= set("01234567") else sign * int(digits)
        return sign * int(digits)
    except ValueError:
        return value


def scalar_end(text, start, end, style):
    """Where a scalar's own text ends. A block scalar's marks run past its
    final line break; with clip or strip chomping those breaks are not part
    of the value, with keep (`|+`) they are."""
    if style in ("|", ">"):
        header_end = text.find("\n", start)
        header = text[start:header_end if header_end >= 0 else end].split("#", 1)[0]
        if "+" not in header:
            while end > start and text[end - 1] == "\n":
                end -= 1
    return end


def key_text(node):
    """A mapping key as the string kyaml would use; complex keys by their text."""
    if isinstance(node, yaml.ScalarNode):
        if node.tag in (STR, INT, FLOAT, BOOL, NULL) or not node.tag.startswith(_YAML_TAGS):
            return node.value
        value = scalar_value(node)
        return value if isinstance(value, str) else node.value
    return repr(to_data(node))


def is_merge_key(node):
    """A `<<` key (or one tagged !!merge) whose value is merged into its mapping."""
    if not isinstance(node, yaml.ScalarNode) or node.value != "<<":
        return False
    if node.tag == MERGE or not node.style:  # plain: '' from libyaml, None from the pure-Python parser
        return True
    # kustomize drops a quoted "<<" key and what it holds; YAML 1.2 has it as a key
    raise Unresolvable('a quoted "<<" key (kustomize drops it; YAML reads it as a key)')


def to_data(node, keys=None, binary_kept=()):
    """Plain Python data (dict/list/str/int/float/bool/None) for a node tree,
    as go-yaml v3 (kustomize, kpt) reads it: aliases expanded, merge keys
    (`<<`) merged (a key of the mapping itself wins, then the earlier of the
    merged mappings), explicit tags resolved. Raises Unresolvable, naming
    the path, for a value that cannot be read as those tools read it.

    Keys are strings, as Kubernetes has them. Shared (aliased) nodes are
    converted once and shared in the result, so an alias never expands here.
    `keys`: of a mapping, convert only these keys' values. `binary_kept`:
    paths under which a !!binary value is unresolvable, because kustomize
    keeps its base64 text there (annotations) while kubectl decodes it.
    """
    if node is None:  # an empty text
        return None
    return _Conversion(node, keys, binary_kept).convert(node, "")


class _Conversion:
    """One `to_data`: its options and the nodes converted so far. (A class, not
    a closure that calls itself: that is a reference cycle, and it kept each
    node tree alive until the garbage collector came by.)"""

    __slots__ = ("root", "keys", "binary_kept", "memo")

    def __init__(self, root, keys, binary_kept):
        self.root = root
        self.keys = keys
        self.binary_kept = binary_kept
        self.memo = {}

    def convert(self, n, path):
        kept = self.binary_kept and path.startswith(self.binary_kept)
        known = None if kept else self.memo.get(id(n))
        if known is not None:
            return known
        try:
            if n.__class__ is yaml.ScalarNode:
                if kept and n.tag == BINARY:
                    raise Unresolvable("a !!binary value here is read as its base64 text by kustomize and "
                                       "decoded by kubectl")
                return tagged_value(n.tag, n.value)
            if n.tag not in (MAP, SEQ) and n.tag.startswith(_YAML_TAGS):
                raise Unresolvable(f"a {'mapping' if isinstance(n, yaml.MappingNode) else 'list'} tagged "
                                   f"!!{n.tag[len(_YAML_TAGS):]}")
        except Unresolvable as err:
            raise Unresolvable(err.why, path or None) from None
        if n.__class__ is yaml.MappingNode:
            return self.mapping(n, path)
        out = self.memo[id(n)] = []
        convert = self.convert
        out.extend(convert(v, f"{path}[{i}]") for i, v in enumerate(n.value))
        return out

    def mapping(self, n, path):
        out = self.memo[id(n)] = {}
        pairs = n.value
        keys = self.keys if n is self.root else None
        convert = self.convert
        if not any(k.value == "<<" for k, _ in pairs):  # no merge key: every key is the mapping's own
            try:
                names = [k.value if k.__class__ is yaml.ScalarNode and k.tag == STR else key_text(k) for k, _ in pairs]
            except Unresolvable as err:
                raise Unresolvable(err.why, path or None) from None
            for key, (_, v) in zip(names, pairs):  # noqa: B905 - one name per pair
                if keys is None or key in keys:
                    out[key] = convert(v, f"{path}.{key}" if path else key)
            return out
        try:
            own = {key_text(k) for k, _ in pairs if not is_merge_key(k)}
        except Unresolvable as err:
            raise Unresolvable(err.why, path or None) from None
        for k, v in pairs:
            if is_merge_key(k):
                for key, value in _merged(v, path, convert).items():
                    if key not in own and (keys is None or key in keys):
                        out.setdefault(key, value)
                continue
            key = key_text(k)
            if keys is None or key in keys:
                out[key] = convert(v, f"{path}.{key}" if path else key)
        return out


def copy_data(data, _memo=None):
    """A deep copy of plain data (as `to_data` gives it): what `copy.deepcopy`
    makes of it, a part shared in it (an alias) still shared in the copy,
    without importing `copy` (and `weakref`) into every run."""
    if data.__class__ is dict:
        memo = {} if _memo is None else _memo
        copied = memo.get(id(data))
        if copied is None:
            copied = memo[id(data)] = {}
            for key, value in data.items():
                copied[key] = copy_data(value, memo)
        return copied
    if data.__class__ is list:
        memo = {} if _memo is None else _memo
        copied = memo.get(id(data))
        if copied is None:
            copied = memo[id(data)] = []
            copied.extend(copy_data(value, memo) for value in data)
        return copied
    return data  # str, int, float, bool, None: immutable


def _merged(value, path, convert):
    """The keys a merge key brings: of one mapping, or of a list of them,
    the earlier one winning."""
    sources = value.value if isinstance(value, yaml.SequenceNode) else [value]
    out: dict[str, Any] = {}
    for source in sources:
        if not isinstance(source, yaml.MappingNode):
            raise Unresolvable("a merge key (<<) takes a mapping or a list of mappings", path or None)
        for key, item in convert(source, path).items():
            out.setdefault(key, item)
    return out


def is_plain_tree(node):
    """True when every node is reached once (no alias) and no mapping has a
    merge key: then the text maps one to one onto the data, and text edits
    are safe."""
    seen = set()
    stack = [node]
    while stack:
        n = stack.pop()
        if id(n) in seen:
            return False
        seen.add(id(n))
        if isinstance(n, yaml.MappingNode):
            for k, v in n.value:
                if isinstance(k, yaml.ScalarNode) and k.value == "<<":
                    return False
                stack.append(k)
                stack.append(v)
        elif isinstance(n, yaml.SequenceNode):
            stack.extend(n.value)
    return True


# --- writing ---------------------------------------------------------------

# Strings a YAML 1.2 reader would re-type but PyYAML's 1.1 resolver does not.
_ONLY_12 = _Lazy(r"^(?:0o[0-7]+|0x[0-9a-fA-F]+|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
                 last="0123456789abcdefABCDEFnN")  # the real emitter's, which most runs never use


class Dumper(_BaseDumper):
    """Block style, key order kept, strings quoted whenever any reader could re-type them."""

    def ignore_aliases(self, _data):
        # Generated objects share sub-dicts (selector labels); Kubernetes
        # manifests are written out in full, never with anchors.
        return True


Dumper.add_implicit_resolver(INT, _ONLY_12, list("0-+."))


def _represent_str(dumper, value):
    # Multi-line text (the Pipelock config, scripts) reads best as a literal block.
    style = "|" if "\n" in value else None
    return dumper.represent_scalar(STR, value, style=style)


Dumper.add_representer(str, _represent_str)


def dump(data, flow=False):
    """YAML text for plain data: one document, no document markers."""
    if not flow:
        try:
            return _BLOCK.write(data)
        except emitter.Unusual:
            pass
    return _dump(data, flow)


def _dump(data, flow=False):
    """`dump` by PyYAML's representer and libyaml's emitter."""
    text = yaml.dump(
        data,
        Dumper=Dumper,
        sort_keys=False,
        default_flow_style=flow,
        allow_unicode=True,
        width=1 << 30,
    )
    if text.endswith("\n...\n"):
        text = text[:-4]
    return text


def _typed(text):
    """Whether PyYAML's resolver, or a YAML 1.2 reader, reads this plain text as
    something other than a string (then `Dumper` quotes it)."""
    return any(match(text) for match in _TYPED_BY_FIRST.get(text[0], ()))


_TYPED_BY_FIRST = {first: tuple(regexp.match for _, regexp in resolvers)
                   for first, resolvers in Dumper.yaml_implicit_resolvers.items()}


_BLOCK = emitter.BlockWriter(_dump, _typed)


def serialize(node):
    """YAML text for a node tree: original scalars keep their text and style."""
    text = yaml.serialize(node, Dumper=Dumper, allow_unicode=True, width=1 << 30)
    if text.endswith("\n...\n"):
        text = text[:-4]
    return text


def represent(data):
    """A node tree for plain data, as `dump` would write it."""
    dumper = Dumper(None, sort_keys=False)  # type: ignore[arg-type]  # representing needs no stream
    return dumper.represent_data(data)
