"""`resolution`: image size limits read from headers, never decoding pixels."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from corpus.schema import Sample
from filters.imageio import header_size
from filters.operator import ImageOperator, Verdict, image_stat, param, register

DEFAULT_MIN_SIDE_PX = 64
DEFAULT_MAX_ASPECT = 3.0  # Data-Juicer's image_aspect_ratio_filter default band is 1/3 .. 3


@dataclass
class ResolutionParams:
    min_side: int | None = param(DEFAULT_MIN_SIDE_PX, "px; shorter displayed side at least this")
    max_side: int | None = param(None, "px; longer displayed side at most this")
    min_megapixels: float | None = param(None, "MP; width*height/1e6 at least this")
    max_megapixels: float | None = param(None, "MP; at most this")
    max_aspect: float | None = param(DEFAULT_MAX_ASPECT, "long side / short side at most this")
    any_or_all: str = param("all", "multi-image samples: every image must pass, or any one")
    roles: list[str] | None = param(None, "image roles to check (default: all)")


@register
class Resolution(ImageOperator):
    name = "resolution"
    doc = "min/max side, megapixels and aspect ratio from image headers (no decoding)"
    Params = ResolutionParams
    requires = ("PIL",)
    batch_size = 256
    STATS = {
        "width": image_stat("px", "displayed width (after EXIF orientation)", "int"),
        "height": image_stat("px", "displayed height (after EXIF orientation)", "int"),
        "megapixels": image_stat("MP", "width * height / 1e6"),
        "aspect": image_stat("ratio", "long side / short side (>= 1)"),
    }

    def measure(self, sample: Sample) -> dict[str, Any]:
        # Lists built directly, not per-image dicts: this op runs at header-read speed.
        sizes = [header_size(img) for img in self.images(sample)]
        return {
            "width": [w for w, _ in sizes],
            "height": [h for _, h in sizes],
            "megapixels": [w * h / 1e6 for w, h in sizes],
            "aspect": [max(w, h) / max(1, min(w, h)) for w, h in sizes],
        }

    def decide_image(self, s: dict[str, Any]) -> Verdict:
        p: ResolutionParams = self.params
        short, long = min(s["width"], s["height"]), max(s["width"], s["height"])
        checks = (
            ("too_small", p.min_side is not None and short < p.min_side,
             f"short side {short} px < {p.min_side} px"),
            ("too_large", p.max_side is not None and long > p.max_side,
             f"long side {long} px > {p.max_side} px"),
            ("too_few_pixels", p.min_megapixels is not None and s["megapixels"] < p.min_megapixels,
             f"{s['megapixels']:.3f} MP < {p.min_megapixels} MP"),
            ("too_many_pixels", p.max_megapixels is not None and s["megapixels"] > p.max_megapixels,
             f"{s['megapixels']:.3f} MP > {p.max_megapixels} MP"),
            ("bad_aspect", p.max_aspect is not None and s["aspect"] > p.max_aspect,
             f"aspect {s['aspect']:.2f} > {p.max_aspect}"),
        )  # fmt: skip
        return next(((reason, detail) for reason, bad, detail in checks if bad), None)
