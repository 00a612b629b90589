"""``python -m evaluation.realunify``: RealUnify UEG (direct or stepwise: generate, judge yes/no
questions, score) and GEU (direct or stepwise: ask the model, score its multiple-choice replies;
``geu_run``)."""

from __future__ import annotations

import argparse
from pathlib import Path

from corpus.atomic import atomic_path
from evaluation.cli import (
    add_judge_options,
    base_parser,
    main_guard,
    print_scores,
    run_name,
)
from evaluation.distributed import is_main_rank
from evaluation.errors import BadInput
from evaluation.generation import generate_images, generate_missing, save_image
from evaluation.judgements import Judgement, append_judgements, read_judgements
from evaluation.judging import JudgeOptions, ask_all, open_image_bytes, open_judge
from evaluation.realunify.data import (
    GEU_FILE,
    UEG_FILE,
    UEGItem,
    is_stepwise,
    judge_question,
    load_items,
)
from evaluation.realunify.geu_run import run_geu
from evaluation.realunify.scorer import NO_IMAGE, PROFILES, score_judgements
from evaluation.store import RunDir, data_identity, write_results
from models.external.chat import ChatRequest

# Results folder per UEG variant: each has its own published rows (reference_scores). GEU's
# folders (realunify_geu, realunify_geu_step) are named in geu_run.
BENCHMARKS = {"direct": "realunify", "step": "realunify_step"}
DESCRIPTION = """\
RealUnify. UEG (understanding enhances generation, --suite ueg, default): 600 prompts in 6 task
types; a judge answers yes/no questions about each generated image; an item counts only if all
answers match. GEU (generation enhances understanding, --suite geu): 400 multiple-choice items
in 4 task types; the model answers each 'evaluation_prompt' looking at its 'input_image'
(GEU_step.json: it first edits the image by 'edit_prompt', then answers looking at its edit);
replies are scored as the official eval_understanding.py. Accuracies are in %, as the paper
reports them.

The data (UEG_direct.json, UEG_step.json, GEU_*.json) are academic-only and not shipped: pass
your copy with --data. UEG_step.json (items with 'new_prompt') runs the stepwise (CoT) variant:
the model first answers new_prompt (kept in responses/<key>.txt), then draws from its answer.
Images go to RESULTS/RUN/realunify[_step]/outputs/<key>.png (sharded over ranks under torchrun,
resumable); judge replies to judgements.jsonl (resumable, cached). With --records FILE, 'score'
uses recorded replies only. GEU replies go to RESULTS/RUN/realunify_geu[_step]/responses.jsonl
(one {"key", "response"} line per item, resumable; stepwise edits in outputs/<key>.png); input
images are read from --images ROOT (default: the folder of --data, the HF dataset's layout);
'score' uses --records FILE (such a responses.jsonl), else the responses the data file carries
(the official evaluator's input), else this run's.

examples:
  python -m evaluation.realunify ckpt/ --data UEG_direct.json --judge openai:http://127.0.0.1:8000/v1:gemini-2.5-pro
  python -m evaluation.realunify ckpt/ --data UEG_step.json --judge openai:http://127.0.0.1:8000/v1:gemini-2.5-pro
  python -m evaluation.realunify --stage score --data UEG_direct.json --records judgements.jsonl
  python -m evaluation.realunify ckpt/ --suite geu --data RealUnify/GEU_direct.json
  python -m evaluation.realunify ckpt/ --suite geu --data RealUnify/GEU_step.json --resolution 1024
  python -m evaluation.realunify --suite geu --stage score --data GEU_direct.json --records r.jsonl
  python -m evaluation.realunify --suite geu --data GEU_direct_with_responses.json
"""
EMPTY_REPLY_ATTEMPTS = 15  # the official evaluator re-asks while the reply is empty (spec 4.3)
RESPONSES = "responses"  # stepwise variant: the model's answer to new_prompt, one file per item


def build_parser() -> argparse.ArgumentParser:
    p = base_parser("python -m evaluation.realunify", DESCRIPTION)
    p.add_argument("--suite", choices=("ueg", "geu"), default="ueg", help="UEG or GEU")
    p.add_argument(
        "--data",
        help="UEG_direct.json, UEG_step.json or GEU_*.json (JSON/JSONL, or a Hugging Face dataset "
        "folder); default: $MAMMOTH2_BENCHMARKS/realunify/{UEG,GEU}_direct.json",
    )
    p.add_argument(
        "--max-new-tokens",
        type=int,
        default=512,
        help="length limit of the model's text answers (UEG_step: to new_prompt; GEU: to the "
        "question)",
    )
    p.add_argument(
        "--resolution",
        type=int,
        help="UEG: image side in pixels (default: the model's); GEU_step: scale input images "
        "down to at most R x R pixels before editing (default: edit at the source size)",
    )
    p.add_argument(
        "--images", help="GEU: root of the input_image paths (default: the folder of --data)"
    )
    p.add_argument("--records", help="score this alone: UEG judgements.jsonl, GEU responses.jsonl")
    p.add_argument(
        "--profile",
        choices=PROFILES,
        default="official",
        help="official: /100 per task type and /100 per type for the total; fixed: /items present",
    )
    add_judge_options(p)
    return p


def _refined_prompt(model, item: UEGItem, folder: Path, max_new_tokens: int) -> str:
    """The model's answer to the item's ``new_prompt``, kept on disk so a resumed run reuses
    it (the image is generated from this answer)."""
    path = folder / f"{item.key}.txt"
    if path.exists():
        return read_response(path)
    message = {"role": "user", "content": [{"type": "text", "text": item.new_prompt}]}
    response = model.chat([message], max_new_tokens=max_new_tokens)
    folder.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        tmp.write_bytes(response.encode("utf-8"))
    return response


def read_response(path: Path) -> str:
    """A kept response exactly as the model wrote it (no newline translation: "\r" stays)."""
    return path.read_bytes().decode("utf-8")


def generate(args: argparse.Namespace, items: list[UEGItem], run_dir: RunDir) -> None:
    """One image per item (item i seeded ``seed + i``), from the prompt or, stepwise, from the
    model's own answer to ``new_prompt``."""
    seeds = {item.key: args.seed + i for i, item in enumerate(items)}

    def make(model, item: UEGItem) -> None:
        prompt = item.prompt
        if item.new_prompt is not None:
            prompt = _refined_prompt(model, item, run_dir.path(RESPONSES), args.max_new_tokens)
        [image] = generate_images(model, [prompt], args.resolution, seeds[item.key], args.steps)
        save_image(image, run_dir.outputs / f"{item.key}.png")

    def done(item: UEGItem) -> bool:
        return (run_dir.outputs / f"{item.key}.png").exists()

    generate_missing(items, done, make, args.ckpt, progress=not args.no_progress)


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


def score_ueg(
    args: argparse.Namespace, items: list[UEGItem], run_dir: RunDir, variant: str
) -> None:
    """Judge the generated images (unless --records) and write the UEG results."""
    records = Path(args.records) if args.records else run_dir.path("judgements.jsonl")
    judge_info = (
        judge(args, items, run_dir, records) if not args.records else {"records": args.records}
    )
    rows, scores = score_judgements(items, read_judgements(records), args.profile)
    if variant == "step":
        for row in rows:
            path = run_dir.path(RESPONSES) / f"{row['key']}.txt"
            row["response"] = read_response(path) if path.exists() else None
    scores["variant"] = variant
    write_results(
        run_dir,
        rows,
        scores,
        benchmark=BENCHMARKS[variant],
        checkpoint=args.ckpt,
        data=data_identity(args.data),
        judge=judge_info,
        seeds=[args.seed],
        settings={
            "profile": args.profile,
            "variant": variant,
            "resolution": args.resolution,
            "steps": args.steps,
            "max_new_tokens": args.max_new_tokens,
        },  # fmt: skip
    )
    print_scores(scores, digits=2)


@main_guard
def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    args.data = str((GEU_FILE if args.suite == "geu" else UEG_FILE).locate(args.data))
    if args.suite == "geu":
        return run_geu(args)
    items = load_items(args.data)
    variant = "step" if is_stepwise(items) else "direct"
    run_dir = RunDir.create(args.out, run_name(args), BENCHMARKS[variant])
    if args.stage in ("generate", "all") and not args.records:
        generate(args, items, run_dir)
    if args.stage == "generate" or not is_main_rank():
        return 0
    score_ueg(args, items, run_dir, variant)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
