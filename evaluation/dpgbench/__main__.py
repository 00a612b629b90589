"""``python -m evaluation.dpgbench``: DPG-Bench generation, per-tile VQA, and official scoring."""

from __future__ import annotations

import argparse
from pathlib import Path

from evaluation.cli import (
    add_judge_options,
    base_parser,
    main_guard,
    print_scores,
    run_name,
)
from evaluation.distributed import is_main_rank
from evaluation.dpgbench.answers import append_answers, read_answers
from evaluation.dpgbench.questions import (
    PROMPTS_FILE,
    QUESTIONS_FILE,
    ItemQuestions,
    load_prompts,
    load_questions,
)
from evaluation.dpgbench.scorer import PROFILES, score_answers
from evaluation.dpgbench.tiles import PIC_NUM, cut_tiles, make_grid
from evaluation.errors import BadInput
from evaluation.generation import generate_images, generate_missing, save_image
from evaluation.jsonl import iter_jsonl
from evaluation.judging import JudgeOptions, ask_all, load_rgb, open_judge
from evaluation.store import RunDir, data_identity, write_results
from models.external.chat import ChatRequest, user_message

BENCHMARK = "dpgbench"
DESCRIPTION = """\
DPG-Bench (dense prompts, 1,065 items): 4 images per prompt as a 2x2 grid; a VQA model answers
each item's yes/no questions on every tile; scored as the official compute_dpg_one_sample.

dpg_bench.csv (the question table) is not shipped: pass your copy from the ELLA repository with
--data. Grids go to RESULTS/RUN/dpgbench/outputs/<item_id>.png; answers to answers.jsonl
(resumable, cached). With --records FILE, 'score' uses recorded answers only.
--profile official (default) reproduces the published numbers, quirks included (first CSV row
skipped, categories from the last tile's raw answers); --profile fixed corrects them.

examples:
  python -m evaluation.dpgbench ckpt/ --data dpg_bench.csv --judge transformers:/models/vqa
  python -m evaluation.dpgbench --stage score --data dpg_bench.csv --records answers.jsonl
"""
QUESTION_TEMPLATE = "{question}"  # the official VQA gets the question verbatim (spec 2.4)


def build_parser() -> argparse.ArgumentParser:
    p = base_parser("python -m evaluation.dpgbench", DESCRIPTION)
    p.add_argument(
        "--data",
        help="dpg_bench.csv, the question table (default: $MAMMOTH2_BENCHMARKS/dpg_bench/)",
    )
    p.add_argument(
        "--prompts",
        help="folder of <item_id>.txt prompts or one JSON object of them (default: the official "
        "prompts, bundled)",
    )
    p.add_argument("--resolution", type=int, default=512, help="tile side in pixels (default 512)")
    p.add_argument("--pic-num", type=int, default=PIC_NUM, help="tiles scored per image (4)")
    p.add_argument("--records", help="score this recorded answers.jsonl alone")
    p.add_argument("--profile", choices=sorted(PROFILES), default="official")
    p.add_argument(
        "--vqa-template",
        default=QUESTION_TEMPLATE,
        help="text sent with each tile; {question} is replaced (default: verbatim)",
    )
    add_judge_options(p)
    return p


def generate(args: argparse.Namespace, prompts: dict[str, str], run_dir: RunDir) -> None:
    """A 2x2 grid of tiles per prompt (official layout: one flat folder of <item_id>.png)."""

    def make(model, item_id: str) -> None:
        images = generate_images(
            model, [prompts[item_id]] * PIC_NUM, args.resolution, args.seed, args.steps
        )
        save_image(make_grid(images, args.resolution), run_dir.outputs / f"{item_id}.png")

    def done(item_id: str) -> bool:
        return (run_dir.outputs / f"{item_id}.png").exists()

    generate_missing(sorted(prompts), done, make, args.ckpt, progress=not args.no_progress)


def _requests(args, table: dict[str, ItemQuestions], run_dir: RunDir, done: set) -> list:
    todo = []
    for path in sorted(run_dir.outputs.glob("*.png")):
        item_id = path.name.split(".")[0]
        questions = table.get(item_id)
        if questions is None:
            continue
        tiles = cut_tiles(load_rgb(path), args.resolution, args.pic_num)
        for t, tile in enumerate(tiles):
            for qid, question in questions.questions.items():
                if (path.name, t, qid) not in done:
                    text = args.vqa_template.format(question=question)
                    request = ChatRequest([user_message(tile, text)], max_tokens=16)
                    todo.append(((item_id, path.name, t, qid), request))
    return todo


def vqa(
    args: argparse.Namespace, table: dict[str, ItemQuestions], run_dir: RunDir, path: Path
) -> dict:
    """Ask every unanswered (image, tile, question); failed calls are asked again on a rerun."""
    if not args.judge:
        raise BadInput("command line", None, "answering questions needs --judge")
    done = (
        {(o["image"], o["tile"], o["proposition_id"]) for _, o in iter_jsonl(path)}
        if path.exists()
        else set()
    )
    backend = open_judge(JudgeOptions(args.judge, args.concurrency, args.device), run_dir.root)

    def write(replies):
        rows = [
            {"item_id": i, "image": img, "tile": t, "proposition_id": q, "answer": r.text}
            for (i, img, t, q), r in replies
            if r.error is None
        ]
        append_answers(path, rows)

    ask_all(backend, _requests(args, table, run_dir, done), write, progress=not args.no_progress)
    return backend.describe()


@main_guard
def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    run_dir = RunDir.create(args.out, run_name(args), BENCHMARK)
    profile = PROFILES[args.profile]
    if args.stage in ("generate", "all") and not args.records:
        generate(args, load_prompts(PROMPTS_FILE.locate(args.prompts)), run_dir)
    if args.stage == "generate" or not is_main_rank():
        return 0
    data = QUESTIONS_FILE.locate(args.data)
    table = load_questions(data, profile.skip_first_row)
    records = Path(args.records) if args.records else run_dir.path("answers.jsonl")
    judge_info = (
        vqa(args, table, run_dir, records) if not args.records else {"records": args.records}
    )
    rows, scores = score_answers(table, read_answers(records), profile, str(records))
    write_results(
        run_dir,
        rows,
        scores,
        benchmark=BENCHMARK,
        checkpoint=args.ckpt,
        data=data_identity(data),
        judge=judge_info,
        seeds=[args.seed],
        settings={"profile": args.profile, "resolution": args.resolution, "pic_num": args.pic_num},
    )
    print_scores(scores, digits=2)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
