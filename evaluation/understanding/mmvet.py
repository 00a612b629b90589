"""MM-Vet: 218 open questions graded 0-1 by a judge (understanding_suites.md 3.10).

Total = sum of scores / items x 100; per capability = mean over the items tagged with it.
Profiles: ``vlmevalkit`` grades once (the whole reply must be the score); ``official`` grades in
5 independent runs as the paper does (first token of the reply; retries append the digit request
and raise the temperature) and reports their mean, with the population standard deviation and
each run's total. Needs a judge: under ``rule_only`` no score is produced (null, never zero).
"""

from __future__ import annotations

import statistics
from typing import Any

from evaluation.understanding.base import Context, Record, Row, Suite, breakdown, judge_map

SCALE = 100.0
OFFICIAL_RUNS = 5  # the MM-Vet paper averages five grading runs


def _grades(rows: list[Row], ctx: Context, run: int) -> list[float | None]:
    def grade(row: Row) -> float | None:
        args = (row.get("question", ""), row.get("answer", ""), row.get("prediction", ""))
        if ctx.profile == "official":
            return ctx.judge.mmvet_grade_official(*args, run=run)
        return ctx.judge.mmvet_grade(*args)

    return judge_map(grade, rows, ctx)


def score(rows: list[Row], ctx: Context) -> tuple[list[Record], dict[str, Any]]:
    if not ctx.judge.active:
        records = [{k: row.get(k) for k in ("index", "question", "answer", "category")}
                   | {"prediction": row.get("prediction", ""), "hit": None,
                      "decided_by": "none"} for row in rows]  # fmt: skip
        return records, {"overall": None, "categories": {}, "note": "MM-Vet needs a judge"}
    runs = OFFICIAL_RUNS if ctx.profile == "official" else 1
    grades = [_grades(rows, ctx, run) for run in range(runs)]  # [run][item]
    records, per_capability = [], []
    for i, row in enumerate(rows):
        item_runs = [g[i] for g in grades]
        hit = sum(item_runs) / runs
        record = {k: row.get(k) for k in ("index", "question", "answer", "category")}
        records.append({**record, "prediction": row.get("prediction", ""), "hit": hit,
                        "runs": item_runs, "decided_by": "judge"})  # fmt: skip
        caps = [c.strip() for c in str(row.get("category", "")).split(",") if c.strip()]
        per_capability += [{"capability": c, "hit": hit} for c in caps]
    totals = [SCALE * sum(g) / len(rows) for g in grades] if rows else []
    return records, {
        "overall": statistics.fmean(totals) if totals else None,
        "std": statistics.pstdev(totals) if totals else None,
        "runs": totals,
        "categories": breakdown(per_capability, "capability"),
    }


SUITE = Suite(
    "mmvet",
    {"MMVet": "748aa6d4aa9d4de798306a63718455e3"},
    "vqa",
    score,
    profiles=("vlmevalkit", "official"),
    scale="score x100",
)

if __name__ == "__main__":
    from evaluation.understanding.__main__ import main

    raise SystemExit(main(suite="mmvet"))
