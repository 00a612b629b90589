"""GenEval scoring, equal to the official evaluator on the same detections (spec section 1).

Pure CPU code over recorded detections: per-class filtering (threshold, cap, optional NMS), the
relative-position rule, per-image correctness from the include/exclude clauses, and the official
aggregation (per-tag image accuracy, overall = unweighted mean of the six tags). Scores, boxes and
position arithmetic are float32 as in the official code, which decides threshold and 0.5-cut ties.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from evaluation.errors import BadInput
from evaluation.geneval.detections import Detection, ImageDetections
from evaluation.geneval.metadata import TAGS, Clause, PromptMeta

THRESHOLD = 0.3  # keep detections with score strictly above this (spec 1.4)
COUNTING_THRESHOLD = 0.9  # used for every class when the tag is "counting" (spec 1.4)
MAX_OBJECTS = 16  # per class, after thresholding (spec 1.4)
MAX_OVERLAP = 1.0  # NMS IoU limit; 1.0 disables NMS, the published setting (spec 1.4)
POSITION_THRESHOLD = 0.1  # margin as a share of the summed box sizes per axis (spec 1.6)
POSITION_CUT = 0.5  # unit-offset component beyond which a relation holds (spec 1.6)
POSITION_ZERO = 1e-3  # revised offset below this on both axes means "no relation" (spec 1.6)


@dataclass(frozen=True)
class ScoreConfig:
    """The official evaluator's options, with the defaults used for published numbers."""

    threshold: float = THRESHOLD
    counting_threshold: float = COUNTING_THRESHOLD
    max_objects: int = MAX_OBJECTS
    max_overlap: float = MAX_OVERLAP
    position_threshold: float = POSITION_THRESHOLD


@dataclass
class ImageResult:
    correct: bool
    reason: str
    kept: dict[str, list[Detection]] = field(default_factory=dict)


def _iou_plus_one(a: np.ndarray, b: np.ndarray) -> float:
    """IoU with the "+1 pixel" area convention of the official NMS."""
    ix = max(min(a[2], b[2]) - max(a[0], b[0]) + 1, 0)
    iy = max(min(a[3], b[3]) - max(a[1], b[1]) + 1, 0)
    inter = ix * iy

    def area(r: np.ndarray) -> float:
        return max(r[2] - r[0] + 1, 0) * max(r[3] - r[1] + 1, 0)

    return float(inter / (area(a) + area(b) - inter))


def _class_order(dets: list[Detection], threshold: float, max_objects: int) -> list[Detection]:
    """Descending score, ties: later-recorded first (stable ascending sort, reversed); float32."""
    scores = np.array([d.score for d in dets], dtype=np.float32)
    order = np.argsort(scores, kind="stable")[::-1]
    kept = [dets[i] for i in order if scores[i] > np.float32(threshold)]
    return kept[:max_objects]


def _nms(dets: list[Detection], max_overlap: float) -> list[Detection]:
    kept: list[Detection] = []
    for d in dets:
        box = np.array(d.box, dtype=np.float32)
        if all(_iou_plus_one(box, np.array(k.box, np.float32)) <= max_overlap for k in kept):
            kept.append(d)
    return kept


def filter_detections(
    dets: tuple[Detection, ...] | list[Detection],
    threshold: float = THRESHOLD,
    max_objects: int = MAX_OBJECTS,
    max_overlap: float = MAX_OVERLAP,
) -> dict[str, list[Detection]]:
    """Per class: sort, threshold, cap, optional NMS; classes with no survivor are absent."""
    by_class: dict[str, list[Detection]] = defaultdict(list)
    for d in dets:
        by_class[d.label].append(d)
    detected = {}
    for label, group in by_class.items():
        kept = _class_order(group, threshold, max_objects)
        if max_overlap < 1:
            kept = _nms(kept, max_overlap)
        if kept:
            detected[label] = kept
    return detected


def relative_position(
    obj: tuple[float, ...], target: tuple[float, ...], margin: float = POSITION_THRESHOLD
) -> set[str]:
    """Relations of box ``obj`` to box ``target`` ("left of", ...), computed in float32."""
    a = np.asarray(obj[:4], dtype=np.float32)
    b = np.asarray(target[:4], dtype=np.float32)
    center_a, center_b = (a[:2] + a[2:]) / 2, (b[:2] + b[2:]) / 2
    dim_a, dim_b = np.abs(a[2:] - a[:2]), np.abs(b[2:] - b[:2])
    offset = center_a - center_b
    revised = np.maximum(np.abs(offset) - np.float32(margin) * (dim_a + dim_b), 0) * np.sign(offset)
    if np.all(np.abs(revised) < POSITION_ZERO):
        return set()
    dx, dy = revised / np.linalg.norm(offset)
    relations = set()
    if dx < -POSITION_CUT:
        relations.add("left of")
    if dx > POSITION_CUT:
        relations.add("right of")
    if dy < -POSITION_CUT:
        relations.add("above")
    if dy > POSITION_CUT:
        relations.add("below")
    return relations


def _check_include(
    clause: Clause,
    detected: dict[str, list[Detection]],
    groups: list[list[Detection] | None],
    margin: float,
) -> tuple[list[Detection] | None, str | None]:
    """The clause's matched detections, or None and why it failed."""
    found = detected.get(clause.cls, [])[: clause.count]
    if len(found) < clause.count:
        return None, f"expected {clause.cls}>={clause.count}, found {len(found)}"
    if clause.color is not None:
        colors = [d.color for d in found]
        if sum(c == clause.color for c in colors) < clause.count:
            return None, f"expected {clause.color} {clause.cls}>={clause.count}, found {colors}"
    if clause.position is not None:
        rel, g = clause.position
        target = groups[g]
        if target is None:
            return None, f"no target for {clause.cls} {rel}"
        for a in found:
            for b in target:
                if rel not in relative_position(a.box, b.box, margin):
                    return None, f"expected {clause.cls} {rel} target"
    return found, None


def judge_image(
    meta: PromptMeta, detected: dict[str, list[Detection]], margin: float = POSITION_THRESHOLD
) -> tuple[bool, str]:
    """Official per-image correctness: every include clause matched, no exclude clause met."""
    correct, reasons = True, []
    groups: list[list[Detection] | None] = []
    for clause in meta.include:
        found, why = _check_include(clause, detected, groups, margin)
        if why is not None:
            correct = False
            reasons.append(why)
        groups.append(found)
    for clause in meta.exclude:
        n = len(detected.get(clause.cls, []))
        if n >= clause.count:
            correct = False
            reasons.append(f"expected {clause.cls}<{clause.count}, found {n}")
    return correct, "\n".join(reasons)


def score_image(
    meta: PromptMeta, dets: tuple[Detection, ...], config: ScoreConfig = ScoreConfig()
) -> ImageResult:
    """Filter one image's detections with the tag's threshold and judge it."""
    threshold = config.counting_threshold if meta.tag == "counting" else config.threshold
    kept = filter_detections(dets, threshold, config.max_objects, config.max_overlap)
    correct, reason = judge_image(meta, kept, config.position_threshold)
    return ImageResult(correct, reason, kept)


def aggregate(results: list[tuple[PromptMeta, bool]]) -> dict[str, Any]:
    """Official summary: per-tag image accuracy, overall = mean of the tags' scores."""
    per_tag: dict[str, list[bool]] = defaultdict(list)
    per_prompt: dict[str, bool] = {}
    for meta, correct in results:
        per_tag[meta.tag].append(correct)
        per_prompt[meta.key] = per_prompt.get(meta.key, False) or correct
    tags = [t for t in TAGS if per_tag[t]]
    categories = {t: sum(per_tag[t]) / len(per_tag[t]) for t in tags}
    overall = sum(categories.values()) / len(categories) if categories else float("nan")
    n_images = len(results)
    return {
        "overall": overall,
        "categories": categories,
        "images_per_category": {t: len(per_tag[t]) for t in tags},
        "missing_categories": [t for t in TAGS if not per_tag[t]],
        "n_images": n_images,
        "n_prompts": len(per_prompt),
        "correct_images": sum(c for _, c in results) / n_images if n_images else float("nan"),
        "correct_prompts": sum(per_prompt.values()) / len(per_prompt) if per_prompt else 0.0,
    }


def score_records(
    metadata: Sequence[PromptMeta] | Mapping[int, PromptMeta],
    records: list[ImageDetections],
    config: ScoreConfig = ScoreConfig(),
    source: str = "detections.jsonl",
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Per-image record rows and the official scores for recorded detections.

    ``metadata`` maps prompt index to metadata: the metadata file's lines, or (as the official
    evaluator does for an image folder) each prompt folder's own ``metadata.jsonl``.
    """
    by_index = metadata if isinstance(metadata, Mapping) else dict(enumerate(metadata))
    rows, results = [], []
    for rec in records:
        meta = by_index.get(rec.index)
        if meta is None:
            raise BadInput(source, rec.image, f"prompt index {rec.index} is not in the metadata")
        result = score_image(meta, rec.detections, config)
        _check_colors(meta, result, source, rec.image)
        results.append((meta, result.correct))
        rows.append(
            {
                "index": rec.index,
                "image": rec.image,
                "category": meta.tag,
                "prompt": meta.prompt,
                "metadata": meta.key,
                "detections": [d.to_dict() for d in rec.detections],
                "kept": {k: [d.to_dict() for d in v] for k, v in result.kept.items()},
                "correct": result.correct,
                "reason": result.reason,
                "score": float(result.correct),
            }
        )
    return rows, aggregate(results)


def _check_colors(meta: PromptMeta, result: ImageResult, source: str, image: str) -> None:
    """A colour clause needs the classifier's answer for each checked detection."""
    for clause in meta.include:
        if clause.color is None:
            continue
        for d in result.kept.get(clause.cls, [])[: clause.count]:
            if d.color is None:
                raise BadInput(source, image, f"detection of {clause.cls!r} has no colour")
