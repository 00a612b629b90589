"""RealUnify UEG scoring as the official evaluator intends it (spec 4.3-4.4).

A reply is normalised by substring (any "yes" -> yes, then any "no" -> no, so "not" and "know"
become no); an item scores 1 only if every question, asked in order, matches. Profiles:
``official`` divides each task's correct count by the fixed 100 items and the total by 600;
``fixed`` divides by the items actually present. Accuracies are in % (the paper's scale: UEG
31.3); the official script prints the same ratios as fractions. The released counting code
raises KeyError on real data (its dict is only initialised for unknown task types); we
implement the evident intent.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from evaluation.judgements import Judgement
from evaluation.realunify.data import TASK_TYPES, UEGItem

ITEMS_PER_TASK = 100  # official fixed denominator per task type (spec 4.4)
PERCENT = 100.0
PROFILES = ("official", "fixed")
NO_IMAGE = "no generated image"  # the oracle's error text for an item without an output


def normalise(reply: str) -> str:
    r = reply.lower()
    if "yes" in r:
        r = "yes"
    if "no" in r:
        r = "no"
    return r


def score_item(item: UEGItem, replies: dict[int | None, Judgement]) -> tuple[int, str]:
    """(0 or 1, status): status says why an item scored 0 when it did."""
    top = replies.get(None)
    if top is not None and top.reply is None:
        return 0, "no_image" if top.error == NO_IMAGE else "judge_error"
    for q, (_, answer) in enumerate(item.questions):
        j = replies.get(q)
        if j is None:
            return 0, "missing"
        if j.reply is None:
            return 0, "judge_error"
        if normalise(j.reply) != answer:
            return 0, "wrong"
    return 1, "correct"


def score_judgements(
    items: list[UEGItem], judgements: list[Judgement], profile: str = "official"
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Per-item records and UEG accuracies per task type and in total."""
    replies: dict[str, dict[int | None, Judgement]] = defaultdict(dict)
    for j in judgements:
        replies[j.key][j.question] = j
    rows = []
    for item in items:
        score, status = score_item(item, replies[item.key])
        answered = [replies[item.key].get(q) for q in range(len(item.questions))]
        rows.append(
            {
                "key": item.key,
                "category": item.task_type,
                "prompt": item.prompt,
                "replies": [None if j is None else j.reply for j in answered],
                "status": status,
                "score": score,
            }
        )
    return rows, _aggregate(rows, profile)


def accuracies(
    correct: dict[str, int], present: dict[str, int], order: tuple[str, ...], profile: str
) -> tuple[float, dict[str, float]]:
    """(overall, per task) in %: official fixed denominators (100 per task type, and 100 per
    type in ``order`` for the total) or, under ``fixed``, the items present."""
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r} (known: {', '.join(PROFILES)})")
    tasks = [t for t in order if present[t]] + sorted(set(present) - set(order))
    official = profile == "official"
    categories = {
        t: PERCENT * correct[t] / (ITEMS_PER_TASK if official else present[t]) for t in tasks
    }
    total = len(order) * ITEMS_PER_TASK if official else sum(present.values())
    overall = PERCENT * sum(correct.values()) / total if total else float("nan")
    return overall, categories


def status_counts(rows: list[dict[str, Any]]) -> dict[str, int]:
    counts: dict[str, int] = defaultdict(int)
    for row in rows:
        counts[row["status"]] += 1
    return dict(counts)


def _aggregate(rows: list[dict[str, Any]], profile: str) -> dict[str, Any]:
    correct, present = defaultdict(int), defaultdict(int)
    for row in rows:
        correct[row["category"]] += row["score"]
        present[row["category"]] += 1
    overall, categories = accuracies(correct, present, TASK_TYPES, profile)
    return {
        "overall": overall,
        "categories": categories,
        "counts": status_counts(rows),
        "profile": profile,
    }
