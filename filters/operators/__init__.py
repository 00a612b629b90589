"""Every operator module; importing this package registers them all (see filters.operator)."""

from filters.operators import aesthetic, decode, dedup, ocr, resolution

__all__ = ["aesthetic", "decode", "dedup", "ocr", "resolution"]
