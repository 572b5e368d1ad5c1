"""Frozen records for the settings: fields declared as annotated class
attributes, their values the defaults (`fresh(...)` for a mutable one).

What the settings used of `dataclasses` (keyword construction, defaults,
frozen, equality, a readable repr), without its import: dataclasses pulls
in `inspect` (ast, dis, tokenize, ...) and compiles code for each class,
about a fifth of the function's start-up beside `import yaml`.

To the type checker a Record *is* a frozen dataclass (PEP 681's
`dataclass_transform`, seen only when type checking), so every
construction is checked against the fields as a dataclass's would be.
"""

TYPE_CHECKING = False  # `typing` for the type checker only: it costs every run's start
if TYPE_CHECKING:
    from typing_extensions import dataclass_transform
else:
    def dataclass_transform(**_options):
        return lambda cls: cls


class _Fresh:
    """A default made anew for each record (a dict must not be shared)."""

    __slots__ = ("make",)

    def __init__(self, make):
        self.make = make


def fresh(*, factory):
    """The default `factory()`, called for each record that does not give
    one (PEP 681's field specifier, as `field(default_factory=...)`).
    (Untyped on purpose: to a type checker it stands for any default.)"""
    return _Fresh(factory)


@dataclass_transform(frozen_default=True, field_specifiers=(fresh,))
class Record:
    """A frozen record. Subclasses declare fields as annotated class
    attributes; one without a value is required. Values are given by
    keyword, or in the order of the fields."""

    __slots__ = ()
    _fields: tuple = ()
    _defaults: dict = {}  # noqa: RUF012 - set per subclass, read only

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        own = tuple(cls.__annotations__)  # its own (Python >= 3.10), in the order written
        cls._fields = cls._fields + tuple(name for name in own if name not in cls._fields)
        cls._defaults = {**cls._defaults, **{name: cls.__dict__[name] for name in own if name in cls.__dict__}}

    def __init__(self, *args, **values):
        if len(args) > len(self._fields):
            raise TypeError(f"{type(self).__name__}: {len(args)} values for {len(self._fields)} fields")
        for name, value in zip(self._fields, args):  # noqa: B905 - fewer values than fields is fine
            if name in values:
                raise TypeError(f"{type(self).__name__}: {name} given twice")
            values[name] = value
        for name in self._fields:
            if name in values:
                value = values.pop(name)
            elif name in self._defaults:
                value = self._defaults[name]
                if isinstance(value, _Fresh):
                    value = value.make()
            else:
                raise TypeError(f"{type(self).__name__}: missing {name}")
            object.__setattr__(self, name, value)
        if values:
            raise TypeError(f"{type(self).__name__}: unknown {', '.join(sorted(values))}")

    def __setattr__(self, name, value):
        raise AttributeError(f"{type(self).__name__} is frozen: cannot set {name}")

    def __delattr__(self, name):
        raise AttributeError(f"{type(self).__name__} is frozen: cannot delete {name}")

    def _values(self):
        return tuple(getattr(self, name) for name in self._fields)

    def __eq__(self, other):
        return type(other) is type(self) and other._values() == self._values()

    def __hash__(self):
        return hash(self._values())

    def __repr__(self):
        return f"{type(self).__name__}({', '.join(f'{n}={getattr(self, n)!r}' for n in self._fields)})"
