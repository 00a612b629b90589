"""OCR with the real rapidocr PP-OCRv4 models on the shapes world's rendered words."""

from __future__ import annotations

from filter_helpers import image, t2i

from filters.ocr_accuracy import ocr_accuracy
from filters.operators.ocr import OCR, OCRParams

MIN_ACCURACY = 0.9  # measured 26/26 on the small world (seed 0)


def test_ocr_reads_the_rendered_words_of_the_shapes_world(samples):
    with_text = [s for s in samples if s.extra.get("scene", {}).get("texts")]
    plain = [s for s in samples if "scene" in s.extra and not s.extra["scene"]["texts"]][:10]
    result = ocr_accuracy(with_text + plain)
    assert result.words >= 20
    assert result.accuracy >= MIN_ACCURACY, result
    assert result.false_text <= 2, result


def test_ocr_decisions_on_text_area_and_presence():
    blank = t2i("blank", image("target", (200, 120), color=(190, 190, 190)))
    op = OCR(OCRParams(require_text=True))
    op.setup()
    [stats] = op.run_measure([blank])
    assert stats["lines"] == [0] and stats["text_area"] == [0.0]
    assert op.judge(stats)[0] == "no_text"
    assert OCR(OCRParams(max_text_area=0.5)).decide(stats) is None
