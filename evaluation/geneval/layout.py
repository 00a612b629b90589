"""GenEval's image folder layout (spec 1.2), written by the generate stage, read by the detector.

``<folder>/<5-digit prompt index>/metadata.jsonl`` (one JSON object, the prompt's metadata line)
and ``samples/<5-digit n>.png``. Discovery follows the official rules: all-digit directory names,
``metadata.jsonl`` read as one object, sample files matching ``\\d+\\.png`` at the start.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from evaluation.errors import BadInput
from evaluation.geneval.metadata import PromptMeta, parse_meta

SAMPLE_RE = re.compile(r"\d+\.png")
METADATA_FILE = "metadata.jsonl"


def sample_path(folder: Path, index: int, n: int) -> Path:
    return folder / f"{index:05d}" / "samples" / f"{n:05d}.png"


def write_prompt_metadata(folder: Path, meta: PromptMeta) -> None:
    d = folder / f"{meta.index:05d}"
    (d / "samples").mkdir(parents=True, exist_ok=True)
    (d / METADATA_FILE).write_text(json.dumps(meta.raw))


def discover(folder: Path) -> list[tuple[PromptMeta, Path]]:
    """(metadata, image path) for every sample in the official layout, sorted."""
    out = []
    for d in sorted(p for p in folder.iterdir() if p.name.isdigit() and p.is_dir()):
        meta_path = d / METADATA_FILE
        try:
            obj = json.loads(meta_path.read_text())
        except (OSError, json.JSONDecodeError) as e:
            raise BadInput(meta_path, None, f"unreadable prompt metadata ({e})") from None
        meta = parse_meta(obj, int(d.name), meta_path, d.name)
        samples = d / "samples"
        names = sorted(p.name for p in samples.iterdir()) if samples.is_dir() else []
        out += [
            (meta, samples / n) for n in names if SAMPLE_RE.match(n) and (samples / n).is_file()
        ]
    return out
