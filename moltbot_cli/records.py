"""Value classes declared as dataclasses are, without their cost at start-up.

`@dataclass` writes the source of an `__init__`, `__repr__` and `__eq__` for each class
(three more when frozen) and compiles it as the module is imported: about 0.7 ms a
class on a laptop, more on a busy machine. A one-shot chat imports some thirty of them,
a tenth of its whole run. A `Record` is declared the same way (annotated fields,
defaults, `field(default_factory=...)`, `frozen=True`, `__post_init__`) and behaves the
same, but its methods are shared by every record, written once; `replace` and `fields`
do what dataclasses' do. Type checkers read records as dataclasses (PEP 681).

Only what moltbot's records use is supported: no inheritance between records, no
`init=False`, no ordering. `tests/test_records.py` holds it to dataclasses' behaviour.
"""

from __future__ import annotations

import inspect
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

if TYPE_CHECKING:
    from typing_extensions import dataclass_transform
elif sys.version_info >= (3, 11):
    from typing import dataclass_transform
else:  # Python 3.10 runs records the same; only type checkers read the marker

    def dataclass_transform(**_: Any) -> Callable[[Any], Any]:
        return lambda cls: cls


R = TypeVar("R", bound="Record")


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


class Field:
    """One field of a record: its name, default (or factory) and whether repr shows it."""

    __slots__ = ("default", "default_factory", "name", "repr")

    def __init__(self, default: Any, default_factory: Any, repr: bool) -> None:
        self.name = ""
        self.default = default
        self.default_factory = default_factory
        self.repr = repr

    def __repr__(self) -> str:
        return f"Field({self.name!r})"


def field(
    *, default: Any = MISSING, default_factory: Callable[[], Any] = MISSING, repr: bool = True
) -> Any:
    """A field's default, or a factory making one per instance (a list, a dict...)."""
    if default is not MISSING and default_factory is not MISSING:
        raise ValueError("cannot give both default and default_factory")
    return Field(default, default_factory, repr)


@dataclass_transform(field_specifiers=(field,))
class Record:
    """Subclass with `class Name(Record):` or `class Name(Record, frozen=True):`."""

    __record_fields__: ClassVar[tuple[Field, ...]] = ()

    def __init_subclass__(cls, *, frozen: bool = False, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        specs: list[Field] = []
        defaulted = False
        for name, annotation in inspect.get_annotations(cls).items():
            if str(annotation).startswith(("ClassVar", "typing.ClassVar")):
                continue
            value = cls.__dict__.get(name, MISSING)
            spec = value if isinstance(value, Field) else Field(value, MISSING, True)
            spec.name = name
            if spec.default is MISSING and spec.default_factory is MISSING:
                if defaulted:
                    raise TypeError(f"non-default argument {name!r} follows default argument")
            else:
                defaulted = True
            # As dataclasses leave it: the class attribute is the plain default, if any.
            if spec.default is not MISSING:
                setattr(cls, name, spec.default)
            elif name in cls.__dict__:
                delattr(cls, name)
            specs.append(spec)
        cls.__record_fields__ = tuple(specs)
        if frozen:
            cls.__setattr__ = _refuse_setattr  # type: ignore[method-assign,assignment]
            cls.__delattr__ = _refuse_delattr  # type: ignore[method-assign,assignment]
            cls.__hash__ = _hash  # type: ignore[method-assign,assignment]
        else:
            cls.__hash__ = None  # type: ignore[assignment]  # as dataclasses: eq, not frozen

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        specs = self.__record_fields__
        if len(args) > len(specs):
            raise TypeError(
                f"{type(self).__name__}() takes {len(specs)} positional arguments "
                f"but {len(args)} were given"
            )
        assign = object.__setattr__
        for spec, value in zip(specs, args, strict=False):  # fewer args: defaults below
            if spec.name in kwargs:
                raise TypeError(
                    f"{type(self).__name__}() got multiple values for argument {spec.name!r}"
                )
            assign(self, spec.name, value)
        for spec in specs[len(args) :]:
            name = spec.name
            if name in kwargs:
                value = kwargs.pop(name)
            elif spec.default is not MISSING:
                value = spec.default
            elif spec.default_factory is not MISSING:
                value = spec.default_factory()
            else:
                raise TypeError(f"{type(self).__name__}() missing required argument: {name!r}")
            assign(self, name, value)
        if kwargs:
            unknown = ", ".join(repr(name) for name in kwargs)
            raise TypeError(f"{type(self).__name__}() got unexpected keyword arguments: {unknown}")
        post_init = getattr(self, "__post_init__", None)
        if post_init is not None:
            post_init()

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{spec.name}={getattr(self, spec.name)!r}"
            for spec in self.__record_fields__
            if spec.repr
        )
        return f"{type(self).__qualname__}({shown})"

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return _values(self) == _values(other)


def _values(record: Record) -> tuple[Any, ...]:
    return tuple(getattr(record, spec.name) for spec in record.__record_fields__)


def _hash(self: Record) -> int:
    return hash(_values(self))


def _refuse_setattr(self: Record, name: str, value: Any) -> None:
    from dataclasses import FrozenInstanceError  # the error dataclasses raise (an AttributeError)

    raise FrozenInstanceError(f"cannot assign to field {name!r}")


def _refuse_delattr(self: Record, name: str) -> None:
    from dataclasses import FrozenInstanceError

    raise FrozenInstanceError(f"cannot delete field {name!r}")


def fields(record: Record | type[Record]) -> tuple[Field, ...]:
    return record.__record_fields__


def replace(record: R, /, **changes: Any) -> R:
    """A new record like `record`, with `changes` (its `__post_init__` runs again)."""
    values = {spec.name: getattr(record, spec.name) for spec in record.__record_fields__}
    values.update(changes)
    return type(record)(**values)
