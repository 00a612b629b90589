"""A BK-tree over 64-bit hashes: near-duplicate search by Hamming distance without all-pairs.

Each node stores its hash and children keyed by their distance to it; the triangle inequality
prunes every subtree whose edge distance lies outside [d - r, d + r] for a query radius r.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any


def hamming(a: int, b: int) -> int:
    return (a ^ b).bit_count()


class BKTree:
    """Insert (hash, payload); `search(h, r)` yields payloads of hashes within distance r."""

    def __init__(self) -> None:
        self._root: list[Any] | None = None  # [hash, payload, {distance: child}]
        self.size = 0

    def add(self, value: int, payload: Any) -> None:
        self.size += 1
        node = [value, payload, {}]
        if self._root is None:
            self._root = node
            return
        cur = self._root
        while True:
            d = hamming(value, cur[0])
            child = cur[2].get(d)
            if child is None:
                cur[2][d] = node
                return
            cur = child

    def search(self, value: int, radius: int) -> Iterator[tuple[int, Any]]:
        """(distance, payload) of every stored hash within `radius` bits of `value`."""
        stack = [self._root] if self._root is not None else []
        while stack:
            node = stack.pop()
            d = hamming(value, node[0])
            if d <= radius:
                yield d, node[1]
            for edge, child in node[2].items():
                if d - radius <= edge <= d + radius:
                    stack.append(child)
