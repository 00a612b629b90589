"""ImgEdit scoring, equal to the official step 1 and step 2 on the same replies (spec 3.3-3.4).

Each reply line is stripped and split on ``": "``; exactly two parts whose second ``isdigit()``
give one integer. Item score = round(mean, 2); an item with no integer is omitted (not zero).
Type score = round(mean of item scores, 2); overall = unweighted mean of the nine type scores.
Failed judge calls and replies the official script would crash on are counted and reported.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from evaluation.imgedit.data import TYPE_COLUMNS, EditItem
from evaluation.judgements import Judgement

SEPARATOR = ": "  # colon + one space (spec 3.3)
DECIMALS = 2  # item and type scores are rounded to 2 decimals (spec 3.3)


def parse_reply(reply: str) -> tuple[list[int], list[str]]:
    """(integers found, lines that look like scores but ``int()`` rejects, e.g. ``'²'``)."""
    found, rejected = [], []
    for line in reply.splitlines():
        parts = line.strip().split(SEPARATOR)
        if len(parts) == 2 and parts[1].isdigit():
            try:
                found.append(int(parts[1]))
            except ValueError:
                rejected.append(line)
    return found, rejected


def item_score(reply: str) -> float | None:
    found, rejected = parse_reply(reply)
    if rejected or not found:
        return None
    return round(sum(found) / len(found), DECIMALS)


def _status(j: Judgement | None) -> str:
    if j is None:
        return "missing"
    if j.reply is None:
        return "judge_error"
    found, rejected = parse_reply(j.reply)
    if rejected:
        return "unparsable_digit"
    return "scored" if found else "unparsed"


def score_judgements(
    items: list[EditItem], judgements: list[Judgement]
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Per-item records and the scores: per type (paper names) and overall, plus counts."""
    by_key = {j.key: j for j in judgements if j.question is None}
    rows, per_type = [], defaultdict(list)
    for item in items:
        j = by_key.get(item.key)
        status = _status(j)
        score = item_score(j.reply) if status == "scored" else None
        if score is not None:
            per_type[item.edit_type].append(score)
        rows.append(
            {
                "key": item.key,
                "category": item.edit_type,
                "prompt": item.instruction,
                "source_image": item.image,
                "reply": None if j is None else j.reply,
                "status": status,
                "score": score,
            }
        )
    uge = all(item.edit_type is None for item in items)
    return rows, _aggregate(rows, per_type, uge)


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else float("nan")


def _aggregate(
    rows: list[dict[str, Any]], per_type: dict[str | None, list[float]], uge: bool
) -> dict[str, Any]:
    counts: dict[str, int] = defaultdict(int)
    for row in rows:
        counts[row["status"]] += 1
    scored = [r["score"] for r in rows if r["score"] is not None]
    if uge:  # one suite-wide score, no types (spec 3.5)
        return {"overall": round(_mean(scored), DECIMALS), "categories": {}, "counts": dict(counts)}
    types = {t: round(_mean(per_type[t]), DECIMALS) for t in TYPE_COLUMNS if per_type[t]}
    return {
        "overall": _mean(list(types.values())),
        "categories": {TYPE_COLUMNS[t]: v for t, v in types.items()},
        "item_weighted_mean": _mean(scored),
        "missing_categories": [TYPE_COLUMNS[t] for t in TYPE_COLUMNS if not per_type[t]],
        "counts": dict(counts),
    }
