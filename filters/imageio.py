"""Image access for operators: header-only sizes and fast decodes (JPEG draft mode).

Operators that need pixels at model resolution (aesthetic, pHash, OCR) decode through
`decode_rgb`, which lets libjpeg downscale in the DCT domain (`draft`) before the full decode:
about 2.5x faster on megapixel JPEGs (specs/curation_reference.md section 9).
"""

from __future__ import annotations

import io

import PIL.Image

from corpus.schema import Image

ROTATED_ORIENTATIONS = frozenset({5, 6, 7, 8})  # EXIF orientations that swap width and height
T = PIL.Image.Transpose
# EXIF orientation -> the transpose that shows the stored pixels upright (EXIF 2.32, tag 0x0112).
UPRIGHT = {2: T.FLIP_LEFT_RIGHT, 3: T.ROTATE_180, 4: T.FLIP_TOP_BOTTOM, 5: T.TRANSPOSE,
           6: T.ROTATE_270, 7: T.TRANSVERSE, 8: T.ROTATE_90}  # fmt: skip


def header_size(image: Image) -> tuple[int, int]:
    """Displayed (width, height) read from the encoded header, without decoding pixels."""
    width, height = PIL.Image.open(io.BytesIO(image.data)).size  # nothing to close: BytesIO
    if image.orientation in ROTATED_ORIENTATIONS:
        return height, width
    return width, height


def judge_view(image: Image) -> bytes | PIL.Image.Image:
    """The image as a judge model must see it: the original bytes when they show upright,
    else the upright pixels (judges and their servers decode without applying EXIF)."""
    return image.data if image.orientation == 1 else decode_rgb(image)


def decode_rgb(image: Image, max_side: int | None = None) -> PIL.Image.Image:
    """Decode to upright RGB; with `max_side`, downscale so the longer side is at most that.

    JPEGs are drafted to the smallest DCT scale still >= the target, then resized; the
    image's EXIF orientation (recorded at ingest) is applied.
    """
    img = PIL.Image.open(io.BytesIO(image.data))
    if max_side is not None and img.format == "JPEG":
        scale = max_side / max(img.size)
        if scale < 1:
            img.draft("RGB", (round(img.size[0] * scale), round(img.size[1] * scale)))
    img = img.convert("RGB") if img.mode != "RGB" else img
    if image.orientation in UPRIGHT:
        img = img.transpose(UPRIGHT[image.orientation])
    if max_side is not None and max(img.size) > max_side:
        img.thumbnail((max_side, max_side), PIL.Image.Resampling.BILINEAR)
    return img
