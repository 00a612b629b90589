"""Benchmark rows from a Hugging Face dataset folder, taken as the user has it.

Two layouts: a ``save_to_disk`` folder (``dataset_info.json`` + ``state.json``, or a
``dataset_dict.json`` over split folders), read with ``datasets.load_from_disk``; and the hub's
files, any ``*.parquet`` below the folder (``data/test-00000-of-00001.parquet``), read with
pyarrow. A folder with several splits must be narrowed to one (its folder or file). Image
features stay undecoded, as ``{"bytes": ..., "path": ...}``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from evaluation.errors import BadInput

SAVE_TO_DISK_MARKERS = ("state.json", "dataset_dict.json")


def is_hf_dataset(path: str | Path) -> bool:
    """A ``save_to_disk`` folder, a folder holding parquet files, or one parquet file."""
    path = Path(path)
    if path.is_file():
        return path.suffix == ".parquet"
    is_saved = any((path / m).is_file() for m in SAVE_TO_DISK_MARKERS)
    return path.is_dir() and (is_saved or next(path.rglob("*.parquet"), None) is not None)


def read_hf_rows(path: str | Path) -> list[dict[str, Any]]:
    """The rows of the dataset's one split, in order, as plain dicts."""
    path = Path(path)
    if path.is_dir() and any((path / m).is_file() for m in SAVE_TO_DISK_MARKERS):
        return _saved_rows(path)
    return _parquet_rows(path)


def _one_split(path: Path, splits: list[str]) -> None:
    if len(splits) > 1:
        problem = f"several splits ({', '.join(splits)}): pass the folder or file of one"
        raise BadInput(path, None, problem)


def _saved_rows(path: Path) -> list[dict[str, Any]]:
    import datasets

    data = datasets.load_from_disk(str(path))
    if isinstance(data, datasets.DatasetDict):
        _one_split(path, list(data))
        data = next(iter(data.values()))
    return data.data.table.to_pylist()  # the stored values: images stay bytes


def _split_name(file: Path) -> str:
    """``test-00000-of-00001.parquet`` -> ``test``; ``test/0000.parquet`` -> ``test``."""
    match = re.match(r"(.+?)-\d{5}-of-\d{5}$", file.stem)
    return match.group(1) if match else file.parent.name


def _parquet_rows(path: Path) -> list[dict[str, Any]]:
    import pyarrow.parquet as pq

    files = [path] if path.is_file() else sorted(path.rglob("*.parquet"))
    _one_split(path, sorted({_split_name(f) for f in files}))
    return [row for f in files for row in pq.read_table(f).to_pylist()]
