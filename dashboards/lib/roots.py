"""The directories the dashboard may read, and the check that keeps every path inside them.

The app is started as ``streamlit run dashboards/app.py -- --results R [--corpus D ...]
[--logs L ...]``. Every path it opens (a run name from a query parameter, an image path from a
record, a dataset chosen in a widget) goes through :func:`confine` first: it is resolved
(symlinks and ``..`` included) and refused unless it lies under one of the given roots.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from evaluation.reference_scores import TABLES_FILE

# The paper's published rows ship with the evaluation package (DESIGN.md section 7).
DEFAULT_REFERENCE = TABLES_FILE.resolve().parent


class PathRefused(PermissionError):
    """A path lies outside the directories the dashboard was given."""


@dataclass(frozen=True)
class Roots:
    """Resolved directories the app may read from."""

    results: tuple[Path, ...] = ()
    corpus: tuple[Path, ...] = ()
    logs: tuple[Path, ...] = ()
    reference: tuple[Path, ...] = ()


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="streamlit run dashboards/app.py --",
        description="Browse evaluation results, samples, the corpus and training logs.",
    )
    p.add_argument("--results", action="append", default=[], help="results store root (RUN/BENCH)")
    p.add_argument("--corpus", action="append", default=[], help="dataset or filter output dir")
    p.add_argument("--logs", action="append", default=[], help="checkpoint dir with *.jsonl logs")
    p.add_argument(
        "--reference",
        action="append",
        default=None,
        help=f"published reference scores (default: {DEFAULT_REFERENCE})",
    )
    return p


def parse_roots(argv: list[str]) -> Roots:
    """Roots from the app's command line (the arguments after ``--``); unknown args are ignored."""
    args, _ = _parser().parse_known_args(argv)
    reference = args.reference if args.reference is not None else [DEFAULT_REFERENCE]

    def resolve(paths: list[str | Path]) -> tuple[Path, ...]:
        return tuple(dict.fromkeys(Path(p).resolve() for p in paths))

    return Roots(
        results=resolve(args.results),
        corpus=resolve(args.corpus),
        logs=resolve(args.logs),
        reference=resolve(reference),
    )


def confine(path: str | Path, allowed: tuple[Path, ...], base: Path | None = None) -> Path:
    """``path`` resolved (relative to ``base`` when given); PathRefused unless under ``allowed``."""
    p = Path(path)
    if base is not None and not p.is_absolute():
        p = base / p
    resolved = p.resolve()
    if not any(resolved == root or resolved.is_relative_to(root) for root in allowed):
        raise PathRefused(f"{path}: outside the directories this dashboard was given")
    return resolved


def child(root: Path, *names: str) -> Path:
    """``root/name/...`` for names taken from user input (query parameters, widgets), confined."""
    for name in names:
        if not name or name in {".", ".."} or "/" in name or "\\" in name:
            raise PathRefused(f"{name!r}: not a plain name")
    return confine(root.joinpath(*names), (root,))


def inside(paths: list[Path], allowed: tuple[Path, ...]) -> list[Path]:
    """The paths that resolve under ``allowed`` (a symlink found by a glob may point elsewhere)."""
    kept = []
    for p in paths:
        try:
            confine(p, allowed)
        except PathRefused:
            continue
        kept.append(p)
    return kept
