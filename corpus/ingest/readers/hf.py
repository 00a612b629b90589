"""A Hugging Face `datasets` dataset saved with `save_to_disk` (images read as bytes)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from corpus.ingest.readers.tables import task_of
from corpus.ingest.records import RawRecord, record_from_row

HF_BATCH_ROWS = 64


def read(src: Path, task: str | None = None) -> Iterator[RawRecord]:
    import datasets  # heavy import, only when this reader is used

    ds = datasets.load_from_disk(str(src))
    if isinstance(ds, datasets.DatasetDict):
        raise ValueError(f"{src}: a DatasetDict; pass one split's folder ({list(ds)})")
    for name, feature in ds.features.items():
        if isinstance(feature, datasets.Image):
            ds = ds.cast_column(name, datasets.Image(decode=False))
    index = 0
    for batch in ds.iter(batch_size=HF_BATCH_ROWS):
        columns = list(batch)
        for values in zip(*batch.values(), strict=True):
            row = dict(zip(columns, values, strict=True))
            yield record_from_row(row, task or task_of(row), src, f"{src.name}#{index}")
            index += 1
