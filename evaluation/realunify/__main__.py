"""``python -m evaluation.realunify``: RealUnify UEG, generate, judge yes/no questions, score."""

from __future__ import annotations

import argparse
from pathlib import Path

from tqdm import tqdm

from evaluation.cli import (
    add_judge_options,
    base_parser,
    main_guard,
    print_scores,
    rank_world,
    run_name,
    shard,
)
from evaluation.errors import BadInput
from evaluation.generation import generate_images, load_model
from evaluation.judgements import Judgement, append_judgements, read_judgements
from evaluation.judging import JudgeOptions, ask_all, open_image_bytes, open_judge
from evaluation.realunify.data import UEGItem, judge_question, load_items
from evaluation.realunify.scorer import NO_IMAGE, PROFILES, score_judgements
from evaluation.store import RunDir, file_sha256, write_records, write_run_info, write_scores
from models.external.chat import ChatRequest

BENCHMARK = "realunify"
DESCRIPTION = """\
RealUnify UEG (understanding enhances generation): 600 prompts in 6 task types; a judge answers
yes/no questions about each generated image; an item counts only if all answers match.

The data (UEG_direct.json) are academic-only and not shipped: pass your copy with --data.
Images go to RESULTS/RUN/realunify/outputs/<key>.png; judge replies to judgements.jsonl
(resumable, cached). With --records FILE, 'score' uses recorded replies only.

examples:
  python -m evaluation.realunify ckpt/ --data UEG_direct.json --judge openai:http://127.0.0.1:8000/v1:gemini-2.5-pro
  python -m evaluation.realunify --stage score --data UEG_direct.json --records judgements.jsonl
"""
EMPTY_REPLY_ATTEMPTS = 15  # the official evaluator re-asks while the reply is empty (spec 4.3)


def build_parser() -> argparse.ArgumentParser:
    p = base_parser("python -m evaluation.realunify", DESCRIPTION)
    p.add_argument("--data", required=True, help="UEG_direct.json (or UEG_step.json), JSON/JSONL")
    p.add_argument("--resolution", type=int, help="image side in pixels (default: the model's)")
    p.add_argument("--records", help="score this recorded judgements.jsonl alone")
    p.add_argument(
        "--profile",
        choices=PROFILES,
        default="official",
        help="official: /100 per task and /600 total; fixed: /items present",
    )
    add_judge_options(p)
    return p


def generate(args: argparse.Namespace, items: list[UEGItem], run_dir: RunDir) -> None:
    todo = [i for i in shard(items) if not (run_dir.outputs / f"{i.key}.png").exists()]
    if not todo:
        return
    model = load_model(args.ckpt)
    for item in tqdm(todo, desc="generate", disable=args.no_progress):
        [image] = generate_images(model, [item.prompt], args.resolution, args.seed, args.steps)
        image.save(run_dir.outputs / f"{item.key}.png")


def _pending(items: list[UEGItem], run_dir: RunDir, path: Path) -> tuple[list, list[Judgement]]:
    """Requests not yet answered (or answered empty), and failures for items without an image."""
    answered = (
        {(j.key, j.question) for j in read_judgements(path) if j.reply} if path.exists() else set()
    )
    todo, failures = [], []
    for item in items:
        image = open_image_bytes(run_dir.outputs / f"{item.key}.png")
        if image is None:
            if (item.key, None) not in answered:
                failures.append(Judgement(item.key, None, None, NO_IMAGE))
            continue
        for q, (question, _) in enumerate(item.questions):
            if (item.key, q) not in answered:
                message = {
                    "role": "user",
                    "content": [
                        {"type": "image", "image": image},
                        {"type": "text", "text": judge_question(question)},
                    ],
                }
                todo.append(((item.key, q), ChatRequest([message], max_tokens=64)))
    return todo, failures


def judge(args: argparse.Namespace, items: list[UEGItem], run_dir: RunDir, path: Path) -> dict:
    if not args.judge:
        raise BadInput("command line", None, "judging images needs --judge")
    backend = open_judge(JudgeOptions(args.judge, args.concurrency, args.device), run_dir.root)

    def write(replies):
        rows = [Judgement(k, r.text, q, r.error) for (k, q), r in replies]
        append_judgements(path, rows)

    for _ in range(EMPTY_REPLY_ATTEMPTS):
        todo, failures = _pending(items, run_dir, path)
        append_judgements(path, failures)
        if not todo:
            break
        ask_all(backend, todo, write, progress=not args.no_progress)
    return backend.describe()


@main_guard
def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    run_dir = RunDir.create(args.out, run_name(args), BENCHMARK)
    items = load_items(args.data)
    if args.stage in ("generate", "all") and not args.records:
        generate(args, items, run_dir)
    if args.stage == "generate" or rank_world()[0] != 0:
        return 0
    records = Path(args.records) if args.records else run_dir.path("judgements.jsonl")
    judge_info = (
        judge(args, items, run_dir, records) if not args.records else {"records": args.records}
    )
    rows, scores = score_judgements(items, read_judgements(records), args.profile)
    write_records(run_dir, rows)
    write_scores(run_dir, scores)
    write_run_info(
        run_dir,
        benchmark=BENCHMARK,
        checkpoint=args.ckpt,
        data={"path": args.data, "sha256": file_sha256(args.data)},
        judge=judge_info,
        seeds=[args.seed],
        settings={"profile": args.profile, "resolution": args.resolution},
    )
    print_scores(scores)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
