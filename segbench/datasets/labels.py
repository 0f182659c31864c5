"""Label tables: one row per class, lookups built from the rows (the cityscapesScripts model).

A :class:`Label` row names one *raw id* as it is stored in a dataset's annotation files and says
how evaluation treats it:

- ``id``: the raw id in the files (Cityscapes labelId, ADE20K 0..150, VOC palette index ...);
- ``train_id``: the evaluation id ``0..N-1`` (``None`` = not evaluated: ignored in the ground
  truth, and a "non-evaluated prediction" when predicted, see ``docs/conventions.md``);
- ``category`` / ``category_id``: the coarse group (Cityscapes categories), optional;
- ``has_instances``: a thing class (instances exist);
- ``ignore_in_eval``: the row is excluded from evaluation (``train_id`` is then ``None``);
- ``color``: RGB colour of the dataset's palette (colour-coded PNGs decode through it).

Several raw ids may share a ``train_id`` (mappings such as NYUv2 894 -> 40); the evaluated
class then takes its name and colour from the row flagged ``primary`` (default: the first).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from segbench.errors import InputError, LabelRangeError


@dataclass(frozen=True)
class Label:
    name: str
    id: int
    train_id: int | None
    category: str = ""
    category_id: int = 0
    has_instances: bool = False
    ignore_in_eval: bool = False
    color: tuple[int, int, int] = (0, 0, 0)


class LabelTable:
    """Rows plus the lookups evaluation needs.

    ``raw_size`` R: raw ids are ``0..R-1`` (the confusion matrix over raw ids is ``R x R``);
    ``raw_to_eval``: int64 ``(R,)``, evaluation id or ``-1`` (not evaluated) or ``-2`` (unknown:
    the id is not in the table); ``eval_to_raw``: int64 ``(N,)``, the primary raw id of each class.
    """

    def __init__(self, rows: list[Label], *, name: str = "", raw_size: int | None = None):
        self.name = name
        self.rows = [r for r in rows if r.id >= 0]
        self.all_rows = list(rows)
        if not self.rows:
            raise ValueError(f"label table {name!r} has no rows")
        ids = [r.id for r in self.rows]
        if len(set(ids)) != len(ids):
            raise ValueError(f"label table {name!r} has duplicate raw ids")
        train_ids = sorted({r.train_id for r in self.rows if r.train_id is not None and not r.ignore_in_eval})
        if train_ids != list(range(len(train_ids))):
            raise ValueError(f"label table {name!r}: evaluation ids must be 0..N-1, got {train_ids[:5]}...")
        self.num_classes = len(train_ids)
        self.raw_size = max(ids) + 1 if raw_size is None else raw_size
        raw_to_eval = np.full(self.raw_size, -2, np.int64)
        eval_to_raw = np.full(self.num_classes, -1, np.int64)
        for r in self.rows:
            evaluated = r.train_id is not None and not r.ignore_in_eval
            raw_to_eval[r.id] = r.train_id if evaluated else -1
            if evaluated and eval_to_raw[r.train_id] < 0:
                eval_to_raw[r.train_id] = r.id
        self.raw_to_eval = raw_to_eval
        self.eval_to_raw = eval_to_raw
        self.by_id = {r.id: r for r in self.rows}

    # ------------------------------------------------------------------ views

    def eval_rows(self) -> list[Label]:
        """The primary row of each evaluated class, in evaluation-id order."""
        return [self.by_id[int(r)] for r in self.eval_to_raw]

    def known_mask(self) -> np.ndarray:
        return self.raw_to_eval != -2

    def ignored_raw_ids(self) -> list[int]:
        return [r.id for r in self.rows if self.raw_to_eval[r.id] == -1]

    def first_ignored_raw(self) -> int | None:
        ids = self.ignored_raw_ids()
        return ids[0] if ids else None

    def gt_lut(self, ignore_index: int, dtype=None) -> np.ndarray:
        """raw id -> evaluation id, non-evaluated and unknown ids -> ``ignore_index``."""
        dtype = dtype or (np.uint8 if ignore_index <= 255 and self.num_classes <= 255 else np.uint16)
        lut = np.where(self.raw_to_eval >= 0, self.raw_to_eval, ignore_index)
        return lut.astype(dtype)

    @cached_property
    def _colour_index(self) -> tuple[np.ndarray, np.ndarray, dict]:
        """Sorted packed colours, their raw ids, and ``{packed: (name, name)}`` of colours shared
        by two evaluated classes (undecodable). A colour shared by an evaluated and a
        non-evaluated row decodes to the evaluated one (Cityscapes ``polegroup`` -> ``pole``)."""
        seen: dict[int, int] = {}
        ambiguous: dict[int, tuple[str, str]] = {}
        for r in self.rows:
            key = (r.color[0] << 16) | (r.color[1] << 8) | r.color[2]
            if key not in seen:
                seen[key] = r.id
                continue
            old = seen[key]
            e_old, e_new = self.raw_to_eval[old], self.raw_to_eval[r.id]
            if e_old < 0 <= e_new:
                seen[key] = r.id
            elif e_old >= 0 and e_new >= 0 and e_old != e_new:
                ambiguous[key] = (self.by_id[old].name, r.name)
        items = sorted(seen.items())
        return (np.array([k for k, _ in items], np.int64), np.array([v for _, v in items], np.int64), ambiguous)

    def decode_colours(self, rgb: np.ndarray, path="<prediction>") -> np.ndarray:
        """``(H, W, 3)`` uint8 colour map -> raw ids (int64) via the table's colours."""
        keys, ids, ambiguous = self._colour_index
        packed = (rgb[..., 0].astype(np.int64) << 16) | (rgb[..., 1].astype(np.int64) << 8) | rgb[..., 2]
        pos = np.searchsorted(keys, packed)
        pos_c = np.minimum(pos, len(keys) - 1)
        ok = keys[pos_c] == packed
        if not ok.all():
            y, x = (int(v[0]) for v in np.nonzero(~ok))
            c = tuple(int(v) for v in rgb[y, x])
            raise LabelRangeError(
                f"{path}: colour {c} at (row {y}, col {x}) is not in the {self.name} colour table; "
                f"expected a colour-coded prediction in the dataset's palette"
            )
        if ambiguous:
            for key in np.intersect1d(np.unique(packed), np.array(list(ambiguous), np.int64)):
                a, b = ambiguous[int(key)]
                c = ((int(key) >> 16) & 255, (int(key) >> 8) & 255, int(key) & 255)
                raise LabelRangeError(
                    f"{path}: colour {c} is shared by classes {a!r} and {b!r} of {self.name}; "
                    f"colour predictions cannot tell them apart, expected label-id PNGs"
                )
        return ids[pos_c]

    def check_known(self, values: np.ndarray, path, what: str = "label id") -> None:
        """Raise naming the first value that is not a raw id of the table."""
        uniq = np.unique(values)
        bad = [int(v) for v in uniq if v < 0 or v >= self.raw_size or self.raw_to_eval[int(v)] == -2]
        if bad:
            raise LabelRangeError(
                f"{path}: {what} {bad[0]} is not in the {self.name} label table "
                f"(valid ids: {_ranges(self.known_ids())})"
            )

    def known_ids(self) -> list[int]:
        return [r.id for r in self.rows]


def _ranges(values: list[int]) -> str:
    values = sorted(values)
    out, start, prev = [], None, None
    for v in values + [None]:
        if start is None:
            start = prev = v
        elif v is not None and v == prev + 1:
            prev = v
        else:
            out.append(str(start) if start == prev else f"{start}..{prev}")
            start = prev = v
    return ", ".join(out)


def simple_table(name: str, names: list[str], colors: list[tuple[int, int, int]] | None = None, *,
                 first_raw: int = 0, extra: list[Label] = (), things: set[str] = frozenset()) -> LabelTable:
    """A table whose raw ids ``first_raw + k`` are evaluation ids ``k`` (plus ``extra`` rows)."""
    colors = colors or default_palette(len(names))
    if len(colors) != len(names):
        raise ValueError(f"{name}: {len(names)} names but {len(colors)} colours")
    rows = [Label(n, first_raw + k, k, has_instances=n in things, color=tuple(colors[k])) for k, n in enumerate(names)]
    return LabelTable(rows + list(extra), name=name)


def default_palette(n: int) -> list[tuple[int, int, int]]:
    """The PASCAL VOC bit-interleaving colour map (index 0 is black), used where a dataset
    defines no colours of its own."""
    out = []
    for i in range(n):
        r = g = b = 0
        c = i
        for j in range(8):
            r |= ((c >> 0) & 1) << (7 - j)
            g |= ((c >> 1) & 1) << (7 - j)
            b |= ((c >> 2) & 1) << (7 - j)
            c >>= 3
        out.append((r, g, b))
    return out


def require_ids_fit(table: LabelTable, dtype) -> None:
    if table.raw_size > np.iinfo(dtype).max + 1:
        raise InputError(f"{table.name}: raw ids up to {table.raw_size - 1} do not fit {np.dtype(dtype).name}")
