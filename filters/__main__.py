"""Command line: `python -m filters {run,apply,list}`."""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

from corpus.dataset import DatasetError
from corpus.shards import ShardError

DESCRIPTION = """\
Curation pipelines: operators measure stats (raw, documented units) and decide keep/drop with a
reason; recipes (YAML) list the steps; the runner maps them over shards with dask.distributed.

typical use:
  python -m filters list                                        # operators, params, units
  python -m filters run recipes/demo.yaml --input data/shapes --out out/curated --workers 2
  python -m filters run recipes/sft_gen.yaml --input data/t2i --out out/sft \\
      --scheduler tcp://10.0.0.5:8786                           # an existing dask cluster
  python -m filters apply out/curated --set resolution.min_side=128 --set dedup.max_distance=4

`run` writes OUT/manifest.parquet (kept samples, launchable by training), OUT/rejects.parquet,
OUT/stats.parquet (every sample's stats and verdicts), OUT/report.{json,md} and OUT/report/*.png.
A killed run resumes where it stopped when started again with the same arguments.
"""


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return args.func(args)
    except (DatasetError, ShardError, ValueError, RuntimeError, OSError, KeyError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m filters",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = p.add_subparsers(required=True, metavar="COMMAND")
    r = sub.add_parser("run", help="run a recipe over a dataset (resumes if interrupted)")
    r.add_argument("recipe", type=Path, help="recipe YAML (see recipes/)")
    r.add_argument("--input", type=Path, required=True, help="dataset directory (corpus format)")
    r.add_argument("--out", type=Path, required=True, help="output directory")
    r.add_argument("--scheduler", help="dask scheduler address tcp://HOST:PORT (default: local)")
    r.add_argument("--workers", type=int, default=2, help="local worker processes (default 2)")
    r.add_argument("--materialize", action="store_true", help="also write kept samples as shards")
    r.add_argument(
        "--measure-all",
        action="store_true",
        help="measure every step on every sample, so `apply` can loosen any threshold",
    )
    r.add_argument("--no-progress", action="store_true")
    r.set_defaults(func=_run)
    a = sub.add_parser("apply", help="re-decide a finished run with new thresholds (no models)")
    a.add_argument("out", type=Path, help="output directory of `filters run`")
    a.add_argument("--set", action="append", default=[], metavar="STEP.PARAM=VALUE")
    a.add_argument("--scheduler", help="dask scheduler for re-materializing a --materialize run")
    a.add_argument("--workers", type=int, default=2, help="local workers for re-materializing")
    a.set_defaults(func=_apply)
    lst = sub.add_parser("list", help="operators, parameters with defaults, units of each stat")
    lst.set_defaults(func=_list)
    return p


def _run(args: argparse.Namespace) -> int:
    from filters.recipe import load_recipe
    from filters.report import funnel_table
    from filters.runner import RunConfig, run

    cfg = RunConfig(
        load_recipe(args.recipe),
        args.input,
        args.out,
        scheduler=args.scheduler,
        workers=args.workers,
        materialize=args.materialize,
        measure_all=args.measure_all,
        progress=not args.no_progress,
    )
    report = run(cfg)
    print(funnel_table(report))
    print(f"\nmanifest: {args.out / 'manifest.parquet'}  report: {args.out / 'report.md'}")
    return 0


def _apply(args: argparse.Namespace) -> int:
    from filters.apply import apply
    from filters.report import funnel_table

    print(funnel_table(apply(args.out, args.set, args.scheduler, args.workers)))
    return 0


def _list(args: argparse.Namespace) -> int:
    from filters.operator import all_operators

    for name, op in all_operators().items():
        print(f"{name} (v{op.version}): {op.doc}")
        print(f"  needs: {', '.join(op.requires) or '-'}")
        for f in dataclasses.fields(op.Params):
            default = f.default if f.default is not dataclasses.MISSING else f.default_factory()
            kind = " [measure]" if f.metadata.get("measure") else ""
            print(f"  param {f.name} = {default!r}{kind}: {f.metadata.get('doc', '')}")
        for key, stat in op.STATS.items():
            scope = "per image" if stat.per_image else "per sample"
            print(f"  stat {name}.{key} [{stat.unit}, {scope}]: {stat.doc}")
    print("\n[measure] params change the stats; `apply` can change every other param.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
