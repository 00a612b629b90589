"""`dedup`: exact (sha256 of the bytes) and perceptual (pHash) duplicates across the dataset.

`measure` hashes each image in the shard tasks; `resolve` then walks every sample that reached the
step in canonical order (input shard, then position) and marks a sample a duplicate of the first
kept sample with the same bytes, or whose pHash is within `max_distance` bits for every image
(searched in a BK-tree index, never all-pairs) and whose 4x4 colour thumbnail is within
`max_color_diff` levels. pHash alone sees only luminance layout: on flat synthetic images one dark
shape on grey hashes alike whatever its colour and outline (2-6 bits apart on the shapes world),
while true re-encodes and 4-6 % resizes stay within 6 levels on the thumbnail. Samples compete
only within the same task and image count, so a t2i image and the identical VQA image are both
kept.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

import imagehash
import numpy as np
import PIL.Image

from corpus.schema import Sample
from filters.bktree import BKTree, hamming
from filters.imageio import decode_rgb
from filters.operator import Operator, Stat, Verdict, image_stat, measure_param, param, register

PHASH_SIZE = 8  # 8x8 DCT bits = 64-bit pHash (imagehash's default, the maintainer's advice)
PHASH_DECODE_SIDE = 128  # pHash looks at a 32x32 thumbnail; decoding larger is wasted work
DEFAULT_MAX_DISTANCE = 6  # bits of 64; imagededup defaults to 10, <= 3 is "the same image"
THUMB_SIDE = 4  # px; the colour thumbnail is THUMB_SIDE x THUMB_SIDE RGB
DEFAULT_MAX_COLOR_DIFF = 16  # 0-255 levels, largest per-cell channel difference of the thumbnails


@dataclass
class DedupParams:
    max_distance: int = param(DEFAULT_MAX_DISTANCE, "bits; pHash Hamming distance for near-dups")
    max_color_diff: int | None = param(DEFAULT_MAX_COLOR_DIFF, "0-255; thumbnail check (None: off)")
    near: bool = param(True, "also drop perceptual near-duplicates (else exact only)")
    consider_text: bool = param(False, "only samples with the same text are duplicates")
    hash_size: int = measure_param(PHASH_SIZE, "pHash side; the hash has hash_size^2 bits")


@register
class Dedup(Operator):
    name = "dedup"
    doc = "exact (sha256) and perceptual (pHash, BK-tree index) duplicates, first one kept"
    Params = DedupParams
    requires = ("imagehash",)
    is_global = True
    batch_size = 64
    STATS = {
        "sha256": image_stat("hex", "sha256 of the encoded bytes", "str"),
        "phash": image_stat("hex", "perceptual hash (hash_size^2 bits)", "str"),
        "thumb": image_stat("hex", "4x4 RGB thumbnail, 48 bytes", "str"),
        "text_sha256": Stat("hex", "sha256 of the sample's main text", "str"),
        "dup_of": Stat("key", "the earlier kept sample this one duplicates", "str", resolved=True),
        "exact": Stat("bool", "dup_of has the same bytes", "bool", resolved=True),
        "distance": Stat(
            "bits", "largest per-image pHash distance to dup_of", "int", resolved=True
        ),
    }

    def applies(self, sample: Sample) -> bool:
        return bool(sample.images)

    def measure(self, sample: Sample) -> dict[str, Any]:
        pixels = [decode_rgb(img, PHASH_DECODE_SIDE) for img in sample.images]
        thumb_size = (THUMB_SIDE, THUMB_SIDE)
        return {
            "sha256": [img.sha256 for img in sample.images],
            "phash": [str(imagehash.phash(p, hash_size=self.params.hash_size)) for p in pixels],
            "thumb": [
                p.resize(thumb_size, PIL.Image.Resampling.BOX).tobytes().hex() for p in pixels
            ],
            "text_sha256": hashlib.sha256(sample.text().encode()).hexdigest(),
        }

    def resolve(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        p: DedupParams = self.params
        exact: dict[tuple, str] = {}
        trees: dict[tuple, BKTree] = {}
        out = []
        for order, row in enumerate(rows):
            text = row["text_sha256"] if p.consider_text else None
            group = (row["task"], len(row["sha256"]), text)
            hashes = [int(h, 16) for h in row["phash"]]
            thumbs = [
                np.frombuffer(bytes.fromhex(t), np.uint8).astype(np.int16) for t in row["thumb"]
            ]
            fingerprint = (group, tuple(row["sha256"]))
            if fingerprint in exact:
                out.append({"dup_of": exact[fingerprint], "exact": True, "distance": 0})
                continue
            tree = trees.setdefault(group, BKTree())
            match = self._near(tree, hashes, thumbs) if p.near and hashes else None
            if match is not None:
                out.append({"dup_of": match[1], "exact": False, "distance": match[0]})
                continue
            exact[fingerprint] = row["id"]
            if hashes:
                tree.add(hashes[0], (order, row["id"], hashes, thumbs))
            out.append({"dup_of": None, "exact": False, "distance": None})
        return out

    def decide(self, s: dict[str, Any]) -> Verdict:
        if s["dup_of"] is None:
            return None
        if s["exact"]:
            return "duplicate", f"same bytes as {s['dup_of']}"
        return "near_duplicate", f"pHash within {s['distance']} bits of {s['dup_of']}"

    def _near(self, tree: BKTree, hashes: list[int], thumbs: list) -> tuple[int, str] | None:
        """(distance, key) of the earliest indexed sample whose every image is near."""
        p: DedupParams = self.params
        best = None
        for _, (order, key, other, other_thumbs) in tree.search(hashes[0], p.max_distance):
            distance = max(hamming(a, b) for a, b in zip(hashes, other, strict=True))
            colour = max(
                int(np.abs(a - b).max()) for a, b in zip(thumbs, other_thumbs, strict=True)
            )
            close = p.max_color_diff is None or colour <= p.max_color_diff
            if distance <= p.max_distance and close and (best is None or order < best[0]):
                best = (order, distance, key)
        return (best[1], best[2]) if best else None
