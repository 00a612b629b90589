"""MM-Vet: 218 open questions graded 0-1 by a judge (understanding_suites.md 3.10).

Total = sum of scores / items x 100; per capability = mean over the items tagged with it. Needs a
judge: under ``rule_only`` no score is produced (reported as null, never as zero)."""

from __future__ import annotations

from typing import Any

from evaluation.understanding.base import Context, Record, Row, Suite, breakdown

SCALE = 100.0


def score(rows: list[Row], ctx: Context) -> tuple[list[Record], dict[str, Any]]:
    records, per_capability = [], []
    for row in rows:
        prediction = row.get("prediction", "")
        value = ctx.judge.mmvet_grade(row.get("question", ""), row.get("answer", ""), prediction)
        record = {k: row.get(k) for k in ("index", "question", "answer", "category")}
        records.append({**record, "prediction": prediction, "hit": value,
                        "decided_by": "judge" if value is not None else "none"})  # fmt: skip
        caps = [c.strip() for c in str(row.get("category", "")).split(",") if c.strip()]
        per_capability += [{"capability": c, "hit": value} for c in caps if value is not None]
    if not ctx.judge.active:
        return records, {"overall": None, "categories": {}, "note": "MM-Vet needs a judge"}
    return records, {
        "overall": SCALE * sum(r["hit"] for r in records) / len(records) if records else None,
        "categories": breakdown(per_capability, "capability"),
    }


SUITE = Suite(
    "mmvet", {"MMVet": "748aa6d4aa9d4de798306a63718455e3"}, "vqa", score, scale="score x100"
)

if __name__ == "__main__":
    from evaluation.understanding.__main__ import main

    raise SystemExit(main(suite="mmvet"))
