"""``python -m evaluation.understanding``: predict and score the ten understanding suites."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from evaluation.benchmark_data import BenchmarkFile
from evaluation.cli import main_guard
from evaluation.distributed import is_main_rank, wait_for_all_ranks
from evaluation.errors import BadInput
from evaluation.hf_data import is_hf_dataset
from evaluation.store import RunDir, data_identity, write_results
from evaluation.understanding import ALL_SUITES, SUITES
from evaluation.understanding.base import Context, Suite
from evaluation.understanding.judge import RULE_ONLY, Judge
from evaluation.understanding.predict import (
    PROMPT_TEMPLATE,
    Mammoth2Adapter,
    ModelAdapter,
    OpenAIAdapter,
    predict,
    read_predictions,
)
from evaluation.understanding.tsv import md5, read_tsv

DESCRIPTION = """\
Understanding suites of the paper's Table 6, scored with pinned VLMEvalKit (e8e78f05) semantics
(profile 'vlmevalkit', default) or the official tools where they differ ('official').

Data are local VLMEvalKit TSVs in --data DIR, named as VLMEvalKit names them (MMBench_DEV_EN.tsv,
MMMU_DEV_VAL.tsv, MMVet.tsv, OCRBench.tsv, HallusionBench.tsv, AI2D_TEST.tsv, MMStar.tsv,
MathVista_MINI.tsv, MME.tsv, MMVP.tsv) or <suite>.tsv; known MD5s are checked and recorded;
nothing is downloaded. Predictions go to RESULTS/RUN/<suite>/predictions.tsv (data columns +
'prediction', resumable); --stage score --predictions FILE rescores any such file alone.

examples:
  python -m evaluation.understanding ckpt/ --suite mme,mmbench --data LMUData/
  python -m evaluation.understanding --model openai:http://127.0.0.1:8000/v1:qwen --data LMUData/
  python -m evaluation.understanding.mmbench --stage score --predictions preds.tsv --judge rule_only
"""
JUDGE_CACHE = "understanding_judge_cache.jsonl"
TSV_FOLDER = BenchmarkFile(
    "VLMEvalKit TSV files (MMBench_DEV_EN.tsv, MMMU_DEV_VAL.tsv, ...)",
    "LMUData",
    obtain="VLMEvalKit (its run.py downloads each suite's TSV into $LMUData)",
    unbundled="the suites' licences do not allow it",
)


def build_parser(prog: str = "python -m evaluation.understanding") -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog=prog, description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("ckpt", nargs="?", help="Mammoth2 checkpoint (the model unless --model)")
    p.add_argument("--suite", default=",".join(ALL_SUITES), help="comma-separated suites")
    p.add_argument(
        "--data",
        help="folder of VLMEvalKit TSV files, or one suite's Hugging Face dataset folder with "
        "VLMEvalKit's columns (default: $MAMMOTH2_BENCHMARKS/LMUData)",
    )
    p.add_argument("--out", default="results", help="results root (default: results/)")
    p.add_argument("--run", help="run name (default: checkpoint folder name, or 'predictions')")
    p.add_argument(
        "--judge", default=RULE_ONLY, help="rule_only (no calls), openai:URL:MODEL, or replay:FILE"
    )
    p.add_argument(
        "--profile",
        default="vlmevalkit",
        help="vlmevalkit (default) | official (MMMU, MME, MM-Vet, MathVista, "
        "HallusionBench) | lmms_eval (AI2D, MMStar, MMBench) | "
        "fixed (MathVista lists); suites without the profile use vlmevalkit",
    )
    p.add_argument(
        "--mmvp-gt",
        choices=("original", "corrected"),
        default="original",
        help="MMVP labels: original, or with the two disputed pairs corrected (as lmms-eval)",
    )
    p.add_argument("--concurrency", type=int, default=8, help="items judged at once (HTTP judges)")
    p.add_argument("--stage", choices=("predict", "score", "all"), default="all")
    p.add_argument("--predictions", help="score this predictions TSV alone (one suite)")
    p.add_argument("--model", help="openai:URL:MODEL to evaluate a served model instead of CKPT")
    p.add_argument("--max-new-tokens", type=int, default=128)
    p.add_argument("--seed", type=int, default=0, help="seed of the judge's random fallback")
    p.add_argument("--no-progress", action="store_true")
    return p


def data_file(suite: Suite, folder: Path) -> tuple[Path, dict[str, Any]]:
    """The suite's TSV in ``folder`` and its identity (MD5, whether it matches VLMEvalKit's);
    failing that, a Hugging Face dataset folder with VLMEvalKit's columns is the suite's data."""
    for name, expected in (*suite.md5.items(), (suite.name, "")):
        path = folder / f"{name}.tsv"
        if path.is_file():
            digest = md5(path)
            known = bool(expected)
            if known and digest != expected:
                print(f"warning: {path}: MD5 {digest} differs from VLMEvalKit's {expected}")
            return path, {
                "path": str(path),
                "md5": digest,
                "md5_matches": digest == expected if known else None,
            }
    if is_hf_dataset(folder):
        return folder, data_identity(folder)
    names = ", ".join(f"{n}.tsv" for n in (*suite.md5, suite.name))
    raise BadInput(folder, suite.name, f"no data file (looked for {names})")


def make_judge(spec: str, run_root: Path, seed: int) -> Judge:
    if spec == RULE_ONLY:
        return Judge(seed=seed)
    from models.external.backends import make_backend

    cache = None if spec.startswith("replay:") else run_root / JUDGE_CACHE
    return Judge(make_backend(spec, cache), seed=seed)


def score_suite(
    suite: Suite,
    rows: list[dict],
    args: argparse.Namespace,
    run_dir: RunDir,
    judge: Judge,
    data: dict,
) -> dict:
    profile = args.profile if args.profile in suite.profiles else "vlmevalkit"
    before = dict(judge.counts)
    # A local transformers judge runs one request at a time; HTTP judges take --concurrency.
    local = judge.describe().get("backend") == "transformers"
    ctx = Context(judge, profile, 1 if local else args.concurrency, args.mmvp_gt == "corrected")
    records, scores = suite.score(rows, ctx)
    decided = judge.counts["judge_decided"] - before.get("judge_decided", 0)
    scores.update(
        profile=profile,
        scale=suite.scale,
        n_items=len(records),
        judge=judge.describe(),
        judge_share=decided / len(records) if records else 0.0,
    )
    write_results(
        run_dir,
        records,
        scores,
        benchmark=suite.name,
        checkpoint=args.ckpt,
        data=data,
        judge=judge.describe(),
        seeds=[args.seed],
        settings={
            "profile": profile,
            "prompt_template": PROMPT_TEMPLATE,
            "max_new_tokens": args.max_new_tokens,
        },
    )
    return scores


def adapter(args: argparse.Namespace) -> ModelAdapter:
    if args.model:
        return OpenAIAdapter(args.model)
    if not args.ckpt:
        raise BadInput("command line", None, "predicting needs CKPT or --model openai:URL:MODEL")
    return Mammoth2Adapter(args.ckpt)


def main(argv: list[str] | None = None, suite: str | None = None) -> int:
    """The command line; ``suite`` fixes one suite (``python -m evaluation.understanding.X``)."""
    return main_guard(lambda args: run(args, suite))(argv)


def run(argv: list[str] | None, suite: str | None) -> int:
    prog = f"python -m evaluation.understanding{'.' + suite if suite else ''}"
    args = build_parser(prog).parse_args(argv)
    names = [suite] if suite else [s.strip() for s in args.suite.split(",") if s.strip()]
    suites = [SUITES.get(n) for n in names]
    if args.predictions and len(suites) != 1:
        raise BadInput(args.predictions, None, "--predictions scores one suite: pass --suite NAME")
    run = args.run or (Path(args.ckpt).resolve().name if args.ckpt else "predictions")
    judge = make_judge(args.judge, Path(args.out) / run, args.seed)
    model = None
    for s in suites:
        run_dir = RunDir.create(args.out, run, s.name)
        if args.predictions:
            path, data = Path(args.predictions), {"predictions": args.predictions}
        else:
            path, data = data_file(s, TSV_FOLDER.locate(args.data))
        if args.stage in ("predict", "all") and not args.predictions:
            model = model or adapter(args)
            gen = {"max_new_tokens": args.max_new_tokens}
            predict(path, run_dir.root, model, s.kind, gen, progress=not args.no_progress)
            data["model"] = model.describe()
            wait_for_all_ranks()  # rank 0 scores only once every rank's part file is complete
        if args.stage == "predict" or not is_main_rank():
            continue
        rows = read_tsv(path) if args.predictions else read_predictions(run_dir.root)
        scores = score_suite(s, rows, args, run_dir, judge, data)
        print(f"{s.name:>16}: {json.dumps(scores['overall'])}  ({s.scale})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
