"""`record`: a frozen dataclass that is cheap to build.

A run builds hundreds of thousands of small immutable objects: a pod view and its
containers for every pod, an object for every manifest, a span, a violation and a finding
for every problem. `dataclasses` gives a frozen class an `__init__` that stores each field
through `object.__setattr__` (its own `__setattr__` refuses), a call per field, which
makes building one cost about three times what storing into the instance's `__dict__`
does. `record` is `dataclass(frozen=True)` with such an `__init__`: same fields, defaults,
equality, hash, repr, ordering and immutability.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Callable, TypeVar

T = TypeVar("T")

_NO_VALUE = object()  # an argument left out, where a field's default comes from a factory


def record(cls: type[T] | None = None, /, **options: Any) -> Any:
    """`@record` or `@record(order=True)`: `dataclass(frozen=True, **options)`, built fast."""

    def wrap(cls: type[T]) -> type[T]:
        cls = dataclasses.dataclass(frozen=True, **options)(cls)
        cls.__init__ = _storing_init(cls)  # type: ignore[misc]
        return cls

    return wrap if cls is None else wrap(cls)


def _storing_init(cls: type) -> Callable[..., None]:
    """An `__init__` taking what the dataclass's own takes and storing into `__dict__`."""
    names: dict[str, Any] = {"_NO_VALUE": _NO_VALUE}
    positional: list[str] = []
    keyword_only: list[str] = []
    body: list[str] = []
    for field in dataclasses.fields(cls):
        name = field.name
        has_factory = field.default_factory is not dataclasses.MISSING
        if has_factory:
            names[f"_factory_{name}"] = field.default_factory
        if field.init:
            if field.default is not dataclasses.MISSING:
                names[f"_default_{name}"] = field.default
                parameter = f"{name}=_default_{name}"
            elif has_factory:
                parameter = f"{name}=_NO_VALUE"
                body.append(f"if {name} is _NO_VALUE: {name} = _factory_{name}()")
            else:
                parameter = name
            (keyword_only if field.kw_only else positional).append(parameter)
            body.append(f"values[{name!r}] = {name}")
        elif has_factory:
            body.append(f"values[{name!r}] = _factory_{name}()")
        elif field.default is not dataclasses.MISSING:
            names[f"_default_{name}"] = field.default
            body.append(f"values[{name!r}] = _default_{name}")
    if hasattr(cls, "__post_init__"):
        body.append("self.__post_init__()")
    parameters = ", ".join(["self", *positional, *(["*", *keyword_only] if keyword_only else [])])
    lines = "\n    ".join(["values = self.__dict__", *body])
    namespace: dict[str, Any] = {}
    exec(f"def __init__({parameters}):\n    {lines}\n", names, namespace)  # as dataclasses does
    function = namespace["__init__"]
    function.__qualname__ = f"{cls.__qualname__}.__init__"
    function.__module__ = cls.__module__
    return function
