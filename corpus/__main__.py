"""Command line of the corpus: `python -m corpus {sample,ingest,validate,stats,show,select}`."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from corpus.dataset import Dataset, DatasetError
from corpus.images import DEFAULT_MAX_PIXELS
from corpus.ingest import FORMATS, IngestConfig, SourceSpec, ingest
from corpus.ingest.build import REENCODE_MODES
from corpus.schema import TASKS
from corpus.shards import DEFAULT_FORMAT, SHARD_FORMATS, ShardError

DESCRIPTION = """\
The training corpus: sample schema, WebDataset/Arrow shards with Parquet sidecars, manifests.

typical use:
  python -m corpus sample raw/                      # the embedded shapes world (raw files)
  python -m corpus ingest raw/t2i raw/edits/edits.jsonl --out data/shapes --workers 2
  python -m corpus validate data/shapes
  python -m corpus stats data/shapes
  python -m corpus select data/shapes --where "task = 'it2i' AND min_side >= 256" \\
      --out edits.parquet
"""


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return args.run(args)
    except (DatasetError, ShardError, ValueError, RuntimeError, OSError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m corpus",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = p.add_subparsers(required=True, metavar="COMMAND")
    _add_sample(sub)
    _add_ingest(sub)
    v = sub.add_parser("validate", help="check every invariant of a dataset; non-zero if broken")
    v.add_argument("dataset", type=Path)
    v.set_defaults(run=_validate)
    s = sub.add_parser("stats", help="counts per task/source/language and image histograms")
    s.add_argument("dataset", type=Path)
    s.add_argument("--json", action="store_true", help="print machine-readable JSON")
    s.set_defaults(run=_stats)
    sh = sub.add_parser("show", help="print one sample by key (read by offset)")
    sh.add_argument("dataset", type=Path)
    sh.add_argument("key")
    sh.set_defaults(run=_show)
    _add_select(sub)
    return p


def _add_sample(sub) -> None:
    p = sub.add_parser("sample", help="generate the shapes-world raw dataset (deterministic)")
    p.add_argument("out", type=Path, help="directory to write the raw files into")
    p.add_argument("--size", choices=("small", "medium"), default="small")
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(run=_sample)


def _add_ingest(sub) -> None:
    p = sub.add_parser(
        "ingest",
        help="ingest raw inputs into a dataset directory (resumes if interrupted)",
        description="Each SRC is an image folder, a jsonl/csv/parquet table, an edit-triplet "
        "table, a LLaVA json, an img2dataset folder or a HF datasets folder. Every input is "
        "kept or written to rejects.parquet with the reason.",
    )
    p.add_argument("src", nargs="+", type=Path, help="raw input paths")
    p.add_argument("--out", type=Path, required=True, help="dataset directory to write")
    p.add_argument("--format", choices=FORMATS, default="auto", help="raw format of every SRC")
    p.add_argument("--task", choices=TASKS, help="task of every SRC (default: from the format)")
    p.add_argument("--source", help="source name used in keys (default: each SRC's stem)")
    p.add_argument(
        "--workers", type=int, default=1, help="local worker processes (without --scheduler)"
    )
    p.add_argument(
        "--scheduler",
        help="tcp://HOST:PORT of a running dask scheduler: its workers ingest the chunks "
        "(they must see every SRC and --out at the same paths)",
    )
    p.add_argument("--shard-format", choices=SHARD_FORMATS, default=DEFAULT_FORMAT)
    p.add_argument("--shard-samples", type=int, default=5000, help="input records per chunk")
    p.add_argument("--shard-bytes", type=float, default=1e9, help="max bytes per shard part")
    p.add_argument(
        "--max-pixels",
        type=int,
        default=DEFAULT_MAX_PIXELS,
        help="reject images whose header says more pixels (never decoded)",
    )
    p.add_argument(
        "--verify",
        choices=("header", "decode"),
        default="header",
        help="header: read headers only (fast); decode: also decode every image",
    )
    p.add_argument(
        "--reencode",
        choices=REENCODE_MODES,
        default="never",
        help="re-encode images as PNG: never (keep bytes), unsupported formats, all",
    )
    p.add_argument(
        "--fsync",
        action="store_true",
        help="fsync every shard before marking it done (survives power loss; slower)",
    )
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(run=_ingest)


def _add_select(sub) -> None:
    p = sub.add_parser("select", help="write a curated manifest of rows matching a condition")
    p.add_argument("dataset", nargs="+", type=Path)
    p.add_argument("--where", help="SQL boolean expression over manifest columns")
    p.add_argument("--out", type=Path, required=True, help="curated manifest .parquet to write")
    p.set_defaults(run=_select)


def _sample(args) -> int:
    from corpus.shapes import generate

    counts = generate(args.out, size=args.size, seed=args.seed)
    print(f"wrote the shapes world ({args.size}, seed {args.seed}) to {args.out}: {counts}")
    return 0


def _ingest(args) -> int:
    specs = [SourceSpec(src, args.format, args.task, args.source) for src in args.src]
    for spec in specs:
        if not spec.path.exists():
            raise ValueError(f"{spec.path}: no such file or directory")
    cfg = IngestConfig(
        out=args.out,
        shard_format=args.shard_format,
        shard_samples=args.shard_samples,
        shard_bytes=int(args.shard_bytes),
        workers=args.workers,
        scheduler=args.scheduler,
        max_pixels=args.max_pixels,
        verify=args.verify,
        reencode=args.reencode,
        fsync=args.fsync,
        progress=not args.no_progress,
    )
    s = ingest(specs, cfg)
    print(
        f"{args.out}: read {s.read}, kept {s.kept}, rejected {s.rejected} "
        f"({len(s.shards)} shards; {s.skipped_chunks}/{s.chunks} chunks already done)"
    )
    return 0


def _validate(args) -> int:
    from corpus.validate import validate

    problems = validate(args.dataset)
    for problem in problems:
        print(f"{args.dataset}: {problem}", file=sys.stderr)
    if problems:
        return 1
    print(f"{args.dataset}: valid ({len(Dataset.open(args.dataset))} samples)")
    return 0


def _stats(args) -> int:
    from corpus.stats import dataset_stats, format_stats

    stats = dataset_stats(Dataset.open(args.dataset))
    print(json.dumps(stats, indent=2) if args.json else format_stats(stats))
    return 0


def _show(args) -> int:
    ds = Dataset.open(args.dataset)
    row = ds.locate(args.key)
    sample = ds.get(args.key)
    meta = sample.metadata()
    meta["location"] = {k: row[k] for k in ("shard", "offset", "size")}
    print(json.dumps(meta, indent=2, ensure_ascii=False))
    return 0


def _select(args) -> int:
    from corpus.select import select

    n = select(args.dataset, args.where, args.out)
    print(f"{args.out}: {n} samples selected")
    return 0


if __name__ == "__main__":
    sys.exit(main())
