"""The base of the engine's frozen records (configuration, transactions): a record pickles and
copies by value, through its constructor.

Python's default restores an object field by field after creating it empty, which a frozen
dataclass compiled by mypyc refuses (its fields cannot be assigned, and it cannot be created
without its constructor's arguments); records cross process boundaries (worker pools, the lab's
sweep workers) and tests copy them, on both builds of the core.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from mypy_extensions import mypyc_attr


@mypyc_attr(allow_interpreted_subclasses=True)  # tx.py's records stay interpreted
class FrozenRecord:
    """Mixed into every frozen dataclass of the engine; adds only `__reduce__`."""

    __slots__ = ()

    def __reduce__(self) -> tuple[Any, tuple[Any, ...]]:
        """(class, field values in declaration order): unpickling calls the constructor."""
        fields = dataclasses.fields(self)  # type: ignore[arg-type]
        return type(self), tuple(getattr(self, f.name) for f in fields)
