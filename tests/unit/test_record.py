"""fn/settings/record.py: the frozen records the settings are made of."""

import pytest

from fn.settings.record import Record, fresh


class Point(Record):
    x: int
    y: int = 0
    tags: dict = fresh(factory=dict)


class Point3(Point):
    z: int = 5


def test_defaults_and_order():
    assert Point(1) == Point(x=1, y=0, tags={})
    assert Point(1, 2).y == 2
    assert Point3(1, z=7)._fields == ("x", "y", "tags", "z")
    assert repr(Point3(1)) == "Point3(x=1, y=0, tags={}, z=5)"


def test_a_fresh_default_is_not_shared():
    a, b = Point(1), Point(1)
    a.tags["k"] = "v"
    assert b.tags == {}


def test_frozen():
    p = Point(1)
    with pytest.raises(AttributeError, match="frozen"):
        p.x = 2
    with pytest.raises(AttributeError, match="frozen"):
        del p.x


@pytest.mark.parametrize(("args", "kwargs", "message"), [
    ((), {}, "missing x"),
    ((1,), {"w": 2}, "unknown w"),
    ((1,), {"x": 2}, "x given twice"),
    ((1, 2, {}, 4), {}, "4 values for 3 fields"),
])
def test_wrong_constructions(args, kwargs, message):
    with pytest.raises(TypeError, match=message):
        Point(*args, **kwargs)


def test_equality_and_hash_by_type_and_values():
    assert Point(1, 2) != Point(1, 3)
    assert Point(1) != Point3(1)
    assert hash(Point(1, 2, ())) == hash(Point(1, 2, ()))
