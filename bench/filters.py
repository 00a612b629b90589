"""Curation throughput against the raw library loops measured in the same run.

    python -m bench.filters [--images 400] [--work /tmp/bench_filters]

Prints, for ~1 MP JPEGs (1024x768): the `resolution` operator against a bare PIL-header loop
(target >= 10,000 images/s and >= 0.85 of the loop); decode + resize to 224 px with JPEG draft
against a full decode + resize (target >= 200 images/s per core); one shard task of a
resolution + decode + dedup recipe (tar read, operators, Parquet writes) against the sum of the
operators' raw loops (target: overhead <= 15 %); and the recipe on two dask workers against
one (target >= 1.7x). Then the model-backed operators on tiny random models built in the work
folder: `vlm_score` and `cot_annotate` through the transformers judge, and `aesthetic` (CLIP
embedding and head), each against a raw batched transformers loop on the same model and samples
(decode, processor, one `generate` or forward per batch of the operator's size; target >= 0.85
of it). Absolute numbers are noisy on shared machines; the ratios are the result.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

import imagehash
import numpy as np
import PIL.Image
import polars as pl
import torch
from transformers import (
    AutoModelForImageTextToText,
    AutoProcessor,
    CLIPConfig,
    CLIPImageProcessor,
    CLIPModel,
)

from corpus import Dataset
from corpus.ingest import IngestConfig, SourceSpec, ingest
from corpus.schema import Image, Sample
from filters.executor import dask_client, map_tasks
from filters.imageio import decode_rgb
from filters.operator import Operator
from filters.operators.aesthetic import Aesthetic, AestheticParams
from filters.operators.cot_annotate import PROMPT, CotAnnotate, CotParams
from filters.operators.dedup import PHASH_DECODE_SIDE
from filters.operators.resolution import Resolution
from filters.operators.vlm_score import MAX_TOKENS, TEMPLATES, VLMScore, VLMScoreParams
from filters.pipeline import ShardTask, run_shard_stage
from filters.recipe import parse_recipe
from filters.workdir import WorkDir
from tests.tiny_llava import save_character_llava

IMAGE_SIZE = (1024, 768)
BASES = 16
SHARD_SAMPLES = 50  # images per shard: many tasks for the two-worker comparison
MODEL_SIDE = 224  # px; what CLIP-style models take
REPEATS = 3
RECIPE = {
    "name": "bench",
    "steps": [{"op": "resolution"}, {"op": "decode"}, {"op": "dedup"}],
}
MODEL_SAMPLES = 64
MODEL_IMAGE_SIZES = ((64, 48), (40, 96), (128, 80), (56, 56))  # px; every batch mixes them
COT_TOKENS = 16
CLIP_SIDE = 32  # px; the tiny CLIP's input


def make_dataset(work: Path, n: int) -> Dataset:
    """n distinct ~1 MP JPEGs (gradient + noise, q90), ingested into ~n/50 shards."""
    rng = np.random.default_rng(0)
    raw = work / "raw"
    raw.mkdir(parents=True)
    for i in range(n):
        if i < BASES:
            gradient = np.linspace(0, 255, IMAGE_SIZE[0])[None, :, None] * rng.random(3)
            noise = rng.integers(0, 24, (IMAGE_SIZE[1], IMAGE_SIZE[0], 3))
            pixels = np.clip(gradient + noise, 0, 255).astype(np.uint8)
            buf = io.BytesIO()
            PIL.Image.fromarray(pixels).save(buf, format="JPEG", quality=90)
            base = buf.getvalue()
            (raw / f"base{i}.bin").write_bytes(base)
        base = (raw / f"base{i % BASES}.bin").read_bytes()
        comment = f"bench {i}".encode()
        com = b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment
        (raw / f"{i:06d}.jpg").write_bytes(base[:2] + com + base[2:])
        (raw / f"{i:06d}.txt").write_text(f"image {i}")
    for p in raw.glob("*.bin"):
        p.unlink()
    cfg = IngestConfig(out=work / "ds", shard_samples=SHARD_SAMPLES, workers=2, progress=False)
    ingest([SourceSpec(raw)], cfg)
    return Dataset.open(work / "ds")


def best_rate(fn, n: int) -> float:
    """Items per second of the fastest of REPEATS runs (the least disturbed by noise)."""
    best = float("inf")
    for _ in range(REPEATS):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return n / best


def header_loop(datas: list[bytes]) -> None:
    for d in datas:
        PIL.Image.open(io.BytesIO(d)).size  # noqa: B018 (the header read is the point)


def full_decode_resize(datas: list[bytes]) -> None:
    for d in datas:
        PIL.Image.open(io.BytesIO(d)).convert("RGB").resize((MODEL_SIDE, MODEL_SIDE))


def raw_pipeline_loops(datas: list[bytes]) -> None:
    """What the three operators must do at least: header, full decode, pHash on a draft."""
    for d in datas:
        PIL.Image.open(io.BytesIO(d)).size  # noqa: B018
        PIL.Image.open(io.BytesIO(d)).load()
        img = PIL.Image.open(io.BytesIO(d))
        img.draft("RGB", (PHASH_DECODE_SIDE, PHASH_DECODE_SIDE))
        imagehash.phash(img.convert("RGB"))


def row(name: str, rate: float, base: float, target: str) -> None:
    print(f"{name:<44} {rate:>10,.0f}/s {base:>10,.0f}/s {rate / base:>7.2f}   {target}")


def bench_operators(samples: list) -> None:
    datas = [s.images[0].data for s in samples]
    images = [s.images[0] for s in samples]
    op = Resolution()
    print(f"{'measurement':<44} {'ours':>12} {'baseline':>12} {'ratio':>7}   target")
    res = best_rate(lambda: op.run_measure(samples), len(samples))
    bare = best_rate(lambda: header_loop(datas), len(datas))
    row("resolution op vs bare PIL header loop", res, bare, ">= 10,000/s and ratio >= 0.85")
    draft = best_rate(lambda: [decode_rgb(i, MODEL_SIDE) for i in images], len(images))
    full = best_rate(lambda: full_decode_resize(datas), len(datas))
    row("decode+resize 224 (draft) vs full decode", draft, full, ">= 200/s per core")


def bench_task(ds: Dataset, work: Path) -> None:
    recipe = parse_recipe(RECIPE)
    shard = ds.shards()[0]
    ids = set(ds.manifest().collect().filter(pl.col("shard") == shard)["id"])
    samples = [s for s in ds if s.id in ids]
    datas = [s.images[0].data for s in samples]
    raw = best_rate(lambda: raw_pipeline_loops(datas), len(datas))

    def task() -> None:
        out = work / f"task_{time.perf_counter_ns()}"
        WorkDir(out).make(1)
        run_shard_stage(ShardTask(recipe, str(ds.root), str(out), shard, 0))

    ours = best_rate(task, len(samples))
    row("one shard task (3 ops) vs sum of raw loops", ours, raw, "overhead <= 15 %")
    print(f"{'':<44} overhead {raw / ours - 1:+.1%}")


def model_samples(n: int) -> list[Sample]:
    """t2i samples with noise PNGs of four sizes and prompts of 8 to 64 characters."""
    rng = np.random.default_rng(0)
    samples = []
    for i in range(n):
        width, height = MODEL_IMAGE_SIZES[i % len(MODEL_IMAGE_SIZES)]
        buf = io.BytesIO()
        PIL.Image.fromarray(rng.integers(0, 256, (height, width, 3), np.uint8)).save(buf, "PNG")
        image = Image("target", "png", width, height, buf.getvalue())
        samples.append(Sample(f"m{i}", "t2i", [image], prompt="a shape " * (1 + i % 8)))
    return samples


def save_tiny_clip(folder: Path) -> Path:
    """A random CLIP with 768-d projections, the aesthetic head's input."""
    small = {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2}
    text = {**small, "num_attention_heads": 2, "vocab_size": 99}
    vision = {**small, "num_attention_heads": 2, "image_size": CLIP_SIDE, "patch_size": 8}
    torch.manual_seed(0)
    config = CLIPConfig(text_config=text, vision_config=vision, projection_dim=768)
    CLIPModel(config).save_pretrained(folder)
    side = {"height": CLIP_SIDE, "width": CLIP_SIDE}
    CLIPImageProcessor(size={"shortest_edge": CLIP_SIDE}, crop_size=side).save_pretrained(folder)
    return folder


def batches(items: list, size: int) -> list[list]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def decode(data: bytes) -> PIL.Image.Image:
    return PIL.Image.open(io.BytesIO(data)).convert("RGB")


@torch.inference_mode()
def raw_generate(
    model, processor, batch_list: list[list[tuple[bytes, str]]], tokens: int, scores: bool
) -> None:
    """Per batch of (image, prompt): decode, chat template with padding, one `generate`."""
    for batch in batch_list:
        conversations = [
            [{"role": "user", "content": [{"type": "image", "image": decode(data)},
                                          {"type": "text", "text": text}]}]
            for data, text in batch
        ]  # fmt: skip
        inputs = processor.apply_chat_template(
            conversations,
            add_generation_prompt=True,
            tokenize=True,
            return_dict=True,
            return_tensors="pt",
            processor_kwargs={"padding": True},
        ).to(model.device)
        model.generate(
            **inputs,
            max_new_tokens=tokens,
            do_sample=False,
            output_scores=scores,
            return_dict_in_generate=True,
        )


@torch.inference_mode()
def raw_embed(model, processor, batch_list: list[list[bytes]]) -> None:
    """Per batch of images: decode, CLIP processor, one image-feature forward."""
    for batch in batch_list:
        pixels = processor(images=[decode(d) for d in batch], return_tensors="pt")["pixel_values"]
        model.get_image_features(pixel_values=pixels.to(model.device))


def bench_judges(samples: list[Sample], work: Path) -> None:
    """vlm_score and cot_annotate on a tiny character-level Llava judge."""
    path = save_character_llava(work / "judge")
    judge = f"transformers:{path}"
    vlm = VLMScore(VLMScoreParams(judge=judge, min_score=None))
    cot = CotAnnotate(CotParams(judge=judge, tasks=["t2i"], temperature=0.0, max_tokens=COT_TOKENS))
    vlm.setup()
    cot.setup()
    model = AutoModelForImageTextToText.from_pretrained(path).to(vlm.backend.device).eval()
    processor = AutoProcessor.from_pretrained(path, padding_side="left")
    rows = (  # operator, its prompt, reply tokens, top log-probabilities
        (vlm, lambda s: TEMPLATES["semantic_alignment"].format(text=s.prompt), MAX_TOKENS, True),
        (cot, lambda s: PROMPT.format(task=s.task, text=s.prompt), COT_TOKENS, False),
    )
    for op, prompt, tokens, scores in rows:
        pairs = batches([(s.images[0].data, prompt(s)) for s in samples], op.batch_size)
        raw = partial(raw_generate, model, processor, pairs, tokens, scores)
        compare(f"{op.name} (transformers) vs raw generate", op, samples, raw)


def bench_aesthetic(samples: list[Sample], work: Path) -> None:
    """aesthetic on a tiny CLIP."""
    path = save_tiny_clip(work / "clip")
    op = Aesthetic(AestheticParams(embedder=str(path)))
    op.setup()
    model = CLIPModel.from_pretrained(path).to(op.clip.device).eval()
    processor = CLIPImageProcessor.from_pretrained(path)
    images = batches([s.images[0].data for s in samples], op.batch_size)
    compare(
        "aesthetic (embed + head) vs raw embed",
        op,
        samples,
        partial(raw_embed, model, processor, images),
    )


def compare(name: str, op: Operator, samples: list[Sample], raw_loop: Callable[[], None]) -> None:
    """The operator's measuring rate against the raw loop's on the same samples."""
    raw = best_rate(raw_loop, len(samples))
    ours = best_rate(lambda: op.run_measure(samples), len(samples))
    row(name, ours, raw, ">= 0.85")


def _warm() -> None:
    import filters.operators  # noqa: F401
    import filters.pipeline  # noqa: F401


def bench_workers(ds: Dataset, work: Path) -> None:
    recipe = parse_recipe(RECIPE)
    rates = {}
    for workers in (1, 2):
        with dask_client(None, workers) as client:
            client.wait_for_workers(workers)
            client.run(_warm)  # imports on every worker before the clock starts
            out = work / f"w{workers}"
            WorkDir(out).make(1)
            tasks = [ShardTask(recipe, str(ds.root), str(out), s, 0) for s in ds.shards()]
            start = time.perf_counter()
            map_tasks(client, tasks, f"{workers} workers", progress=False)
            rates[workers] = len(ds) / (time.perf_counter() - start)
    row("recipe on 2 dask workers vs 1 worker", rates[2], rates[1], ">= 1.7x")
    load = os.getloadavg()[0]
    print(f"{'':<44} {len(ds.shards())} tasks; load average {load:.1f} on {os.cpu_count()} cores")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--images", type=int, default=400)
    p.add_argument("--work", type=Path, default=None)
    args = p.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="bench_filters_"))
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    ds = make_dataset(work, args.images)
    samples = list(ds)[:200]
    bench_operators(samples)
    bench_judges(model_samples(MODEL_SAMPLES), work)
    bench_aesthetic(model_samples(MODEL_SAMPLES), work)
    bench_task(ds, work)
    bench_workers(ds, work)
    shutil.rmtree(work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
