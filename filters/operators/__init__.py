"""Every operator module; importing this package registers them all (see filters.operator)."""

from filters.operators import (
    aesthetic,
    cot_annotate,
    decode,
    dedup,
    edit_pairing,
    ocr,
    resolution,
    vlm_score,
)

__all__ = [
    "aesthetic",
    "cot_annotate",
    "decode",
    "dedup",
    "edit_pairing",
    "ocr",
    "resolution",
    "vlm_score",
]
