"""How many annotators label each item: the settings `annotations_per_item` (k) and
`overlap_fraction` (f), with `overlap_seed`.

An item needs k labels when it is chosen for overlap, one otherwise. The choice is a pure function
of the item id and the seed, so it is the same in every process and after every restart:

    key(item_id)  = the first 32 bits of SHA-256(item_id)          (stored: ``items.overlap_key``)
    shift(seed)   = the first 32 bits of SHA-256("overlap-seed:" + seed)
    chosen        ⇔ (key + shift) mod 2³² < round(f · 2³²)

Keys are uniform, so about a fraction f of the items is chosen; a larger f keeps every item a
smaller one chose (the arc only grows), and another seed chooses another arc. The stored key makes
the rule one integer comparison in SQL (`needed_sql`), on SQLite and PostgreSQL alike. The default
(k = 1) is one annotator per item, whatever f says.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from sqlalchemy import bindparam, case

KEY_SPACE = 1 << 32


def overlap_key(item_id: str) -> int:
    """The item's place on the overlap circle, in [0, 2³²): from its id only."""
    return int.from_bytes(hashlib.sha256(item_id.encode("utf-8")).digest()[:4], "big")


def _shift(seed: int) -> int:
    return int.from_bytes(hashlib.sha256(f"overlap-seed:{int(seed)}".encode()).digest()[:4], "big")


@dataclass(frozen=True)
class Overlap:
    """k labels for a fraction of the items chosen by the seed; one for the others."""

    annotations_per_item: int = 1
    overlap_fraction: float = 1.0
    overlap_seed: int = 0

    @classmethod
    def from_settings(cls, settings) -> Overlap:
        return cls(int(getattr(settings, "annotations_per_item", 1)),
                   float(getattr(settings, "overlap_fraction", 1.0)),
                   int(getattr(settings, "overlap_seed", 0)))

    @property
    def single(self) -> bool:
        """Every item needs exactly one label (today's one-annotator-per-item service)."""
        return self.annotations_per_item <= 1 or self.threshold == 0

    @property
    def threshold(self) -> int:
        return round(min(max(self.overlap_fraction, 0.0), 1.0) * KEY_SPACE)

    def needed(self, key: int) -> int:
        """Labels an item with overlap key `key` needs."""
        if self.single:
            return 1
        chosen = (int(key) + _shift(self.overlap_seed)) % KEY_SPACE < self.threshold
        return self.annotations_per_item if chosen else 1

    def params(self) -> dict:
        """The bind parameters of `needed_sql`."""
        return {"ov_k": self.annotations_per_item, "ov_shift": _shift(self.overlap_seed),
                "ov_threshold": self.threshold}


def needed_sql(key_col):
    """SQL for the labels an item needs, from its `items.overlap_key` column (parameters from
    `Overlap.params`)."""
    chosen = ((key_col + bindparam("ov_shift")) % KEY_SPACE) < bindparam("ov_threshold")
    return case((chosen, bindparam("ov_k")), else_=1)
