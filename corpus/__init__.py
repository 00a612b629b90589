"""The corpus: sample schema, shard format, datasets, manifests, ingest and the shapes world.

Python API::

    from corpus import Dataset
    ds = Dataset.open("data/shapes")
    ds.manifest().filter(pl.col("task") == "it2i").collect()   # polars LazyFrame
    sample = ds.get(key)                                        # by offset, no tar scan
    for sample in ds: ...
"""

from corpus.dataset import Dataset, DatasetError
from corpus.schema import SCHEMA_VERSION, Image, Pair, Sample

__all__ = ["SCHEMA_VERSION", "Dataset", "DatasetError", "Image", "Pair", "Sample"]
