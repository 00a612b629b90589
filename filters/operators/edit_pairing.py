"""`edit_pairing`: forward-backward pairing of edit triplets.

For an invertible edit (add/remove, recolour, move, replace) with an inverse instruction, the
step makes the backward sample: the target becomes the source, the source the target, the
inverse instruction the instruction, the edit type its inverse. It joins the forward sample's
group (so splits never separate the two), records the forward id as its parent, and starts
with no stats: every later step (vlm_score above all) measures it itself instead of inheriting
the forward pair's numbers. Scene graphs and other `source_*`/`target_*` extras are swapped.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from corpus.schema import Pair, Sample
from filters.operator import Operator, Stat, Verdict, measure_param, param, register

INVERTIBLE = ["add", "remove", "recolour", "recolor", "move", "replace", "color_change"]
INVERSE_TYPE = {"add": "remove", "remove": "add"}  # types not listed are their own inverse
BACKWARD_SUFFIX = "-bwd"
SWAP_PREFIXES = ("source_", "target_")


@dataclass
class EditPairingParams:
    invertible: list[str] = measure_param(INVERTIBLE, "edit types to build a backward pair for")
    inverse_type: dict = measure_param(INVERSE_TYPE, "edit type -> type of its inverse")
    require_same_size: bool = param(True, "drop pairs whose source and target sizes differ")


@register
class EditPairing(Operator):
    name = "edit_pairing"
    doc = "builds the backward (target -> source, inverse instruction) sample of invertible edits"
    Params = EditPairingParams
    emits = True
    batch_size = 256
    STATS = {
        "invertible": Stat("bool", "a backward pair was built", "bool"),
        "backward_id": Stat("key", "the backward sample's id", "str"),
        "same_size": Stat("bool", "source and target have the same width and height", "bool"),
    }

    def applies(self, sample: Sample) -> bool:
        roles = {img.role for img in sample.images}
        forward = sample.pair is None or sample.pair.direction == "forward"
        return sample.task == "it2i" and forward and {"source", "target"} <= roles

    def measure(self, sample: Sample) -> dict[str, Any]:
        edit_type = sample.pair.edit_type if sample.pair else None
        ok = edit_type in self.params.invertible and bool(sample.inverse_instruction)
        src, tgt = sample.image("source"), sample.image("target")
        return {
            "invertible": ok,
            "backward_id": sample.id + BACKWARD_SUFFIX if ok else None,
            "same_size": (src.width, src.height) == (tgt.width, tgt.height),
        }

    def decide(self, s: dict[str, Any]) -> Verdict:
        if self.params.require_same_size and not s["same_size"]:
            return "size_mismatch", "source and target differ in size"
        return None

    def emit(self, sample: Sample, stats: dict[str, Any]) -> list[Sample]:
        return (
            [backward(sample, stats["backward_id"], self.params.inverse_type)]
            if stats["invertible"]
            else []
        )


def backward(fwd: Sample, key: str, inverse_type: dict[str, str]) -> Sample:
    """The backward sample of a forward edit (see module docstring)."""
    swap = {"source": "target", "target": "source"}
    images = [dataclasses.replace(img, role=swap[img.role]) for img in fwd.images]
    images.sort(key=lambda img: [i.role for i in fwd.images].index(img.role))
    edit_type = fwd.pair.edit_type if fwd.pair else None
    pair = Pair(
        group_id=fwd.pair.group_id if fwd.pair else fwd.id,
        direction="backward",
        parent_id=fwd.id,
        edit_type=inverse_type.get(edit_type, edit_type),
    )
    return Sample(
        id=key,
        task=fwd.task,
        images=images,
        instruction=fwd.inverse_instruction,
        inverse_instruction=fwd.instruction,
        lang=fwd.lang,
        source=fwd.source,
        license=fwd.license,
        origin=f"{fwd.origin}#backward",
        pair=pair,
        extra=_swap_extra(fwd.extra),
    )


def _swap_extra(extra: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for key, value in extra.items():
        for a, b in (SWAP_PREFIXES, SWAP_PREFIXES[::-1]):
            if key.startswith(a):
                key = b + key.removeprefix(a)
                break
        out[key] = value
    return out
