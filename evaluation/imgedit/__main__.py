"""``python -m evaluation.imgedit``: judge edited images the official way and score them."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from evaluation.benchmark_data import BenchmarkFile
from evaluation.cli import (
    add_judge_options,
    base_parser,
    main_guard,
    print_scores,
    run_name,
)
from evaluation.distributed import is_main_rank
from evaluation.errors import BadInput
from evaluation.generation import edit_image, fit_pixels, generate_missing, save_image
from evaluation.imgedit.data import (
    BASIC_ITEMS,
    BASIC_PROMPTS,
    UGE_ITEMS,
    UGE_PROMPTS,
    EditItem,
    judge_text,
    load_items,
    load_prompts,
    load_uge_prompt,
)
from evaluation.imgedit.scorer import score_judgements
from evaluation.judgements import Judgement, append_judgements, read_judgements
from evaluation.judging import JudgeOptions, ask_all, load_rgb, open_image_bytes, open_judge
from evaluation.store import RunDir, data_identity, file_sha256, write_results
from models.external.chat import ChatRequest

DESCRIPTION = """\
ImgEdit-Bench, GPT-judged 1-5, scored as the official step 1 / step 2 scripts do. --suite basic
(default): single-turn editing, 9 edit types; overall = mean of the 9 type scores, as the paper
defines it. --suite uge: the 47 UGE items, one overall score (mean of item scores) from a single
judge prompt; the official UGE prompt is not available, so the default is our wording of it
(evaluation/imgedit/uge_prompt.json; run.json records which prompt judged).

Edited images are read from RESULTS/RUN/BENCH/outputs/<key>.png (BENCH: imgedit, imgedit_uge).
The 'score' stage asks the judge (original + edited image, the prompt) into judgements.jsonl
(resumable, cached), then scores. With --records FILE, 'score' uses recorded judge replies only.

Stages: 'generate' edits every source image (--images ROOT/<id>) with its instruction through
Mammoth2.edit into RESULTS/RUN/BENCH/outputs/<key>.png, the official result layout (sharded
over ranks under torchrun, resumable: existing outputs are kept). 'score' judges and scores.

examples:
  python -m evaluation.imgedit ckpt/ --images Benchmark/Basic --judge openai:http://127.0.0.1:8000/v1:gpt-4.1
  python -m evaluation.imgedit ckpt/ --suite uge --images Benchmark/UGE --judge openai:http://127.0.0.1:8000/v1:gpt-4.1
  python -m evaluation.imgedit ckpt/ --stage generate --images Benchmark/Basic --resolution 1024
  python -m evaluation.imgedit --stage score --records judgements.jsonl --run rescored
"""


@dataclass(frozen=True)
class Suite:
    """One ImgEdit suite: its results folder, default files and how its prompts load."""

    benchmark: str
    data: BenchmarkFile  # the items
    prompts: BenchmarkFile  # the judge prompts
    typed: bool  # items carry an edit_type (basic) or not (UGE)
    load_prompts: Callable[[Path], dict]  # edit_type (None for UGE) -> template
    wording: str  # what the bundled prompts are, recorded in run.json


SUITES = {
    "basic": Suite(
        "imgedit",
        BASIC_ITEMS,
        BASIC_PROMPTS,
        True,
        load_prompts,
        "official (ImgEdit Benchmark/Basic/prompts.json)",
    ),
    "uge": Suite(
        "imgedit_uge",
        UGE_ITEMS,
        UGE_PROMPTS,
        False,
        load_uge_prompt,
        "ours, after gen_edit_benchmarks.md 3.5; not the official UGE_bench.py text",
    ),
}
EDITED_MIME = "image/png"  # the official call labels every image as PNG (spec 3.2)


def build_parser() -> argparse.ArgumentParser:
    p = base_parser("python -m evaluation.imgedit", DESCRIPTION)
    p.add_argument("--suite", choices=tuple(SUITES), default="basic", help="basic or uge")
    p.add_argument(
        "--data",
        help="basic_edit.json or UGE_edit.json (default: the suite's official file, bundled)",
    )
    p.add_argument(
        "--prompts",
        help="judge prompts: basic, a prompts.json (edit_type -> template; default: the "
        "official file, bundled); uge, a JSON object whose 'prompt' is the template (default: "
        "our uge_prompt.json)",
    )
    p.add_argument("--images", help="root of the original images (Benchmark.tar extracted)")
    p.add_argument(
        "--resolution",
        type=int,
        help="scale sources down to at most R x R pixels before editing, aspect kept "
        "(default: edit at the source size)",
    )
    p.add_argument("--records", help="score this recorded judgements.jsonl alone")
    add_judge_options(p)
    return p


def _images_root(args: argparse.Namespace) -> Path:
    if not args.images:
        raise BadInput("command line", None, "ImgEdit needs --images (root of the source images)")
    return Path(args.images)


def _output(run_dir: RunDir, item: EditItem) -> Path:
    return run_dir.outputs / f"{item.key}.png"


def generate(args: argparse.Namespace, items: list[EditItem], run_dir: RunDir) -> None:
    """Edit each source by its instruction; item i is seeded ``seed + i`` (rank-independent)."""
    root = _images_root(args)  # checked before any model is loaded
    seeds = {item.key: args.seed + i for i, item in enumerate(items)}
    max_pixels = args.resolution * args.resolution if args.resolution else None

    def make(model, item: EditItem) -> None:
        path = root / item.image
        if not path.is_file():
            raise BadInput(path, item.key, "source image not found")
        source = fit_pixels(load_rgb(path), max_pixels)
        edited = edit_image(model, source, item.instruction, seeds[item.key], args.steps)
        save_image(edited, _output(run_dir, item))

    def done(item: EditItem) -> bool:
        return _output(run_dir, item).exists()

    generate_missing(items, done, make, args.ckpt, progress=not args.no_progress)


def _request(template: str, item: EditItem, original: bytes, edited: bytes) -> ChatRequest:
    content = [
        {"type": "text", "text": judge_text(template, item.instruction)},
        {"type": "image", "image": original, "mime": EDITED_MIME},
        {"type": "image", "image": edited, "mime": EDITED_MIME},
    ]
    return ChatRequest([{"role": "user", "content": content}], max_tokens=1024)


def _prompts(args: argparse.Namespace, suite: Suite) -> tuple[dict, dict]:
    """The suite's judge templates and their identity for run.json (path, sha256, wording)."""
    path = suite.prompts.locate(args.prompts)
    wording = suite.wording if path == suite.prompts.bundled else f"from {path}"
    if args.prompts:
        wording = "given with --prompts"
    prompts = suite.load_prompts(path)  # a missing or bad file is a one-line error
    return prompts, {"path": str(path), "sha256": file_sha256(path), "wording": wording}


def judge(
    args: argparse.Namespace, suite: Suite, items: list[EditItem], run_dir: RunDir, path: Path
) -> dict:
    """Ask the judge for every item not yet in ``path``; missing images are recorded failures.

    Returns the judge's and the prompts' identity for run.json."""
    if not args.judge:
        raise BadInput("command line", None, "judging edited images needs --judge")
    prompts, prompts_identity = _prompts(args, suite)
    done = {j.key for j in read_judgements(path)} if path.exists() else set()
    todo, failures = [], []
    for item in items:
        if item.key in done:
            continue
        original = open_image_bytes(_images_root(args) / item.image)
        edited = open_image_bytes(_output(run_dir, item))
        if original is None or edited is None:
            failures.append(Judgement(item.key, None, error="missing original or edited image"))
            continue
        todo.append((item.key, _request(prompts[item.edit_type], item, original, edited)))
    append_judgements(path, failures)
    backend = open_judge(JudgeOptions(args.judge, args.concurrency, args.device), run_dir.root)

    def write(replies):
        append_judgements(path, [Judgement(k, r.text, error=r.error) for k, r in replies])

    ask_all(backend, todo, write, progress=not args.no_progress)
    return {**backend.describe(), "prompts": prompts_identity}


@main_guard
def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    suite = SUITES[args.suite]
    run_dir = RunDir.create(args.out, run_name(args), suite.benchmark)
    data = suite.data.locate(args.data)
    items = load_items(data, with_type=suite.typed)
    if args.stage in ("generate", "all") and not args.records:
        generate(args, items, run_dir)
    if args.stage == "generate" or not is_main_rank():
        return 0
    records = Path(args.records) if args.records else run_dir.path("judgements.jsonl")
    judge_info = {"records": args.records} if args.records else {}
    if not args.records:
        judge_info = judge(args, suite, items, run_dir, records)
    rows, scores = score_judgements(items, read_judgements(records))
    write_results(
        run_dir,
        rows,
        scores,
        benchmark=suite.benchmark,
        checkpoint=args.ckpt,
        data=data_identity(data),
        judge=judge_info,
        seeds=[args.seed],
        settings={
            "suite": args.suite,
            "images": args.images,
            "resolution": args.resolution,
            "steps": args.steps,
        },
    )
    print_scores(scores, digits=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
