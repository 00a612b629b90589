"""``python -m evaluation.geneval``: generate GenEval images, detect, and score them officially."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from evaluation.cli import base_parser, main_guard, run_name
from evaluation.distributed import is_main_rank
from evaluation.errors import BadInput
from evaluation.generation import generate_images, generate_missing, save_image
from evaluation.geneval.detections import read_detections
from evaluation.geneval.layout import sample_path, write_prompt_metadata
from evaluation.geneval.metadata import METADATA_FILE, TAGS, PromptMeta, load_metadata
from evaluation.geneval.oracle import DETECTORS, DetectorOptions, detect_folder, detector_info
from evaluation.geneval.scorer import ScoreConfig, score_records
from evaluation.geneval.shapes_world import shapes_metadata
from evaluation.store import RunDir, data_identity, file_sha256, write_results

BENCHMARK = "geneval"
DESCRIPTION = """\
GenEval (object-focused text-to-image alignment), scored exactly as the official evaluator.

Stages: 'generate' writes N images per prompt in the official layout under
RESULTS/RUN/geneval/outputs/ (sharded over ranks under torchrun, resumable); 'score' runs the
detector over them into detections.jsonl (resumable) and applies the official rules. With
--records FILE, 'score' uses recorded detections only: no model and no detector are needed.

examples:
  python -m evaluation.geneval ckpt/ --detector shapes
  python -m evaluation.geneval ckpt/ --stage generate --resolution 512
  python -m evaluation.geneval --stage score --records detections.jsonl --run rescored
"""
SHAPES_DATA = "shapes-world"


def build_parser() -> argparse.ArgumentParser:
    p = base_parser("python -m evaluation.geneval", DESCRIPTION)
    p.add_argument(
        "--data",
        help="evaluation_metadata.jsonl (default: the official file, bundled, or "
        "$MAMMOTH2_BENCHMARKS/geneval/prompts/; with --detector shapes, the shapes-world prompts)",
    )
    p.add_argument(
        "--tags",
        type=lambda s: s.split(","),
        help=f"only prompts of these tags, comma-separated (of {', '.join(TAGS)}): a quick "
        "partial evaluation; the overall is then the mean over these tags",
    )
    p.add_argument("--n-samples", type=int, default=4, help="images per prompt (default 4)")
    p.add_argument("--detector", default="mask2former", help=f"one of: {', '.join(DETECTORS)}")
    p.add_argument("--detector-model", help="detector weights: local path or hub id")
    p.add_argument("--clip-model", help="CLIP for the colour classifier: local path or hub id")
    p.add_argument("--device", help="torch device for model and detector (default: cuda if any)")
    p.add_argument("--resolution", type=int, help="image side in pixels (default: the model's)")
    p.add_argument("--records", help="score this recorded detections.jsonl alone")
    return p


def load_data(args: argparse.Namespace, run_dir: RunDir) -> tuple[list[PromptMeta], dict]:
    """The prompt metadata and its identity for run.json."""
    if args.data is None and args.detector == "shapes":
        lines, identity = shapes_metadata(), {"name": SHAPES_DATA}
    else:
        path = METADATA_FILE.locate(args.data)
        if not args.tags:
            return load_metadata(path), data_identity(path)
        lines = [json.loads(x) for x in path.read_text().splitlines() if x.strip()]
        identity = {"path": str(path), "source_sha256": file_sha256(path)}
    if args.tags:
        unknown = sorted(set(args.tags) - set(TAGS))
        if unknown:
            problem = f"--tags: unknown tags {unknown} (known: {', '.join(TAGS)})"
            raise BadInput(identity.get("path", SHAPES_DATA), None, problem)
        lines, identity["tags"] = [x for x in lines if x["tag"] in args.tags], args.tags
    path = run_dir.path("metadata.jsonl")
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return load_metadata(path), {**identity, "sha256": file_sha256(path)}


def generate(args: argparse.Namespace, metadata: list[PromptMeta], run_dir: RunDir) -> None:
    """N images per prompt; prompts whose images all exist are skipped."""

    def done(meta: PromptMeta) -> bool:
        return all(
            sample_path(run_dir.outputs, meta.index, k).exists() for k in range(args.n_samples)
        )

    def make(model, meta: PromptMeta) -> None:
        write_prompt_metadata(run_dir.outputs, meta)
        prompts = [meta.prompt] * args.n_samples
        seed = args.seed + meta.index
        images = generate_images(model, prompts, args.resolution, seed, args.steps)
        for k, image in enumerate(images):
            save_image(image, sample_path(run_dir.outputs, meta.index, k))

    generate_missing(metadata, done, make, args.ckpt, progress=not args.no_progress)


def score(
    args: argparse.Namespace, metadata: list[PromptMeta], run_dir: RunDir
) -> tuple[list[dict], dict]:
    """Records -> official rows and scores; without --records, detect the output folder first (the
    folder's own per-prompt metadata is then the ground truth, as in the official evaluator)."""
    records = Path(args.records) if args.records else run_dir.path("detections.jsonl")
    truth: list[PromptMeta] | dict[int, PromptMeta] = metadata
    if not args.records:
        options = DetectorOptions(args.detector_model, args.clip_model, args.device)
        detector = DETECTORS.get(args.detector)(options)
        identity = detector_info(args.detector, options)
        progress = not args.no_progress
        truth = detect_folder(run_dir.outputs, records, detector, identity, progress)
    return score_records(truth, read_detections(records), ScoreConfig(), str(records))


def print_scores(scores: dict) -> None:
    for tag in TAGS:
        if tag in scores["categories"]:
            print(f"{tag:>14}: {scores['categories'][tag]:.4f}")
    print(f"{'overall':>14}: {scores['overall']:.5f}  ({scores['n_images']} images)")


@main_guard
def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    DETECTORS.get(args.detector)  # fail fast on a typo, with a suggestion
    run_dir = RunDir.create(args.out, run_name(args), BENCHMARK)
    metadata, data = load_data(args, run_dir)
    if args.stage in ("generate", "all") and not args.records:
        generate(args, metadata, run_dir)
    if args.stage in ("score", "all") and is_main_rank():
        rows, scores = score(args, metadata, run_dir)
        options = DetectorOptions(args.detector_model, args.clip_model, args.device)
        judge = {"records": args.records} if args.records else detector_info(args.detector, options)
        settings = {"n_samples": args.n_samples, "resolution": args.resolution, "steps": args.steps}
        write_results(
            run_dir,
            rows,
            scores,
            benchmark=BENCHMARK,
            checkpoint=args.ckpt,
            data=data,
            judge=judge,
            seeds=[args.seed],
            settings={**settings, **ScoreConfig().__dict__},
        )
        print_scores(scores)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
