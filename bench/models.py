"""Model benchmarks (not run by the tests): ratios against a baseline measured in the same run.

1. Packed (padding-free) forward+backward of the tiny Mammoth2 against right-padded batches of
   the same samples (mixed lengths and image sizes): tokens/s of real tokens, ratio printed.
2. Packed attention at 4k tokens: per-segment SDPA (our CPU varlen fallback) against one SDPA
   call with a dense block-diagonal mask; ratio printed.
3. One AdamW training step of the tiny model on four 64 px t2i samples against a 1024^3 fp32
   matmul (about 2 GFLOP): the step in units of that matmul (a wall-clock bound, under a second,
   used to sit in the tests and failed on loaded shared machines).

    python -m bench.models [--repeats 5] [--threads 1]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

import torch

from models.attention import Packed, attend_block_diagonal, attend_per_segment
from models.mammoth2 import Mammoth2
from models.presets import get_config

ATTN_HEADS, ATTN_DIM = 8, 64
SEGMENTS = {"8 x 512": [512] * 8, "3000+600+300+196": [3000, 600, 300, 196]}
IMAGE_SIDES = (32, 48, 64)
REFERENCE_MATMUL = 1024


def _median_time(fn, repeats: int) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def _samples(model: Mammoth2, n: int) -> list:
    rng = random.Random(0)
    out = []
    for i in range(n):
        side_h, side_w = rng.choice(IMAGE_SIDES), rng.choice(IMAGE_SIDES)
        image = torch.rand(3, side_h, side_w) * 2 - 1
        prompt = " ".join(["a red circle left of a blue square"] * rng.randint(1, 4))
        if i % 3 == 2:
            answer = "There is one circle. " * rng.randint(1, 12)
            out.append(model.chat_sample([{"role": "user", "content": prompt}], answer))
        else:
            out.append(model.t2i_sample(prompt, image, with_visual_tokens=i % 3 == 0))
    return out


def bench_packing(repeats: int) -> None:
    torch.manual_seed(0)
    model = Mammoth2(get_config("tiny"))
    samples = _samples(model, 24)
    real_tokens = sum(len(s) for s in samples)
    rows = []
    for name, padded in (("padded", True), ("packed", False)):
        batch = model.collate(samples, padded=padded)

        def step(batch=batch):
            model.zero_grad(set_to_none=True)
            model(batch, generator=torch.Generator().manual_seed(0)).loss().backward()

        seconds = _median_time(step, repeats)
        rows.append((name, batch.num_tokens, real_tokens / seconds))
    print(
        f"\n[1] tiny Mammoth2 forward+backward, {len(samples)} samples, {real_tokens} real tokens"
    )
    print(f"{'layout':<8} {'grid tokens':>12} {'real tokens/s':>14}")
    for name, grid, rate in rows:
        print(f"{name:<8} {grid:>12} {rate:>14.0f}")
    print(f"packed / padded tokens/s ratio: {rows[1][2] / rows[0][2]:.2f}x")


def _attention_row(name: str, lengths: list[int], repeats: int) -> str:
    total = sum(lengths)
    q, k, v = (torch.randn(total, ATTN_HEADS, ATTN_DIM) for _ in range(3))
    layout = Packed.from_lengths(lengths)
    seg = _median_time(lambda: attend_per_segment(q, k, v, layout, layout), repeats)
    dense = _median_time(lambda: attend_block_diagonal(q, k, v, layout), repeats)
    err = attend_per_segment(q, k, v, layout, layout) - attend_block_diagonal(q, k, v, layout)
    ratio = f"{dense / seg:.2f}x"
    return f"{name:<18} {seg * 1e3:>15.1f} {dense * 1e3:>14.1f} {ratio:>9} {err.abs().max():>9.1e}"


def bench_attention(repeats: int) -> None:
    print(f"\n[2] packed attention, {ATTN_HEADS} heads x {ATTN_DIM}, fp32")
    header = ("segments", "per-segment ms", "dense mask ms", "speed-up", "max err")
    print(f"{header[0]:<18} {header[1]:>15} {header[2]:>14} {header[3]:>9} {header[4]:>9}")
    for name, lengths in SEGMENTS.items():
        print(_attention_row(name, lengths, repeats))


def bench_training_step(repeats: int) -> None:
    torch.manual_seed(0)
    model = Mammoth2(get_config("tiny"))
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)
    image = torch.rand(3, 64, 64) * 2 - 1
    batch = model.collate([model.t2i_sample(f"prompt {i}", image) for i in range(4)])

    def step() -> None:
        opt.zero_grad(set_to_none=True)
        model(batch, generator=torch.Generator().manual_seed(0)).loss().backward()
        opt.step()

    a, b = (torch.randn(REFERENCE_MATMUL, REFERENCE_MATMUL) for _ in range(2))
    seconds = _median_time(step, repeats)
    reference = _median_time(lambda: a @ b, repeats)
    print(f"\n[3] tiny Mammoth2 AdamW step, 4 t2i samples at 64 px, {batch.num_tokens} tokens")
    print(f"step {seconds * 1e3:.1f} ms, {REFERENCE_MATMUL}^3 fp32 matmul {reference * 1e3:.1f} ms")
    print(f"step / matmul ratio: {seconds / reference:.1f}x")


def main() -> None:
    parser = argparse.ArgumentParser(description="Mammoth2 model benchmarks (ratios in one run).")
    parser.add_argument("--repeats", type=int, default=5, help="timed repetitions per variant")
    # one thread by default: on shared 2-core machines oversubscribed threads swamp the ratios
    parser.add_argument("--threads", type=int, default=1, help="torch threads (0: torch default)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads")
    bench_packing(args.repeats)
    bench_attention(args.repeats)
    bench_training_step(args.repeats)


if __name__ == "__main__":
    main()
