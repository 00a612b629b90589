"""Pieces every benchmark command line shares: common options, one-line errors, printing."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from evaluation.errors import BadInput
from evaluation.registry import UnknownName
from models.external.chat import JudgeError

STAGES = ("generate", "score", "all")


def base_parser(prog: str, description: str) -> argparse.ArgumentParser:
    """Options shared by the generation/editing benchmarks (CKPT, --out, --run, --stage...)."""
    p = argparse.ArgumentParser(
        prog=prog, description=description, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        "ckpt",
        nargs="?",
        help="Mammoth2 checkpoint folder (from_pretrained); optional with --stage score --records",
    )
    p.add_argument("--out", default="results", help="results root (default: results/)")
    p.add_argument("--run", help="run name (default: the checkpoint folder name, or 'records')")
    p.add_argument("--stage", choices=STAGES, default="all", help="generate, score, or both")
    p.add_argument("--seed", type=int, default=0, help="base seed of generation (default 0)")
    p.add_argument("--steps", type=int, help="sampling steps of the DiT (default: the model's)")
    p.add_argument("--no-progress", action="store_true", help="hide progress bars")
    return p


def run_name(args: argparse.Namespace) -> str:
    if args.run:
        return args.run
    return Path(args.ckpt).resolve().name if args.ckpt else "records"


def add_judge_options(p: argparse.ArgumentParser, required: bool = False) -> None:
    p.add_argument(
        "--judge",
        required=required,
        help="judge: openai:URL:MODEL (any OpenAI-compatible server), transformers:PATH "
        "(local VLM) or replay:FILE (recorded judge cache only)",
    )
    p.add_argument("--concurrency", type=int, default=8, help="judge requests in flight")
    p.add_argument("--device", help="torch device of local models (default: cuda if any)")


def print_scores(scores: dict[str, Any], digits: int = 4) -> None:
    """Categories then the overall score, one per line."""
    for name, value in scores["categories"].items():
        print(f"{name:>24}: {value:.{digits}f}")
    print(f"{'overall':>24}: {scores['overall']:.{digits}f}")


def main_guard(fn: Callable[[list[str] | None], int]) -> Callable[[list[str] | None], int]:
    """Turn bad input and judge failures into a one-line error and exit status 2."""

    def wrapped(argv: list[str] | None = None) -> int:
        try:
            return fn(argv)
        except (BadInput, JudgeError, UnknownName) as e:
            print(f"error: {e}", file=sys.stderr)
            return 2

    return wrapped
