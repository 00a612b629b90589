"""Paper-scale costs: wall time and peak memory of the corpus, training and dashboard commands as
the corpus grows, on synthetic datasets of 1M, 10M (and ``--rows N``) samples.

    python -m bench.scale [--rows 10000000] [--work /tmp/bench_scale] [--keep]

Each dataset is a real ingested dataset (small images) whose manifest is written out to N rows,
streaming, in row groups: unique ids, captions of 300-2,000 characters, a tenth of the rows
multi-turn conversations (2-8 turns) and a twentieth CoT samples; every row points at a real
sample in the shards, so training reads real bytes by offset. Every command runs in its own
process; its wall time and peak RSS (``wait4``) are printed with the ratio to the 1M-row run:
memory should stay flat as rows grow and time grow linearly (the targets at 60M rows are in
issue 14: select and apply <= 1 GB, a training rank <= 2 GB and <= 60 s, dashboard <= 5 s).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from bench.dashboard import make_dataset
from corpus.atomic import ROW_GROUP_ROWS
from corpus.dataset import MANIFEST

REPO = Path(__file__).resolve().parents[1]
SIZES = (1_000_000, 10_000_000)
WORDS = np.array("a red square left of blue circle small large green triangle above the".split())
CAPTION_CHARS = (300, 2_000)
TRAIN = ["-m", "train", "--stage", "pre1", "--config", "train/configs/tiny_cpu.toml"]
SECONDS = "seconds="  # how a command reports a time of its own (see measure)


def captions(rng: np.random.Generator, n: int) -> list[str]:
    """``n`` captions of uniformly drawn lengths in CAPTION_CHARS: slices of one random text
    (little memory in this process, whose size its children would inherit at fork)."""
    text = " ".join(rng.choice(WORDS, 200_000))
    lengths = rng.integers(*CAPTION_CHARS, n)
    starts = rng.integers(0, len(text) - CAPTION_CHARS[1], n)
    return [text[s : s + k] for s, k in zip(starts, lengths, strict=True)]


def synthetic(base: Path, out: Path, rows: int, seed: int = 0) -> Path:
    """A copy of ``base`` whose manifest holds ``rows`` rows, written one row group at a time."""
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(base, out, ignore=shutil.ignore_patterns(MANIFEST))
    template = pq.read_table(base / MANIFEST)
    rng = np.random.default_rng(seed)
    with pq.ParquetWriter(out / MANIFEST, template.schema) as writer:
        for start in range(0, rows, ROW_GROUP_ROWS):
            n = min(ROW_GROUP_ROWS, rows - start)
            writer.write_table(_row_group(template, rng, start, n))
    return out


def _row_group(template: pa.Table, rng: np.random.Generator, start: int, n: int) -> pa.Table:
    group = template.take(np.arange(start, start + n) % template.num_rows)
    kind = rng.random(n)
    task = np.where(kind < 0.1, "it2t", np.where(kind < 0.15, "a2a", "t2i"))
    turns = np.where(task == "it2t", 2 * rng.integers(1, 5, n), 0)
    text = captions(rng, n)
    columns = {
        "id": pa.array([f"syn{start + i:010d}" for i in range(n)]),
        "task": pa.array(task),
        "text": pa.array(text),
        "text_chars": pa.array([len(t) for t in text], group.schema.field("text_chars").type),
        "n_turns": pa.array(turns, group.schema.field("n_turns").type),
    }
    for name, values in columns.items():
        group = group.set_column(group.schema.get_field_index(name), name, values)
    return group


def measure(args: list[str]) -> tuple[float, float]:
    """Seconds and peak RSS (MB) of ``python ARGS`` in its own process. The seconds are the
    wall time, or what the command prints as ``seconds=X`` (the dashboard's first render, which
    leaves out Python's and Streamlit's start-up)."""
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, *args], cwd=REPO, stdout=subprocess.PIPE, text=True)
    reported = [x for x in proc.stdout.read().split() if x.startswith(SECONDS)]
    _, status, usage = os.wait4(proc.pid, 0)
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: python {' '.join(args)}")
    wall = time.perf_counter() - start
    seconds = float(reported[-1].removeprefix(SECONDS)) if reported else wall
    return seconds, usage.ru_maxrss / 1024


def commands(ds: Path, work: Path) -> dict[str, list[str]]:
    """What a researcher runs on a corpus of this size, by name."""
    selected, results = work / "t2i.parquet", work / "results"
    results.mkdir(exist_ok=True)
    argv = ["--corpus", str(ds), "--results", str(results)]
    render = (
        "from bench.dashboard import render; "
        f"print('{SECONDS}', render('corpus', {argv!r})[0], sep='')"
    )
    return {
        "corpus select": ["-m", "corpus", "select", str(ds), "--where", "task = 't2i'",
                          "--out", str(selected)],
        "corpus stats": ["-m", "corpus", "stats", str(ds)],
        "train pre1, 1 step": [*TRAIN, "--manifest", str(selected), "--out", str(work / "run"),
                               "--steps", "1"],
        "dashboard corpus page": ["-c", render],
    }  # fmt: skip


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=SIZES[-1], help="the largest size (default 10M)")
    p.add_argument("--work", type=Path, default=Path("/tmp/bench_scale"))
    p.add_argument("--keep", action="store_true", help="keep the synthetic datasets")
    args = p.parse_args()
    sizes = sorted({*SIZES[:-1], args.rows})
    shutil.rmtree(args.work, ignore_errors=True)
    base = make_dataset(args.work / "base")
    results: dict[str, dict[int, tuple[float, float]]] = {}
    for rows in sizes:
        work = args.work / f"{rows}"
        ds = synthetic(base, work / "dataset", rows)
        print(f"{rows:,} rows: manifest {(ds / MANIFEST).stat().st_size / 1e6:.0f} MB", flush=True)
        for name, argv in commands(ds, work).items():
            results.setdefault(name, {})[rows] = measure(argv)
        if not args.keep:
            shutil.rmtree(work)
    print_table(results, sizes)


def print_table(results: dict[str, dict[int, tuple[float, float]]], sizes: list[int]) -> None:
    print(f"\nload average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    head = "".join(f"  {f'{n / 1e6:g}M rows':>26}" for n in sizes)
    print(f"{'command':<24}{head}   (seconds / peak MB, x the {sizes[0] / 1e6:g}M run)")
    for name, by_rows in results.items():
        t0, m0 = by_rows[sizes[0]]
        cells = "".join(
            f"  {f'{t:.1f} s {m:,.0f} MB x{t / t0:.1f}/{m / m0:.1f}':>26}"
            for t, m in (by_rows[n] for n in sizes)
        )
        print(f"{name:<24}{cells}")


if __name__ == "__main__":
    main()
