"""A small named registry with helpful unknown-name errors and entry-point discovery."""

from __future__ import annotations

import difflib
from typing import Callable, Generic, Iterator, TypeVar

from segbench.errors import UnknownNameError

T = TypeVar("T")


class Registry(Generic[T]):
    """Maps names to objects (classes, builder functions, renderers).

    ``kind`` names what is registered ("dataset", "model", ...) for error messages;
    ``entry_point_group`` (optional) lets third-party packages register more on first lookup.
    """

    def __init__(self, kind: str, entry_point_group: str | None = None):
        self.kind = kind
        self.entry_point_group = entry_point_group
        self._items: dict[str, T] = {}
        self._entry_points_loaded = entry_point_group is None

    def register(self, name: str | None = None) -> Callable[[T], T]:
        """Decorator: ``@registry.register("name")`` (defaults to the object's ``name`` or ``__name__``)."""

        def decorator(obj: T) -> T:
            key = name or getattr(obj, "name", None) or getattr(obj, "__name__")
            if key in self._items and self._items[key] is not obj:
                raise ValueError(f"{self.kind} {key!r} is registered twice")
            self._items[key] = obj
            return obj

        return decorator

    def add(self, name: str, obj: T) -> None:
        self.register(name)(obj)

    def _load_entry_points(self) -> None:
        if self._entry_points_loaded:
            return
        self._entry_points_loaded = True
        from importlib.metadata import entry_points

        for ep in entry_points(group=self.entry_point_group):
            if ep.name not in self._items:
                # An entry point may register itself on import or resolve to the object.
                obj = ep.load()
                if ep.name not in self._items:
                    self._items[ep.name] = obj

    def names(self) -> list[str]:
        self._load_entry_points()
        return sorted(self._items)

    def __contains__(self, name: str) -> bool:
        self._load_entry_points()
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def get(self, name: str) -> T:
        self._load_entry_points()
        try:
            return self._items[name]
        except KeyError:
            raise UnknownNameError(unknown_name_message(self.kind, name, self.names())) from None


def unknown_name_message(kind: str, name: str, available: list[str]) -> str:
    """"unknown model 'fcn9s'; did you mean 'fcn8s' or 'fcn16s'? available: ..." in one line."""
    close = difflib.get_close_matches(name, available, n=3, cutoff=0.5)
    msg = f"unknown {kind} {name!r}"
    if close:
        msg += "; did you mean " + " or ".join(repr(c) for c in close) + "?"
    msg += " available: " + (", ".join(available) if available else "(none)")
    return msg
