"""edit_pairing on the shapes world: each backward pair is exactly the inverse of its forward
edit (checked against the stored scene graphs), shares its group, and is re-scored by the judge."""

from __future__ import annotations

import json

import polars as pl
from filter_helpers import run_recipe
from judge_server import JudgeServer

from corpus.dataset import Dataset, read_manifest_row_sample
from corpus.shapes import Scene, describe, diff, invert


def score(text: str) -> dict[str, float]:
    """Removing is judged harder than adding, so the two directions score differently."""
    if "Remove" in text:
        return {"1": 0.5, "2": 0.5}
    return {"4": 0.5, "5": 0.5}


def test_backward_pairs_invert_the_forward_edit_and_are_rescored(shapes, tmp_path):
    with JudgeServer(score=score) as server:
        recipe = tmp_path / "pairs.yaml"
        recipe.write_text(
            "name: pairs\nsteps:\n  - op: edit_pairing\n  - op: vlm_score\n"
            f"    judge: '{server.spec()}'\n    min_score: 3.0\n"
        )
        report = run_recipe(recipe, shapes, tmp_path / "out", workers=1)
    forwards = {s.id: s for s in shapes if s.task == "it2i"}
    derived = Dataset.open(tmp_path / "out" / "derived")
    backwards = list(derived)
    assert len(backwards) == len(forwards) == report["totals"]["emitted"]
    for bwd in backwards:
        fwd = forwards[bwd.pair.parent_id]
        assert bwd.pair.group_id == fwd.pair.group_id and bwd.pair.direction == "backward"
        edit = diff(Scene.from_dict(fwd.extra["source_scene"]),
                    Scene.from_dict(fwd.extra["target_scene"]))  # fmt: skip
        src, tgt = (Scene.from_dict(bwd.extra[k]) for k in ("source_scene", "target_scene"))
        assert diff(src, tgt) == invert(edit)
        assert bwd.instruction == describe(invert(edit), src) == fwd.inverse_instruction
        assert bwd.pair.edit_type == invert(edit).edit_type
        assert bwd.image("source").data == fwd.image("target").data
        assert bwd.image("target").data == fwd.image("source").data
    judged = {r["messages"][0]["content"][-1]["text"] for r in server.requests}
    assert all(any(b.instruction in t for t in judged) for b in backwards)
    stats = pl.read_parquet(tmp_path / "out" / "stats.parquet").filter(pl.col("task") == "it2i")
    by_id = dict(zip(stats["id"], stats["vlm_score.expected"], strict=True))
    removes = [b for b in backwards if b.instruction.startswith("Remove")]
    assert removes
    for b in removes:  # a backward "remove" of a forward "add": its own, lower score
        assert by_id[b.id] == 1.5 and by_id[b.pair.parent_id] == 4.5
    totals = report["totals"]
    assert totals["input"] + totals["emitted"] == totals["kept"] + totals["dropped"]
    manifest = pl.read_parquet(tmp_path / "out" / "manifest.parquet")
    kept_bwd = manifest.filter(pl.col("direction") == "backward")
    assert kept_bwd.height and set(kept_bwd["dataset"]) == {str(derived.root.resolve())}
    row = kept_bwd.row(0, named=True)
    assert read_manifest_row_sample(row["dataset"], row).id == row["id"]
    assert json.loads((tmp_path / "out" / "report.json").read_text())["funnel"][0]["emitted"]
