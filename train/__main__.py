"""``python -m train``: run a training stage (also under ``torchrun --nproc_per_node N``)."""

from __future__ import annotations

import argparse
import sys

from train.config import STAGE_NAMES, TrainConfig, apply_override, load_toml, merge, stage_config
from train.manifest import ManifestError

EXAMPLES = """examples:
  python -m train --stage tok  --manifest curated.parquet --model tiny --out runs/tok
  python -m train --stage pre1 --manifest curated.parquet --out runs/pre1 \\
      --init runs/tok/final --steps 200 --set data.resolution=64 --set optim.lr.dit=2e-4
  torchrun --nproc_per_node 8 -m train --stage sft --manifest a.parquet b.parquet \\
      --model mammoth2 --init runs/pre2/final --out runs/sft

The stage file train/stages/STAGE.toml gives every default (Table 1 of the paper);
--config FILE (same TOML sections) and --set section.field=value override any value, e.g.
data.token_budget, data.task_weights.it2t, optim.lr.backbone, schedule.kind,
checkpoint.interval, parallel.fsdp. A run folder that has checkpoints is resumed."""


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m train",
        description="Train a Mammoth2 stage from curated manifests (token-budget packing, "
        "task mixing, FSDP2 under torchrun, exact resume).",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--stage", required=True, choices=STAGE_NAMES, help="training stage")
    p.add_argument("--manifest", nargs="+", help="curated manifest(s) or dataset folder(s)")
    p.add_argument("--model", help="model preset: tiny, tiny-vae or mammoth2 (default tiny)")
    p.add_argument("--init", help="save_pretrained folder to start from (previous stage's final/)")
    p.add_argument("--out", required=True, help="run folder: logs, step-N checkpoints, final/")
    p.add_argument("--steps", type=int, help="optimiser steps in total (resume continues to it)")
    p.add_argument("--seed", type=int, help="seed of the model init, data order and noise")
    p.add_argument("--config", help="TOML file overriding the stage file")
    p.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="override any value"
    )
    return p


def resolve(args: argparse.Namespace) -> TrainConfig:
    cfg = stage_config(args.stage)
    if args.config:
        merge(cfg, load_toml(args.config))
    named = {
        "data.manifests": args.manifest,
        "model.preset": args.model,
        "model.init": args.init,
        "out": args.out,
        "steps": args.steps,
        "seed": args.seed,
    }
    for key, value in named.items():
        if value is not None:
            merge(cfg, _nested(key, value))
    for assignment in args.set:
        apply_override(cfg, assignment)
    return cfg


def _nested(key: str, value):
    for part in reversed(key.split(".")):
        value = {part: value}
    return value


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        cfg = resolve(args)
        from train.trainer import train  # heavy imports after the arguments are valid

        out = train(cfg)
    except (ManifestError, ValueError, FileNotFoundError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"run folder: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
