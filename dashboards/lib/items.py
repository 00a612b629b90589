"""One scored item as a person reads it: its text, its images (confined paths) and the verdict."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from dashboards.lib.roots import PathRefused, confine
from evaluation.store import OUTPUTS_DIR

# Record columns that name image files (GenEval "image", ImgEdit "source_image", ...).
IMAGE_COLUMNS = ("image", "source_image", "output_image", "output_path", "image_path")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".gif", ".bmp")
TEXT_COLUMNS = ("prompt", "question", "instruction", "answer", "prediction", "output")
BOOKKEEPING = ("item", "correct", "score", "category", "index", "key", "item_id", "id")


def _parse(value: Any) -> Any:
    """Nested record values are stored as JSON strings (evaluation.store); decode them."""
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def image_values(row: dict[str, Any]) -> list[tuple[str, str]]:
    """(column, path) of every image the record names."""
    return [
        (c, str(row[c]))
        for c in IMAGE_COLUMNS
        if isinstance(row.get(c), str) and row[c].lower().endswith(IMAGE_SUFFIXES)
    ]


def resolve_image(value: str, run_dir: Path, roots: tuple[Path, ...]) -> Path:
    """The file a record's image path names: relative paths are looked up in ``outputs/`` and
    then in the run directory; the result must be under a results root (else PathRefused)."""
    if Path(value).is_absolute():
        return confine(value, roots)
    for base in (run_dir / OUTPUTS_DIR, run_dir):
        candidate = confine(value, roots, base=base)
        if candidate.exists():
            return candidate
    return confine(value, roots, base=run_dir / OUTPUTS_DIR)


def texts(row: dict[str, Any]) -> dict[str, str]:
    """The item's prompt / question / answer fields that are present."""
    return {c: str(row[c]) for c in TEXT_COLUMNS if row.get(c) not in (None, "")}


def verdict(row: dict[str, Any]) -> dict[str, Any]:
    """Everything else the scorer recorded (detector or judge output, reasons), decoded."""
    skip = set(IMAGE_COLUMNS) | set(TEXT_COLUMNS) | set(BOOKKEEPING)
    return {k: _parse(v) for k, v in row.items() if k not in skip and v is not None}


def load_image(value: str, run_dir: Path, roots: tuple[Path, ...]) -> tuple[bytes | None, str]:
    """Image bytes and a caption; a refused or missing path gives None and the reason."""
    try:
        path = resolve_image(value, run_dir, roots)
    except PathRefused as e:
        return None, f"refused: {e}"
    if not path.is_file():
        return None, f"missing: {value}"
    return path.read_bytes(), value
