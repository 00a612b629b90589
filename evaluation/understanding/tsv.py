"""VLMEvalKit-format TSV files: benchmark data and prediction files (understanding_suites.md 1).

A data row's ``image`` is base64, a serialized list of base64 strings, or (64 characters or less)
the ``index`` of another row whose image it reuses (MMBench circular passes). Prediction files are
the data TSV without ``image`` plus a ``prediction`` column. Empty cells are missing values (how
pandas writes NaN), so absent options are simply not listed.
"""

from __future__ import annotations

import ast
import base64
import csv
import sys
from pathlib import Path
from typing import Any

from evaluation.errors import BadInput
from evaluation.hf_data import is_hf_dataset, read_hf_rows
from evaluation.store import file_digest

IMAGE_REF_MAX = 64  # an image cell this short is a reference to another row's index
OPTION_LETTERS = tuple("ABCDEFGHIJKLMNOPQRSTUVWXY")
csv.field_size_limit(sys.maxsize)  # base64 images make very long cells


def read_tsv(path: str | Path) -> list[dict[str, str]]:
    """Rows as dicts of strings; a missing ``index`` column is a one-line error."""
    path = Path(path)
    if not path.is_file():
        raise BadInput(path, None, "file not found")
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f, delimiter="\t"))
    if rows and "index" not in rows[0]:
        raise BadInput(path, None, "no 'index' column (not a VLMEvalKit TSV)")
    return rows


def read_rows(path: str | Path) -> list[dict[str, str]]:
    """Data rows of a VLMEvalKit TSV, or of a Hugging Face dataset folder with the same columns
    (an Image feature becomes its base64 bytes, as in the TSV)."""
    if not is_hf_dataset(path):
        return read_tsv(path)
    rows = [{k: _cell(v) for k, v in row.items()} for row in read_hf_rows(path)]
    if rows and "index" not in rows[0]:
        raise BadInput(path, None, "no 'index' column (not VLMEvalKit's columns)")
    return rows


def _cell(value: Any) -> str:
    if isinstance(value, dict) and isinstance(value.get("bytes"), bytes):
        return base64.b64encode(value["bytes"]).decode()
    return "" if value is None else str(value)


def write_tsv(path: str | Path, rows: list[dict[str, Any]], columns: list[str]) -> None:
    with Path(path).open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, columns, delimiter="\t", extrasaction="ignore")
        writer.writeheader()
        writer.writerows({k: "" if v is None else v for k, v in r.items()} for r in rows)


def append_tsv(path: str | Path, rows: list[dict[str, Any]], columns: list[str]) -> None:
    """Append rows (header first if the file is new), so predictions survive a killed run."""
    path = Path(path)
    new = not path.exists()
    with path.open("a", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, columns, delimiter="\t", extrasaction="ignore")
        if new:
            writer.writeheader()
        writer.writerows({k: "" if v is None else v for k, v in r.items()} for r in rows)


def md5(path: str | Path) -> str:
    return file_digest(path, "md5")


def row_images(row: dict[str, str], by_index: dict[str, dict[str, str]], path: Path) -> list[str]:
    """Base64 images of a row, following index references and list-valued cells."""
    cell = row.get("image", "")
    if len(cell) <= IMAGE_REF_MAX:
        target = by_index.get(cell)
        if target is None or len(target.get("image", "")) <= IMAGE_REF_MAX:
            raise BadInput(path, row["index"], f"image reference {cell!r} does not resolve")
        cell = target["image"]
    if cell.startswith("["):
        try:
            return [str(x) for x in ast.literal_eval(cell)]
        except (ValueError, SyntaxError):
            raise BadInput(path, row["index"], "unparsable image list") from None
    return [cell]


def options(row: dict[str, str]) -> dict[str, str]:
    """Option letter -> text for the option columns present and non-empty, in letter order."""
    out = {}
    for letter in OPTION_LETTERS:
        value = row.get(letter)
        if value is None or value == "" or value == "nan":
            continue
        out[letter] = value
    return out
