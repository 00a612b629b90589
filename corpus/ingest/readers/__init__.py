"""Readers of the raw formats users have; each turns one input path into raw records.

Every reader has the signature `read(src, task) -> Iterator[RawRecord]`, enumerates its input in
a deterministic order, and yields a record (possibly carrying `error`) for every input it sees,
so that ingest can account for all of them.
"""

from collections.abc import Callable, Iterator
from pathlib import Path

from corpus.ingest.readers import folder, hf, img2dataset, llava, tables
from corpus.ingest.records import RawRecord

Reader = Callable[[Path, str | None], Iterator[RawRecord]]

READERS: dict[str, Reader] = {
    "folder": folder.read,
    "jsonl": tables.read_jsonl,
    "csv": tables.read_csv,
    "parquet": tables.read_parquet,
    "edits": tables.read_edits,
    "llava": llava.read,
    "img2dataset": img2dataset.read,
    "hf": hf.read,
}
FORMATS = ("auto", *READERS)


def detect_format(src: Path) -> str:
    """Guess the raw format of an input path from its layout and extension."""
    if src.is_dir():
        if (src / "dataset_info.json").exists() or (src / "state.json").exists():
            return "hf"
        if any(src.glob("*.tar")):
            return "img2dataset"
        return "folder"
    suffix = src.suffix.lower()
    if suffix == ".json":
        return "llava"
    if suffix in (".jsonl", ".csv", ".parquet"):
        return "edits" if tables.looks_like_edits(src) else suffix[1:]
    raise ValueError(f"{src}: cannot tell the raw format; pass --format")


def read(src: Path, fmt: str = "auto", task: str | None = None) -> Iterator[RawRecord]:
    """Records of one input path in the given (or detected) format."""
    fmt = detect_format(src) if fmt == "auto" else fmt
    if fmt not in READERS:
        raise ValueError(f"unknown format {fmt!r}; one of {FORMATS}")
    return READERS[fmt](src, task)
