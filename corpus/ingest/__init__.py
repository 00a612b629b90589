"""Ingest of raw data (image folders, tables, edit triplets, LLaVA json, img2dataset, HF
`datasets`) into the corpus format."""

from corpus.ingest.readers import FORMATS, detect_format
from corpus.ingest.run import IngestConfig, IngestSummary, SourceSpec, ingest

__all__ = ["FORMATS", "IngestConfig", "IngestSummary", "SourceSpec", "detect_format", "ingest"]
