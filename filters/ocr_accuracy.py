"""OCR accuracy on the shapes world: the rendered words are known from the scene graphs.

A word counts as read when one recognised line equals it after removing everything but letters
and digits and upper-casing. Also reported: images without text where text was found.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from corpus.schema import Sample
from filters.operators.ocr import OCR

NON_WORD = re.compile(r"[^A-Z0-9]")


@dataclass(frozen=True)
class OCRAccuracy:
    words: int  # rendered words (images with text)
    read: int  # of them, read exactly
    text_free: int  # images whose scene has no text
    false_text: int  # of them, images where OCR found a line anyway

    @property
    def accuracy(self) -> float:
        return self.read / self.words if self.words else float("nan")


def ocr_accuracy(samples: Iterable[Sample], op: OCR | None = None) -> OCRAccuracy:
    """Run the OCR operator on every single-image sample with a scene graph and score it."""
    op = op or OCR()
    op.setup()
    chosen = [s for s in samples if len(s.images) == 1 and "scene" in s.extra]
    stats = op.run_measure(chosen)
    words = read = text_free = false_text = 0
    for sample, s in zip(chosen, stats, strict=True):
        truth = [t["text"] for t in sample.extra["scene"].get("texts", [])]
        lines = {NON_WORD.sub("", w.upper()) for w in (s["text"][0] or "").split()}
        if truth:
            words += len(truth)
            read += sum(t in lines for t in truth)
        else:
            text_free += 1
            false_text += s["lines"][0] > 0
    return OCRAccuracy(words, read, text_free, false_text)
