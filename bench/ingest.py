"""Ingest throughput against a bare loop on the same files, and random-access read volume.

    python -m bench.ingest [--images 6000] [--work /tmp/bench_ingest]

Prints images/s and MB/s for: a bare loop (read the bytes, read the PIL header, append to a
tarfile), `corpus ingest` with one worker, and with two workers; then the ratios the issue
asks for (one worker / bare >= 0.8, two workers / one worker >= 1.7). Then fetches samples by
key from the resulting ~1 GB dataset and reports how many bytes were read from shards per
fetch, against the sample's own size.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import numpy as np
import PIL.Image

from corpus import Dataset
from corpus.ingest import IngestConfig, SourceSpec, ingest
from corpus.shards import data_path, read_sample

BASE_IMAGES = 24
IMAGE_SIZE = (1024, 768)


def make_inputs(root: Path, n: int, seed: int = 0) -> int:
    """n distinct ~1 MP JPEGs with captions: a few encoded bases made unique by a COM segment."""
    rng = np.random.default_rng(seed)
    bases = []
    for _ in range(BASE_IMAGES):
        gradient = np.linspace(0, 255, IMAGE_SIZE[0])[None, :, None] * rng.random(3)
        noise = rng.integers(0, 24, (IMAGE_SIZE[1], IMAGE_SIZE[0], 3))
        pixels = np.clip(gradient + noise, 0, 255).astype(np.uint8)
        buf = io.BytesIO()
        PIL.Image.fromarray(pixels).save(buf, format="JPEG", quality=90)
        bases.append(buf.getvalue())
    root.mkdir(parents=True)
    total = 0
    for i in range(n):
        comment = f"bench image {i}".encode()
        com = b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment
        data = bases[i % BASE_IMAGES]
        data = data[:2] + com + data[2:]
        (root / f"{i:06d}.jpg").write_bytes(data)
        (root / f"{i:06d}.txt").write_text(f"a gradient with noise, number {i}")
        total += len(data)
    return total


def bare_loop(src: Path, out: Path) -> None:
    """The baseline: what any ingest must at least do for each image."""
    with tarfile.open(out, "w") as tar:
        for path in sorted(src.glob("*.jpg")):
            data = path.read_bytes()
            caption = path.with_suffix(".txt").read_bytes()
            with PIL.Image.open(io.BytesIO(data)) as img:
                _ = img.size
            for name, payload in ((path.name, data), (path.stem + ".txt", caption)):
                info = tarfile.TarInfo(name)
                info.size = len(payload)
                tar.addfile(info, io.BytesIO(payload))


def timed(fn, *args) -> float:
    """Wall time of fn(*args), starting with no dirty pages left by an earlier contender
    (the kernel's write-back of those would otherwise slow whoever runs next)."""
    os.sync()
    start = time.perf_counter()
    fn(*args)
    return time.perf_counter() - start


def run_ingest(src: Path, out: Path, workers: int, fsync: bool = False) -> None:
    cfg = IngestConfig(out=out, workers=workers, shard_samples=500, fsync=fsync, progress=False)
    summary = ingest([SourceSpec(src)], cfg)
    assert summary.rejected == 0, summary


def _rchar() -> int:
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("rchar:"):
            return int(line.split()[1])
    raise RuntimeError("no rchar in /proc/self/io")


def read_bytes_of(fn) -> int:
    """Bytes this process read through read syscalls while fn ran (Linux /proc/self/io),
    less what reading /proc/self/io itself costs."""
    before = _rchar()
    empty = _rchar() - before
    before = _rchar()
    fn()
    return _rchar() - before - empty


def random_access(root: Path, fetches: int = 20, seed: int = 0) -> list[tuple[str, int, int, int]]:
    """(key, sample size, bytes read for the manifest lookup, bytes read from the shard)."""
    ds = Dataset.open(root)
    keys = ds.manifest().select("id").collect()["id"].to_list()
    out = []
    for key in random.Random(seed).sample(keys, fetches):
        row: dict = {}
        lookup = read_bytes_of(lambda k=key, r=row: r.update(ds.locate(k)))
        path = data_path(ds.shards_dir, row["shard"])
        shard = read_bytes_of(lambda r=row, p=path: read_sample(p, r["offset"], r["size"]))
        out.append((key, row["size"], lookup, shard))
    return out


def peak_rss_mb(src: Path, out: Path) -> float:
    """Peak resident memory (MB) of `python -m corpus ingest` run as a fresh process."""
    script = (
        "import resource, sys; from corpus.__main__ import main; main(sys.argv[1:]);"
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    )
    args = ["ingest", str(src), "--out", str(out), "--shard-samples", "500", "--no-progress"]
    proc = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True)
    return int(proc.stdout.split()[-1]) / 1024


def memory_growth(src: Path, work: Path) -> tuple[float, float]:
    """Peak RSS of the ingest process on a quarter of the inputs and on all of them."""
    quarter = work / "raw_quarter"
    quarter.mkdir()
    files = sorted(src.iterdir())
    for path in files[: len(files) // 4]:
        (quarter / path.name).symlink_to(path)
    return peak_rss_mb(quarter, work / "mem_quarter"), peak_rss_mb(src, work / "mem_full")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--images", type=int, default=6000, help="number of ~170 KB JPEGs (~1 GB)")
    p.add_argument("--work", type=Path, default=Path("/tmp/bench_ingest"))
    args = p.parse_args()
    shutil.rmtree(args.work, ignore_errors=True)
    src = args.work / "raw"
    mb = make_inputs(src, args.images) / 1e6
    timed(bare_loop, src, args.work / "warmup.tar")  # page cache warm for every contender
    rows = [
        ("bare loop", timed(bare_loop, src, args.work / "bare.tar")),
        ("ingest, 1 worker", timed(run_ingest, src, args.work / "w1", 1)),
        ("ingest, 2 workers", timed(run_ingest, src, args.work / "w2", 2)),
        ("ingest, 2 w., fsync", timed(run_ingest, src, args.work / "w2f", 2, True)),
    ]
    print(f"\n{args.images} images, {mb:.0f} MB of JPEG")
    print(f"{'contender':<20} {'seconds':>8} {'images/s':>9} {'MB/s':>7}")
    for name, sec in rows:
        print(f"{name:<20} {sec:>8.2f} {args.images / sec:>9.0f} {mb / sec:>7.0f}")
    bare, one, two, durable = (sec for _, sec in rows)
    print(f"\nratio 1 worker / bare loop   {bare / one:.2f}  (target >= 0.8)")
    print(f"ratio 2 workers / 1 worker   {one / two:.2f}  (target >= 1.7)")
    print(
        f"ratio --fsync / no fsync     {two / durable:.2f}  (disk-bound: the price of durability)"
    )
    small, full = memory_growth(src, args.work)
    print(f"\npeak memory of the ingest process: {small:.0f} MB on a quarter of the inputs,")
    print(f"  {full:.0f} MB on all of them (ratio {full / small:.2f}; streaming keeps it flat)")
    fetches = random_access(args.work / "w2")
    exact = sum(shard == size for _, size, _, shard in fetches)
    lookup = max(lk for _, _, lk, _ in fetches)
    print(f"\nrandom access on the {mb / 1e3:.1f} GB dataset: {len(fetches)} fetches by key")
    print(f"  shard bytes read == sample size in {exact}/{len(fetches)} fetches")
    print(f"  e.g. sample {fetches[0][1]} B -> {fetches[0][3]} B read from its shard")
    print(f"  manifest lookup read at most {lookup} B (Parquet footer + the id column)")
    shutil.rmtree(args.work, ignore_errors=True)


if __name__ == "__main__":
    main()
