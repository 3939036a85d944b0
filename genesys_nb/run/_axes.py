"""The rows of ``ParameterMatrix.product()`` and ``.zip()``: axis values checked, and rows made on
demand from the axes, so a product of many rows costs one row of memory.
"""
from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from genesys_nb.contract.cases import _MISSING, MatrixError, _canonical, _Row
from genesys_nb.contract.paths import flatten_dotted
from genesys_nb.run._cells import _overlaps, _plain, expand_dotted


def _axis_values(name: str, values: Any) -> list[Any]:
    if isinstance(values, (str, bytes, Mapping)) or not isinstance(values, Iterable):
        raise MatrixError(f"axis {name!r} must be a list of values (got {type(values).__name__}); "
                          f"use .with_fixed({name}=...) for one value in every row")
    listed = [_plain(v) for v in values]
    if not listed:
        raise MatrixError(f"axis {name!r} has no values; give at least one")
    return listed


class _AxesRows:
    """The rows of ``product()`` / ``zip()`` axes, made on demand: nothing is kept per row.

    ``distinct``: no two rows can have the same inputs (every axis value is a plain value, the
    axes address separate fields, and the values of an axis that tells rows apart are distinct),
    so row ids need no occurrence count. ``uniform``: every row has the same fields.
    """

    def __init__(self, names: list[str], values: list[list[Any]], kind: str) -> None:
        self.names = names
        self.values = values
        self.kind = kind
        self._size = math.prod(len(v) for v in values) if kind == "product" else len(values[0]) if values else 0
        plain = all(not isinstance(v, Mapping) and v is not _MISSING for axis in values for v in axis)
        separate = not any(_overlaps(name, names[:i]) for i, name in enumerate(names))
        self.uniform = plain and separate
        distinct_axes = [_distinct(axis) for axis in values]
        self.distinct = self.uniform and (all(distinct_axes) if kind == "product" else any(distinct_axes))
        # Top-level fields holding immutable values: a row is just the dict of its combination, and
        # needs no copy to be handed out (the common case, and the one that runs to many rows).
        self.flat = self.uniform and not any("." in name for name in names) and all(
            v is None or type(v) in _IMMUTABLE for axis in values for v in axis
        )
        self._own = frozenset(names)

    def __len__(self) -> int:
        return self._size

    def __iter__(self) -> Iterator[_Row]:
        combos = itertools.product(*self.values) if self.kind == "product" else zip(*self.values)
        names = self.names
        if self.flat:
            own = self._own
            for combo in combos:
                yield _Row(dict(zip(names, combo)), own=own)
            return
        for combo in combos:
            params = expand_dotted(dict(zip(names, combo)))
            yield _Row(params, own=frozenset(flatten_dotted(params)))


_IMMUTABLE = (str, int, float, bool)


def _distinct(values: list[Any]) -> bool:
    """True when no two values of an axis are the same JSON value.

    Compares hashes of the canonical JSON (kept small: orjson's output buffers are larger than the
    text); a hash collision only makes the answer a safe False.
    """
    try:
        return len({hash(_canonical({"v": value})) for value in values}) == len(values)
    except MatrixError:  # a value JSON cannot carry: reported when the rows are read, as before
        return False
