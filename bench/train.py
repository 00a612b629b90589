"""Training-path benchmark on the shapes world with the tiny model (CPU, same run, ratios).

1. Packed (padding-free) against padded batches of the *same* samples: fill ratio (real tokens
   over the tokens the forward processes) and real tokens/s of forward + backward.
2. Loader throughput (read by offset, decode, resize, tokenise; its thread pool) against the
   rate at which the training step consumes samples: the loader must not be the bottleneck.

Usage: python -m bench.train [--dataset out/demo/shapes] [--packs 12] [--budget 1024] [--rounds 2]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import torch

from corpus.ingest import IngestConfig, SourceSpec, ingest
from corpus.shapes import generate
from models.batch import to_device
from models.mammoth2 import Mammoth2
from train.config import apply_override, stage_config
from train.data import build_joint_data
from train.model import model_config
from train.objectives import pack_generator

RAW_SOURCES = ("t2i", "t2i_jsonl/metadata.jsonl", "edits/edits.jsonl", "vqa/conversations.json")


def shapes_dataset(path: str | None, scratch: Path) -> Path:
    if path:
        return Path(path)
    generate(scratch / "raw", size="small", seed=0, progress=False)
    sources = [SourceSpec(scratch / "raw" / s) for s in RAW_SOURCES]
    ingest(sources, IngestConfig(out=scratch / "ds", verify="decode", progress=False))
    return scratch / "ds"


def loader_for(dataset: Path, model: Mammoth2, args, workers: int):
    cfg = stage_config("pre2")
    overrides = (
        f"data.manifests={dataset}",
        f"data.resolution={args.resolution}",
        f"data.token_budget={args.budget}",
        f"data.max_pack_tokens={args.budget}",
        f"data.max_sample_tokens={args.budget}",
        "data.buffer_size=64",
        f"data.workers={workers}",
    )
    for assignment in overrides:
        apply_override(cfg, assignment)
    return build_joint_data(cfg, model, rank=0, world=1)


def time_packs(model: Mammoth2, packs: list, rounds: int) -> dict[bool, dict[str, float]]:
    """Forward + backward of every pack, packed and padded alternately (the machine is noisy).

    Returns per layout: fill (real / processed tokens), real tokens/s, seconds.
    """
    stats = {layout: {"real": 0, "processed": 0, "s": 0.0} for layout in (False, True)}
    for _ in range(rounds):
        for i, samples in enumerate(packs):
            for padded in (False, True):
                start = time.perf_counter()
                batch = to_device(model.collate(samples, padded=padded), model.device)
                out = model(batch, pack_generator(0, 0, i))
                out.loss().backward()
                model.zero_grad(set_to_none=True)
                stats[padded]["s"] += time.perf_counter() - start
                stats[padded]["real"] += sum(len(s) for s in samples)
                stats[padded]["processed"] += batch.num_tokens
    return {
        padded: {"fill": v["real"] / v["processed"], "tokens_s": v["real"] / v["s"], "s": v["s"]}
        for padded, v in stats.items()
    }


def loader_rate(dataset: Path, model: Mammoth2, args, workers: int) -> float:
    """Samples/s the loader delivers when nothing else runs."""
    loader = loader_for(dataset, model, args, workers)
    start = time.perf_counter()
    n = sum(len(m.samples) for _ in range(args.packs) for m in loader.next().micro)
    loader.close()  # waits for the prefetched steps too: both variants build the same samples
    return n / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", help="shapes-world dataset (default: generated now)")
    parser.add_argument("--packs", type=int, default=12)
    parser.add_argument("--budget", type=int, default=1024)
    parser.add_argument("--resolution", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=2, help="timing passes over the packs")
    args = parser.parse_args()
    torch.manual_seed(0)
    model = Mammoth2(model_config("tiny")).train()
    with tempfile.TemporaryDirectory() as scratch:
        dataset = shapes_dataset(args.dataset, Path(scratch))
        loader = loader_for(dataset, model, args, workers=0)
        packs = [loader.next().micro[0].samples for _ in range(args.packs)]
        time_packs(model, packs[:1], rounds=1)  # warm-up
        timed = time_packs(model, packs, args.rounds)
        packed, padded = timed[False], timed[True]
        n_samples = sum(len(p) for p in packs)
        n_tokens = sum(len(s) for p in packs for s in p)
        step_rate = args.rounds * n_samples / packed["s"]
        serial = loader_rate(dataset, model, args, workers=0)
        threaded = loader_rate(dataset, model, args, workers=2)
    print(f"tiny model, {args.packs} packs of {args.budget} tokens, {n_samples} samples\n")
    print(f"{'':34}{'packed':>12}{'padded':>12}{'ratio':>10}")
    print(f"{'fill (real / processed tokens)':34}{packed['fill']:>12.3f}{padded['fill']:>12.3f}"
          f"{packed['fill'] / padded['fill']:>10.2f}")  # fmt: skip
    print(f"{'budget fill (real / budget)':34}{n_tokens / (args.packs * args.budget):>12.3f}")
    print(f"{'real tokens/s (fwd+bwd)':34}{packed['tokens_s']:>12.0f}{padded['tokens_s']:>12.0f}"
          f"{packed['tokens_s'] / padded['tokens_s']:>10.2f}\n")  # fmt: skip
    print(f"{'samples/s':34}{'':>12}{'':>12}{'vs step':>10}")
    print(f"{'training step consumes':34}{step_rate:>12.1f}")
    print(f"{'loader, 0 workers':34}{serial:>12.1f}{'':>12}{serial / step_rate:>10.2f}")
    print(f"{'loader, 2 worker threads':34}{threaded:>12.1f}{'':>12}{threaded / step_rate:>10.2f}")


if __name__ == "__main__":
    main()
