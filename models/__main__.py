"""Command line of the models package.

python -m models params mammoth2     # parameter table of a preset, built on the meta device
python -m models presets             # list the presets
"""

from __future__ import annotations

import argparse
import sys

import torch

from models.mammoth2 import Mammoth2
from models.presets import PRESETS, format_table, get_config, parameter_table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m models", description="Inspect Mammoth2 model presets."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    params = sub.add_parser("params", help="print the parameter count of each part of a preset")
    params.add_argument("preset", choices=sorted(PRESETS), help="model preset name")
    sub.add_parser("presets", help="list the model presets")
    args = parser.parse_args(argv)
    if args.command == "presets":
        print("\n".join(sorted(PRESETS)))
        return 0
    config = get_config(args.preset)
    config.backbone.pretrained = None  # sizes only: no weights are read
    with torch.device("meta"):
        model = Mammoth2(config)
    print(f"preset {args.preset} (built on the meta device: no memory allocated)")
    print(format_table(parameter_table(model)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
