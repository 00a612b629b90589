"""Time to first render of the dashboard's heaviest pages, against the same pages on tiny data.

    python -m bench.dashboard [--rows 1000000] [--runs 200] [--work /tmp/bench_dashboard]

Builds a real dataset (ingested images) whose manifest is tiled to ``--rows`` rows (every row
points at a real sample in the shards, so the sample grid reads real bytes by offset), and a
results store of ``--runs`` runs on four benchmarks. Each page is run with Streamlit's AppTest
on a cold cache (first render, what a user waits for after opening the page) and once more warm
(a rerun). The baseline is the same page on a 1,000-row manifest / 2-run store measured in the
same process after a discarded warm-up render. Exits non-zero when a first render takes 3 s or more.
"""

from __future__ import annotations

import argparse
import io
import json
import shutil
import sys
import time
from pathlib import Path

import PIL.Image
import polars as pl
import streamlit as st
from streamlit.testing.v1 import AppTest

from corpus.dataset import MANIFEST
from corpus.ingest import IngestConfig, SourceSpec, ingest
from evaluation.store import RunDir, write_scores

APP = Path(__file__).resolve().parents[1] / "dashboards" / "app.py"
LIMIT_S = 3.0
BASE_ROWS, BASE_RUNS = 1_000, 2
BENCHMARKS = ("geneval", "dpgbench", "imgedit", "realunify")
TASKS, LANGS = ("t2i", "it2i", "it2t", "a2a"), ("en", "zh", "de")


def make_dataset(root: Path, images: int = 48) -> Path:
    raw = root / "raw"
    raw.mkdir(parents=True)
    for i in range(images):
        buf = io.BytesIO()
        PIL.Image.new("RGB", (64 + 8 * (i % 9), 48 + 8 * (i % 7)), (5 * i, 100, 200)).save(
            buf, format="PNG"
        )
        (raw / f"img_{i:03d}.png").write_bytes(buf.getvalue())
        (raw / f"img_{i:03d}.txt").write_text(f"a shape number {i}")
    out = root / "base"
    ingest([SourceSpec(raw)], IngestConfig(out=out, progress=False))
    return out


def tiled(base: Path, out: Path, rows: int) -> Path:
    """A copy of ``base`` whose manifest repeats its rows to ``rows`` (ids, tasks, langs varied)."""
    shutil.copytree(base, out)
    m = pl.read_parquet(base / MANIFEST)
    reps = -(-rows // m.height)
    big = pl.concat([m] * reps).head(rows).with_row_index("n")
    big = big.with_columns(
        pl.format("{}-{}", "id", "n").alias("id"),
        pl.format("{} (copy {})", "text", "n").alias("text"),  # unique text: realistic file size
        pl.col("n").mod(len(TASKS)).replace_strict(dict(enumerate(TASKS))).alias("task"),
        pl.col("n").mod(len(LANGS)).replace_strict(dict(enumerate(LANGS))).alias("lang"),
        pl.format("source_{}", pl.col("n").mod(20)).alias("source"),
        (pl.col("width") + pl.col("n").mod(997)).alias("width"),
    ).drop("n")
    big.write_parquet(out / MANIFEST)
    return out


def make_results(root: Path, runs: int) -> Path:
    for r in range(runs):
        for b, bench in enumerate(BENCHMARKS):
            rd = RunDir.create(root, f"run-{r:04d}", bench)
            cats = {f"cat{c}": ((r * 7 + b * 3 + c) % 100) / 100 for c in range(8)}
            write_scores(rd, {"overall": sum(cats.values()) / 8, "categories": cats})
    return root


def render(page: str, argv: list[str]) -> tuple[float, float]:
    """(cold first render, warm rerun) seconds of one page started on ``argv``."""
    sys.argv = [str(APP), *argv]
    st.cache_data.clear()
    at = AppTest.from_file(str(APP), default_timeout=120)
    at.switch_page(f"views/{page}.py")
    t0 = time.perf_counter()
    at.run()
    cold = time.perf_counter() - t0
    if at.exception:
        raise RuntimeError(f"{page}: {at.exception[0].value}")
    t0 = time.perf_counter()
    at.run()
    return cold, time.perf_counter() - t0


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--runs", type=int, default=200)
    p.add_argument("--work", type=Path, default=Path("/tmp/bench_dashboard"))
    args = p.parse_args()
    shutil.rmtree(args.work, ignore_errors=True)
    base = make_dataset(args.work)
    empty = args.work / "no-results"
    empty.mkdir()
    cases = [
        ("corpus", f"{args.rows:,} rows", BASE_ROWS, args.rows),
        ("leaderboard", f"{args.runs} runs", BASE_RUNS, args.runs),
    ]
    print(f"{'page':<12} {'size':>16} {'first render s':>15} {'warm rerun s':>13} "
          f"{'baseline s':>11} {'ratio':>6}  < {LIMIT_S:.0f} s")  # fmt: skip
    failed = False
    for page, label, small, large in cases:
        times = []
        for n in (small, small, large):  # the first small run only pays one-time imports
            if page == "corpus":
                target = tiled(base, args.work / f"corpus-{n}-{len(times)}", n)
                argv = ["--corpus", str(target), "--results", str(empty)]
            else:
                target = make_results(args.work / f"results-{n}-{len(times)}", n)
                argv = ["--results", str(target), "--reference", str(empty)]
            times.append(render(page, argv))
        _, (base_cold, _), (cold, warm) = times
        ok = cold < LIMIT_S
        failed |= not ok
        print(f"{page:<12} {label:>16} {cold:>15.2f} {warm:>13.2f} {base_cold:>11.2f} "
              f"{cold / base_cold:>6.2f}  {'ok' if ok else 'TOO SLOW'}")  # fmt: skip
    size = (args.work / f"corpus-{args.rows}-2" / MANIFEST).stat().st_size
    print(json.dumps({"limit_s": LIMIT_S, "passed": not failed, "manifest_bytes": size}))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
