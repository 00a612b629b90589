"""`edit_pairing`: forward-backward pairing of edit triplets.

For an invertible edit (add/remove, recolour, move, replace) the step makes the backward sample:
the target becomes the source, the source the target, the inverse instruction the instruction,
the edit type its inverse. The inverse instruction is the one the input gives; failing that, the
one the rules write from the forward instruction (filters.operators.inverse_edits); failing
that, the one an optional judge model writes, checked to be one line that differs from the
forward instruction. Stats record how the inverse was obtained (given, rule, judge) and, when
none was, why. The backward sample joins the forward sample's group (so splits never separate
the two), records the forward id as its parent, and starts with no stats: every later step
(vlm_score above all) measures it itself instead of inheriting the forward pair's numbers.
Scene graphs and other `source_*`/`target_*` extras are swapped.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from corpus.schema import Pair, Sample
from filters.judging import load_judge
from filters.operator import Operator, Stat, Verdict, measure_param, param, register
from filters.operators import inverse_judge
from filters.operators.inverse_edits import invert

INVERTIBLE = ["add", "remove", "recolour", "recolor", "move", "replace", "color_change"]
INVERSE_TYPE = {"add": "remove", "remove": "add"}  # types not listed are their own inverse
BACKWARD_SUFFIX = "-bwd"
SWAP_PREFIXES = ("source_", "target_")


@dataclass
class EditPairingParams:
    invertible: list[str] = measure_param(INVERTIBLE, "edit types to build a backward pair for")
    inverse_type: dict = measure_param(INVERSE_TYPE, "edit type -> type of its inverse")
    judge: str | None = measure_param(
        None, "writes the inverses rules cannot: openai:URL:MODEL, transformers:PATH, replay:FILE"
    )
    cache: str | None = measure_param(None, "append-only judge cache (JSONL); reruns replay")
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
        "inverse": Stat("text", "the backward sample's instruction", "str"),
        "inverse_by": Stat("name", "who wrote the inverse (or was asked): given|rule|judge", "str"),
        "judge": Stat("id", "backend and model asked for the inverse", "str"),
        "no_pair": Stat("text", "why no backward pair was built", "str"),
        "same_size": Stat("bool", "source and target have the same width and height", "bool"),
    }

    def setup(self) -> None:
        self.backend = None
        if self.params.judge:
            self.backend = load_judge(self.params.judge, self.params.cache)
            info = self.backend.describe()
            self.judge_id = f"{info.get('backend')}:{info.get('model')}"

    def applies(self, sample: Sample) -> bool:
        roles = {img.role for img in sample.images}
        forward = sample.pair is None or sample.pair.direction == "forward"
        return sample.task == "it2i" and forward and {"source", "target"} <= roles

    def measure_batch(self, samples: Sequence[Sample]) -> list[dict[str, Any]]:
        inverses = [self.inverse(s) for s in samples]
        asked = [i for i, f in enumerate(inverses) if f["inverse_by"] == "judge"]
        if asked:
            requests = [inverse_judge.request(samples[i]) for i in asked]
            for i, reply in zip(asked, inverse_judge.ask(self.backend, requests), strict=True):
                text, why = inverse_judge.check(reply, samples[i].instruction or "")
                inverses[i] = found(text, "judge", why)
        out = []
        for sample, f in zip(samples, inverses, strict=True):
            src, tgt = sample.image("source"), sample.image("target")
            ok = f["inverse"] is not None
            out.append(
                {
                    **f,
                    "invertible": ok,
                    "backward_id": sample.id + BACKWARD_SUFFIX if ok else None,
                    "judge": self.judge_id if f["inverse_by"] == "judge" else None,
                    "same_size": (src.width, src.height) == (tgt.width, tgt.height),
                }
            )
        return out

    def inverse(self, sample: Sample) -> dict[str, Any]:
        """The inverse instruction given or written by rule, else whether to ask the judge."""
        edit_type = sample.pair.edit_type if sample.pair else None
        if edit_type not in self.params.invertible:
            return found(None, None, f"edit type {edit_type!r} is not invertible")
        if sample.inverse_instruction:
            return found(sample.inverse_instruction, "given")
        if rule := invert(sample.instruction or ""):
            return found(rule, "rule")
        if self.backend is None:
            return found(None, None, "no rule parses the instruction and no judge is set")
        return found(None, "judge")

    def decide(self, s: dict[str, Any]) -> Verdict:
        if self.params.require_same_size and not s["same_size"]:
            return "size_mismatch", "source and target differ in size"
        return None

    def emit(self, sample: Sample, stats: dict[str, Any]) -> list[Sample]:
        if not stats["invertible"]:
            return []
        return [backward(sample, stats, self.params.inverse_type)]


def found(inverse: str | None, by: str | None, no_pair: str | None = None) -> dict[str, Any]:
    """The inverse-instruction stats: the inverse, who wrote it, why there is none."""
    return {"inverse": inverse, "inverse_by": by, "no_pair": no_pair}


def backward(fwd: Sample, stats: dict[str, Any], inverse_type: dict[str, str]) -> Sample:
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
        id=stats["backward_id"],
        task=fwd.task,
        images=images,
        instruction=stats["inverse"],
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
