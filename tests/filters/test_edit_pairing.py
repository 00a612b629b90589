"""edit_pairing on the shapes world: each backward pair is exactly the inverse of its forward
edit (checked against the stored scene graphs), shares its group, and is re-scored by the judge.
Without inverse instructions the rules or a loopback judge write them; a judge that fails or
answers badly costs the backward pair only, with the reason recorded."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
from filter_helpers import edit, image, run_recipe
from judge_server import JudgeServer, request_text

from corpus.dataset import Dataset, read_manifest_row_sample
from corpus.ingest import IngestConfig, SourceSpec, ingest
from corpus.schema import Sample
from corpus.shapes import Scene, describe, diff, invert
from filters.operators.edit_pairing import EditPairing, EditPairingParams


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


def without_inverses(raw: Path, out: Path) -> Dataset:
    """The shapes world's edit triplets as real edit datasets ship them: no inverse instruction."""
    records = [json.loads(line) for line in raw.read_text().splitlines()]
    for record in records:
        del record["inverse_instruction"]
        for role in ("source", "target"):
            record[role] = str(raw.parent / record[role])
    path = out / "raw" / "edits.jsonl"
    path.parent.mkdir(parents=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in records))
    ingest([SourceSpec(path)], IngestConfig(out=out / "ds", workers=1, progress=False))
    return Dataset.open(out / "ds")


def undo(prompt: str) -> str:
    """The loopback judge's inverse: it reads the forward instruction off the prompt."""
    return UNDO + prompt.split("instruction:\n", 1)[1].split("\n", 1)[0]


UNDO = "Undo this edit: "


def test_edits_without_inverses_are_paired_by_rule_or_judge_and_rescored(shapes, tmp_path):
    dataset = without_inverses(shapes.root.parent / "raw" / "edits" / "edits.jsonl", tmp_path)
    with JudgeServer(reply=undo) as writer, JudgeServer(score=score) as scorer:
        recipe = tmp_path / "pairs.yaml"
        recipe.write_text(
            f"name: pairs\nsteps:\n  - op: edit_pairing\n    judge: '{writer.spec('writer')}'\n"
            f"  - op: vlm_score\n    judge: '{scorer.spec()}'\n    min_score: 3.0\n"
        )
        run_recipe(recipe, dataset, tmp_path / "out", workers=1)
    forwards = {s.id: s for s in dataset}
    assert all(s.inverse_instruction is None for s in forwards.values())
    backwards = {b.pair.parent_id: b for b in Dataset.open(tmp_path / "out" / "derived")}
    assert backwards.keys() == forwards.keys()  # every shapes edit is invertible
    rows = {r["id"]: r for r in pl.read_parquet(tmp_path / "out" / "stats.parquet").to_dicts()}
    by = {k: rows[k]["edit_pairing.inverse_by"] for k in forwards}
    assert set(by.values()) == {"rule", "judge"}
    for key, fwd in forwards.items():
        bwd, row = backwards[key], rows[key]
        assert (
            bwd.instruction == row["edit_pairing.inverse"] and row["edit_pairing.no_pair"] is None
        )
        assert bwd.inverse_instruction == fwd.instruction
        if by[key] == "judge":
            assert bwd.instruction == UNDO + fwd.instruction
            assert row["edit_pairing.judge"] == "openai:writer"
            continue
        assert row["edit_pairing.judge"] is None
        change = diff(*(Scene.from_dict(fwd.extra[f"{r}_scene"]) for r in ("source", "target")))
        if change.edit_type in ("add", "recolour", "replace"):  # the shapes world's own inverse
            src = Scene.from_dict(bwd.extra["source_scene"])
            assert bwd.instruction == describe(invert(change), src)
    judged = sorted(backwards[k].instruction for k, v in by.items() if v == "judge")
    assert sorted(undo(request_text(r)) for r in writer.requests) == judged  # one call each
    assert all(len(r["messages"][0]["content"]) == 3 for r in writer.requests)  # 2 images, text
    scored = [request_text(r) for r in scorer.requests]
    for bwd in backwards.values():  # re-scored on their own, after pairing, in the same recipe
        assert any(bwd.instruction in t for t in scored)
        assert rows[bwd.id]["vlm_score.expected"] is not None


def triplet(key: str, instruction: str, edit_type: str = "add") -> Sample:
    sample = edit(key, image("source"), image("target"), edit_type)
    sample.instruction, sample.inverse_instruction = instruction, None
    return sample


REPLIES = {  # forward instruction -> the loopback judge's reply
    "Put a hat on the man": "Take the hat off the man.",
    "Put a scarf on the man": "Take the scarf off.\nThen smile.",
    "Put a bag on the man": "put a bag on the man",
    "Put a cap on the man": "",
}
EXPECTED = {  # id -> inverse_by, inverse, no_pair
    "given": ("given", "make it red", None),
    "rule": ("rule", "Remove the dog", None),
    "hat": ("judge", "Take the hat off the man.", None),
    "scarf": (
        "judge",
        None,
        r"judge reply is not one non-empty line: 'Take the scarf off.\nThen smile.'",
    ),
    "bag": ("judge", None, "judge reply repeats the forward instruction"),
    "cap": ("judge", None, "judge reply is not one non-empty line: ''"),
    "style": (None, None, "edit type 'style' is not invertible"),
}


def write_inverse(prompt: str) -> str:
    return next(reply for forward, reply in REPLIES.items() if forward in prompt)


def test_the_judge_writes_what_rules_cannot_and_a_bad_reply_costs_only_the_pair():
    samples = [
        edit("given", image("source"), image("target")),
        triplet("rule", "Add a dog next to the tree"),
        *(triplet(word, f"Put a {word} on the man") for word in ("hat", "scarf", "bag", "cap")),
        triplet("style", "Make it a watercolour", "style"),
    ]
    with JudgeServer(reply=write_inverse) as server:
        op = EditPairing(EditPairingParams(judge=server.spec("writer")))
        op.setup()
        stats = dict(zip(EXPECTED, op.run_measure(samples), strict=True))
    for key, (by, inverse, no_pair) in EXPECTED.items():
        s = stats[key]
        assert (s["inverse_by"], s["inverse"], s["no_pair"]) == (by, inverse, no_pair)
        assert s["judge"] == ("openai:writer" if by == "judge" else None)
        assert s["invertible"] == (inverse is not None) and op.judge(s) is None  # forward kept
    children = [c for sample in samples for c in op.run_emit(sample, stats[sample.id])]
    assert [(c.id, c.instruction) for c in children] == [
        ("given-bwd", "make it red"),
        ("rule-bwd", "Remove the dog"),
        ("hat-bwd", "Take the hat off the man."),
    ]
    assert len(server.requests) == 4  # only what neither the input nor a rule inverted
    for body in server.requests:
        assert [p["type"] for p in body["messages"][0]["content"]] == ["image_url"] * 2 + ["text"]
        assert body["temperature"] == 0.0


def test_without_a_judge_or_its_answer_only_the_backward_pair_is_missing(tmp_path):
    cache = tmp_path / "judge.jsonl"
    with JudgeServer(reply=write_inverse) as server:
        live = EditPairing(EditPairingParams(judge=server.spec("writer"), cache=str(cache)))
        live.setup()
        live.run_measure([triplet("hat", "Put a hat on the man")])
    samples = [
        triplet("rule", "remove the cat"),
        triplet("hat", "Put a hat on the man"),  # in the cache
        triplet("bag", "Put a bag on the man"),  # never asked
    ]
    replay = EditPairing(EditPairingParams(judge=f"replay:{cache}"))
    replay.setup()
    rule, hat, bag = replay.run_measure(samples)
    assert (rule["inverse"], rule["inverse_by"]) == ("add a cat", "rule")
    assert (hat["inverse"], hat["inverse_by"]) == ("Take the hat off the man.", "judge")
    assert bag["no_pair"].startswith(f"judge failed: {cache}: no recorded reply for request")
    assert not bag["invertible"] and replay.judge(bag) is None  # no error: the forward stays
    unjudged = EditPairing()
    unjudged.setup()
    bag = unjudged.run_measure(samples)[2]
    assert bag["no_pair"] == "no rule parses the instruction and no judge is set"
    assert bag["inverse_by"] is None and unjudged.judge(bag) is None
