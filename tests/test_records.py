"""Records (moltbot_cli/records.py) behave as the dataclasses they replace."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from moltbot_cli.records import Record, field, fields, replace


class Point(Record, frozen=True):
    x: int
    y: int = 0
    tags: list[str] = field(default_factory=list)
    hidden: str | None = field(default=None, repr=False)


@dataclasses.dataclass(frozen=True)
class PointDC:
    x: int
    y: int = 0
    tags: list[str] = dataclasses.field(default_factory=list)
    hidden: str | None = dataclasses.field(default=None, repr=False)


class Pair(Record, frozen=True):
    left: str
    right: str = ""


class Counter(Record):
    name: str
    seen: int = 0
    log: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.log.append(f"made {self.name}")


@pytest.mark.parametrize(
    ("args", "kwargs"),
    [((1,), {}), ((1, 2), {}), ((), {"x": 3, "tags": ["a"]}), ((4,), {"hidden": "s", "y": 5})],
)
def test_construction_repr_and_equality_match_dataclasses(
    args: tuple[Any, ...], kwargs: dict[str, Any]
) -> None:
    record, reference = Point(*args, **kwargs), PointDC(*args, **kwargs)
    assert repr(record).replace("Point(", "PointDC(", 1) == repr(reference)
    assert [getattr(record, spec.name) for spec in fields(record)] == [
        getattr(reference, spec.name) for spec in dataclasses.fields(reference)
    ]
    assert record == Point(*args, **kwargs)
    with pytest.raises(TypeError):  # a list field: no hash, as with dataclasses
        hash(record)
    with pytest.raises(TypeError):
        hash(reference)
    assert record != reference  # another class is never equal, as with dataclasses


def test_defaults_and_factories() -> None:
    first, second = Point(1), Point(2)
    assert first.tags == [] and first.tags is not second.tags
    assert Point.y == 0  # the class attribute is the plain default, as dataclasses leave it
    assert not hasattr(Point, "tags")


def test_frozen_records_refuse_changes_and_hash() -> None:
    pair = Pair("a", "b")
    with pytest.raises(dataclasses.FrozenInstanceError):
        pair.left = "c"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        del pair.right  # type: ignore[misc]
    assert {pair: "found"}[Pair("a", "b")] == "found"
    assert hash(pair) != hash(Pair("a"))


def test_mutable_records_change_and_are_not_hashable() -> None:
    counter = Counter("a")
    counter.seen += 1
    assert counter.seen == 1
    with pytest.raises(TypeError):
        hash(counter)


def test_post_init_runs_on_construction_and_replace() -> None:
    counter = Counter("a")
    assert counter.log == ["made a"]
    again = replace(counter, name="b")
    assert again.name == "b" and again.seen == 0 and again.log == ["made a", "made b"]


def test_replace_makes_a_new_record_with_the_changes() -> None:
    point = Point(1, tags=["t"])
    moved = replace(point, y=9)
    assert (moved.x, moved.y, moved.tags) == (1, 9, ["t"])
    assert point.y == 0


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: Point(), "missing required argument: 'x'"),
        (lambda: Point(1, 2, [], None, 5), "takes 4 positional arguments but 5 were given"),
        (lambda: Point(1, x=2), "got multiple values for argument 'x'"),
        (lambda: Point(1, z=2), "unexpected keyword arguments: 'z'"),
    ],
)
def test_wrong_calls_fail_as_a_function_call_would(call: Any, message: str) -> None:
    with pytest.raises(TypeError, match=message):
        call()


def test_a_field_without_default_after_one_with_is_refused() -> None:
    with pytest.raises(TypeError, match="non-default argument 'b' follows default argument"):

        class Broken(Record):
            a: int = 0
            b: int
