"""`record` builds the same objects as `dataclass(frozen=True)`, by another `__init__`."""

from __future__ import annotations

import dataclasses
import pickle
from dataclasses import dataclass, field

import pytest

from sidecarlint.records import record


def _declare(name: str, decorator):
    class Example:
        name: str
        count: int = 0
        tags: list = field(default_factory=list)
        memo: dict = field(default_factory=dict, init=False, repr=False, compare=False)
        note: str | None = field(default=None, kw_only=True)

        def __post_init__(self) -> None:
            if self.count < 0:
                raise ValueError("count must not be negative")

    Example.__name__ = Example.__qualname__ = name  # found by that name, for pickle
    return decorator(Example)


Fast = _declare("Fast", record)
Plain = _declare("Plain", dataclass(frozen=True))

CALLS = [
    (("a",), {}),
    (("a", 2), {}),
    (("a", 2, ["x"]), {}),
    ((), {"name": "a", "tags": ["y"], "note": "n"}),
    (("a",), {"count": 3, "note": None}),
]


def _state(instance) -> dict:
    return dict(vars(instance))


@pytest.mark.parametrize("args, kwargs", CALLS)
def test_same_fields_equality_and_repr(args, kwargs):
    fast, plain = Fast(*args, **kwargs), Plain(*args, **kwargs)
    assert _state(fast) == _state(plain)
    assert repr(fast).replace("Fast", "") == repr(plain).replace("Plain", "")
    assert fast == Fast(*args, **kwargs)


def test_factories_make_a_new_value_for_every_instance():
    first, second = Fast("a"), Fast("b")
    assert first.tags == [] and first.tags is not second.tags
    assert first.memo == {} and first.memo is not second.memo


@pytest.mark.parametrize(
    "args, kwargs",
    [((), {}), (("a", 1, [], "n"), {}), (("a",), {"memo": {}}), (("a",), {"unknown": 1}), (("a",), {"name": "b"})],
)
def test_the_same_calls_are_refused(args, kwargs):
    with pytest.raises(TypeError):
        Plain(*args, **kwargs)
    with pytest.raises(TypeError):
        Fast(*args, **kwargs)


def test_post_init_still_runs():
    with pytest.raises(ValueError):
        Fast("a", -1)


def test_still_frozen_and_a_dataclass():
    fast = Fast("a")
    with pytest.raises(dataclasses.FrozenInstanceError):
        fast.name = "b"  # type: ignore[misc]
    assert dataclasses.is_dataclass(fast)
    assert dataclasses.replace(fast, count=5) == Fast("a", 5)
    assert pickle.loads(pickle.dumps(fast)) == fast


def test_ordering_when_asked():
    @record(order=True)
    class Place:
        line: int
        column: int

    assert sorted([Place(2, 1), Place(1, 9), Place(1, 2)]) == [Place(1, 2), Place(1, 9), Place(2, 1)]
    assert hash(Place(1, 2)) == hash(Place(1, 2)) and len({Place(1, 2), Place(1, 2), Place(2, 1)}) == 2
