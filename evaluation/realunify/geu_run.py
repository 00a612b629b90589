"""RealUnify GEU stages: ask the model (generate) and score its recorded responses.

Direct (``GEU_direct.json``): the model answers each item's ``evaluation_prompt`` with its
input image(s) through ``Mammoth2.chat`` (images first, then the text). Stepwise
(``GEU_step.json``): the model first edits the input image with ``edit_prompt`` through
``Mammoth2.edit`` (item i seeded ``seed + i``; kept in ``outputs/<key>.png``), then answers
``evaluation_prompt`` looking at the edited image only, as the official README asks.

Responses are appended, one JSON line per item, to ``responses.jsonl`` in the results folder
(``{"key": KEY, "response": TEXT}``; under torchrun each rank writes ``responses.rank<r>.jsonl``
and rank 0 merges them after the barrier). A rerun asks only the items without a line, and
``--stage score --records FILE`` scores such a file alone; a later line for a key replaces an
earlier one. Chat decoding is greedy, so a direct run is deterministic without seeds.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from PIL import Image

from corpus.atomic import atomic_path
from evaluation.cli import print_scores, run_name
from evaluation.distributed import is_main_rank
from evaluation.errors import BadInput
from evaluation.generation import edit_image, fit_pixels, generate_missing, save_image
from evaluation.jsonl import append_jsonl, iter_jsonl, require
from evaluation.judging import load_rgb
from evaluation.realunify.geu import (
    GEUQuestion,
    carried_responses,
    is_stepwise,
    load_questions,
    score_geu,
)
from evaluation.store import RunDir, data_identity, write_results
from evaluation.understanding.predict import part_path

BENCHMARKS = {"direct": "realunify_geu", "step": "realunify_geu_step"}
RESPONSES = "responses"
SUFFIX = ".jsonl"
RULE = "official GEU letter extraction (eval_understanding.py)"


def read_responses(paths: list[Path]) -> dict[str, str | None]:
    """Recorded responses by key, read in order; a later line for a key replaces an earlier."""
    responses: dict[str, str | None] = {}
    for path in paths:
        for lineno, row in iter_jsonl(path):
            key = str(require(row, "key", path, f"line {lineno}"))
            response = require(row, "response", path, f"line {lineno} ({key})")
            if response is not None and not isinstance(response, str):
                raise BadInput(path, f"line {lineno} ({key})", "response must be text or null")
            responses[key] = response
    return responses


def response_files(folder: Path) -> list[Path]:
    """The merged file first, then any rank parts not merged yet."""
    merged = folder / f"{RESPONSES}{SUFFIX}"
    parts = sorted(folder.glob(f"{RESPONSES}.rank*{SUFFIX}"))
    return ([merged] if merged.is_file() else []) + parts


def merge_rank_parts(folder: Path) -> None:
    """Fold the ranks' part files into ``responses.jsonl`` (rank 0, after every rank is done)."""
    files = response_files(folder)
    if not any(".rank" in path.name for path in files):
        return
    merged = folder / f"{RESPONSES}{SUFFIX}"
    rows = [{"key": k, "response": r} for k, r in read_responses(files).items()]
    with atomic_path(merged) as tmp:
        append_jsonl(tmp, rows)
    for path in files:
        if path != merged:
            path.unlink()


def question_messages(images: list[Image.Image], prompt: str) -> list[dict[str, Any]]:
    """One user turn: the images, then the question text."""
    parts: list[dict[str, Any]] = [{"type": "image", "image": image} for image in images]
    parts.append({"type": "text", "text": prompt})
    return [{"role": "user", "content": parts}]


def check_askable(items: list[GEUQuestion], path: Path, root: Path) -> None:
    """Every field and input image the generate stage needs, checked before a model loads."""
    for item in items:
        if item.prompt is None:
            raise BadInput(path, item.key, "missing field 'evaluation_prompt'")
        if not item.images:
            raise BadInput(path, item.key, "missing field 'input_image'")
        if item.edit_prompt is not None and len(item.images) != 1:
            raise BadInput(path, item.key, "a stepwise item edits one input_image")
        for image in item.images:
            if not (root / image).is_file():
                raise BadInput(path, item.key, f"input image not found: {root / image}")


def _edited(
    args: argparse.Namespace, model: Any, item: GEUQuestion, source: Path, seed: int, out: Path
) -> Image.Image:
    """The stepwise edit of the item's image, made once (a resumed run reuses the file)."""
    if out.is_file():
        return load_rgb(out)
    max_pixels = args.resolution * args.resolution if args.resolution else None
    source_image = fit_pixels(load_rgb(source), max_pixels)
    edited = edit_image(model, source_image, item.edit_prompt, seed, args.steps)
    save_image(edited, out)
    return edited


def generate(args: argparse.Namespace, items: list[GEUQuestion], run_dir: RunDir) -> None:
    """Ask every item without a recorded response (this rank's share), appending each answer."""
    data, root = Path(args.data), images_root(args)
    answered = set(read_responses(response_files(run_dir.root)))
    check_askable([item for item in items if item.key not in answered], data, root)
    seeds = {item.key: args.seed + i for i, item in enumerate(items)}
    out = part_path(run_dir.root, RESPONSES, SUFFIX)

    def make(model, item: GEUQuestion) -> None:
        if item.edit_prompt is None:
            images = [load_rgb(root / image) for image in item.images]
        else:
            edited = run_dir.outputs / f"{item.key}.png"
            images = [_edited(args, model, item, root / item.images[0], seeds[item.key], edited)]
        messages = question_messages(images, item.prompt)
        response = model.chat(messages, max_new_tokens=args.max_new_tokens)
        append_jsonl(out, [{"key": item.key, "response": response}])

    # Shard the whole list (not the unanswered rest): every rank then owns the same items
    # whenever it read the responses, so none is skipped or asked twice.
    def done(item: GEUQuestion) -> bool:
        return item.key in answered

    generate_missing(items, done, make, args.ckpt, progress=not args.no_progress)
    if is_main_rank():
        merge_rank_parts(run_dir.root)


def images_root(args: argparse.Namespace) -> Path:
    """Where ``input_image`` paths start: --images, else the data file's folder (the layout of
    the HF dataset, whose JSON files sit at the root of ``image/``)."""
    return Path(args.images) if args.images else Path(args.data).resolve().parent


def _responses(
    args: argparse.Namespace, carried: dict[str, str | None] | None, run_dir: RunDir
) -> tuple[dict[str, str | None], str]:
    if args.records:
        return read_responses([Path(args.records)]), args.records
    if carried is not None:
        return carried, "data"
    return read_responses(response_files(run_dir.root)), str(run_dir.path(RESPONSES + SUFFIX))


def score(
    args: argparse.Namespace,
    items: list[GEUQuestion],
    run_dir: RunDir,
    variant: str,
    carried: dict[str, str | None] | None,
) -> None:
    """Score the responses (--records, carried by the data, or this run's); write results."""
    responses, source = _responses(args, carried, run_dir)
    rows, scores = score_geu([item.scored(responses.get(item.key)) for item in items], args.profile)
    for item, row in zip(items, rows, strict=True):
        row["question"] = item.prompt
        if variant == "step":
            edited = run_dir.outputs / f"{item.key}.png"
            row["edit_image"] = str(edited) if edited.is_file() else None
    scores["variant"] = variant
    write_results(
        run_dir,
        rows,
        scores,
        benchmark=BENCHMARKS[variant],
        checkpoint=args.ckpt,
        data=data_identity(args.data),
        judge={"rule": RULE, "responses": source},
        seeds=[args.seed] if variant == "step" else None,
        settings={
            "profile": args.profile,
            "variant": variant,
            "images": str(images_root(args)),
            "resolution": args.resolution,
            "steps": args.steps,
            "max_new_tokens": args.max_new_tokens,
        },
    )
    print_scores(scores, digits=2)


def run_geu(args: argparse.Namespace) -> int:
    """``--suite geu``: generate (unless the data carry responses or --records), then score."""
    data = Path(args.data)
    items = load_questions(data)
    variant = "step" if is_stepwise(items) else "direct"
    run_dir = RunDir.create(args.out, run_name(args), BENCHMARKS[variant])
    carried = carried_responses(items, data)
    if carried is not None and args.stage == "generate":
        raise BadInput(data, None, "the items already carry responses: nothing to generate")
    if args.stage in ("generate", "all") and carried is None and not args.records:
        generate(args, items, run_dir)
    if args.stage == "generate" or not is_main_rank():
        return 0
    score(args, items, run_dir, variant, carried)
    return 0
