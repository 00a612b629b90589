"""``python -m evaluation.imgedit``: judge edited images the official way and score them."""

from __future__ import annotations

import argparse
from pathlib import Path

from evaluation.cli import (
    add_judge_options,
    base_parser,
    benchmarks_root,
    main_guard,
    print_scores,
    run_name,
)
from evaluation.errors import BadInput
from evaluation.imgedit.data import EditItem, judge_text, load_items, load_prompts
from evaluation.imgedit.scorer import score_judgements
from evaluation.judgements import Judgement, append_judgements, read_judgements
from evaluation.judging import JudgeOptions, ask_all, open_image_bytes, open_judge
from evaluation.store import RunDir, file_sha256, write_records, write_run_info, write_scores
from models.external.chat import ChatRequest

BENCHMARK = "imgedit"
DESCRIPTION = """\
ImgEdit-Bench (basic single-turn editing, 9 edit types, GPT-judged 1-5), scored as the official
step 1 / step 2 scripts do; overall = mean of the 9 type scores, as the paper defines it.

Edited images are read from RESULTS/RUN/imgedit/outputs/<key>.png. The 'score' stage asks the
judge (original + edited image, the type's prompt) into judgements.jsonl (resumable, cached),
then scores. With --records FILE, 'score' uses recorded judge replies only.

The generate stage needs an editing interface on the Mammoth2 model, which does not exist yet;
produce outputs/<key>.png with your own editing run meanwhile.

examples:
  python -m evaluation.imgedit ckpt/ --stage score --images Benchmark/ --judge openai:http://127.0.0.1:8000/v1:gpt-4.1
  python -m evaluation.imgedit --stage score --records judgements.jsonl --run rescored
"""
BASIC = Path("imgedit") / "Basic"
EDITED_MIME = "image/png"  # the official call labels every image as PNG (spec 3.2)


def build_parser() -> argparse.ArgumentParser:
    p = base_parser("python -m evaluation.imgedit", DESCRIPTION)
    p.add_argument("--data", help="basic_edit.json (default: the official file)")
    p.add_argument("--prompts", help="judge prompts.json (default: the official file)")
    p.add_argument("--images", help="root of the original images (Benchmark.tar extracted)")
    p.add_argument("--records", help="score this recorded judgements.jsonl alone")
    add_judge_options(p)
    return p


def _request(template: str, item: EditItem, original: bytes, edited: bytes) -> ChatRequest:
    content = [
        {"type": "text", "text": judge_text(template, item.instruction)},
        {"type": "image", "image": original, "mime": EDITED_MIME},
        {"type": "image", "image": edited, "mime": EDITED_MIME},
    ]
    return ChatRequest([{"role": "user", "content": content}], max_tokens=1024)


def judge(args: argparse.Namespace, items: list[EditItem], run_dir: RunDir, path: Path) -> dict:
    """Ask the judge for every item not yet in ``path``; missing images are recorded failures.

    Returns the judge's identity for run.json."""
    if not args.judge or not args.images:
        raise BadInput("command line", None, "scoring images needs --judge and --images")
    prompts = load_prompts(args.prompts or benchmarks_root() / BASIC / "prompts.json")
    done = {j.key for j in read_judgements(path)} if path.exists() else set()
    todo, failures = [], []
    for item in items:
        if item.key in done:
            continue
        original = open_image_bytes(Path(args.images) / item.image)
        edited = open_image_bytes(run_dir.outputs / f"{item.key}.png")
        if original is None or edited is None:
            failures.append(Judgement(item.key, None, error="missing original or edited image"))
            continue
        todo.append((item.key, _request(prompts[item.edit_type], item, original, edited)))
    append_judgements(path, failures)
    backend = open_judge(JudgeOptions(args.judge, args.concurrency, args.device), run_dir.root)

    def write(replies):
        append_judgements(path, [Judgement(k, r.text, error=r.error) for k, r in replies])

    ask_all(backend, todo, write, progress=not args.no_progress)
    return backend.describe()


@main_guard
def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    run_dir = RunDir.create(args.out, run_name(args), BENCHMARK)
    data = Path(args.data) if args.data else benchmarks_root() / BASIC / "basic_edit.json"
    items = load_items(data)
    if args.stage in ("generate", "all") and not args.records:
        raise BadInput(
            args.ckpt or "CKPT",
            None,
            "ImgEdit generation needs an editing API on "
            "models.Mammoth2, which does not exist yet; write outputs/<key>.png and "
            "run --stage score",
        )
    records = Path(args.records) if args.records else run_dir.path("judgements.jsonl")
    judge_info = {"records": args.records} if args.records else {}
    if not args.records:
        judge_info = judge(args, items, run_dir, records)
    rows, scores = score_judgements(items, read_judgements(records))
    write_records(run_dir, rows)
    write_scores(run_dir, scores)
    write_run_info(
        run_dir,
        benchmark=BENCHMARK,
        checkpoint=args.ckpt,
        data={"path": str(data), "sha256": file_sha256(data)},
        judge=judge_info,
        seeds=[args.seed],
        settings={"images": args.images},
    )
    print_scores(scores, digits=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
