"""Reading what an encoded image is from its header, without decoding its pixels.

Ingest keeps original bytes, so it only needs the format, the size and the EXIF orientation;
all three come from the header (tens of thousands of images per second). A full decode is
optional (`verify="decode"`) and only happens after the pixel limit has been checked, so a
decompression bomb is rejected before it can allocate anything.
"""

from __future__ import annotations

import io
import re
import warnings
from dataclasses import dataclass

import PIL.Image

# Pillow format name -> the extension we store the bytes under (MPO is a multi-picture JPEG).
EXTENSIONS = {
    "JPEG": "jpg",
    "MPO": "jpg",
    "PNG": "png",
    "WEBP": "webp",
    "GIF": "gif",
    "BMP": "bmp",
    "TIFF": "tiff",
}
# Extensions ingest treats as images (some only to reject them as unsupported, or re-encode).
IMAGE_EXTENSIONS = frozenset(
    {"jpg", "jpeg", "jpe", "png", "apng", "webp", "gif", "bmp", "tif", "tiff"}
    | {"ico", "pbm", "pgm", "ppm", "tga", "heic", "avif", "jp2"}
)
DEFAULT_MAX_PIXELS = 8192 * 8192
EXIF_ORIENTATION_TAG = 0x0112
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")


class ImageError(ValueError):
    """The bytes are not an image ingest can keep; the message is the rejection reason and
    `kind` its category (one of REJECT_KINDS), for counting rejections by cause."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True)
class ImageInfo:
    format: str  # our extension, see EXTENSIONS
    width: int
    height: int
    orientation: int = 1


def probe(data: bytes, max_pixels: int = DEFAULT_MAX_PIXELS, decode: bool = False) -> ImageInfo:
    """Identify an encoded image from its header; optionally check that it fully decodes.

    Raises ImageError with a short reason (empty file, not an image, unsupported format,
    too many pixels, truncated or corrupt data).
    """
    if not data:
        raise ImageError("empty_file", "empty file (0 bytes)")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Pillow warns on large headers; we apply our own limit
        try:
            img = PIL.Image.open(io.BytesIO(data))
        except PIL.Image.DecompressionBombError as e:
            raise ImageError("too_many_pixels", f"decompression bomb: {e}") from None
        except PIL.UnidentifiedImageError:
            raise ImageError("not_an_image", "not an image (format not recognised)") from None
        except (OSError, ValueError, SyntaxError) as e:
            raise ImageError("corrupt_image", f"not a readable image: {_first_line(e)}") from None
        with img:
            info = _header_info(img, max_pixels)
            if decode:
                _full_decode(img)
    return info


def _header_info(img: PIL.Image.Image, max_pixels: int) -> ImageInfo:
    ext = EXTENSIONS.get(img.format or "")
    if ext is None:
        raise ImageError(
            "unsupported_format",
            f"unsupported image format {img.format} (supported: {sorted(EXTENSIONS)})",
        )
    width, height = img.size
    if width <= 0 or height <= 0:
        raise ImageError("corrupt_image", f"invalid image size {width}x{height}")
    if width * height > max_pixels:
        raise ImageError(
            "too_many_pixels",
            f"too many pixels: {width}x{height} = {width * height} > limit {max_pixels}"
            " (decompression-bomb guard)",
        )
    return ImageInfo(ext, width, height, _orientation(img))


def _orientation(img: PIL.Image.Image) -> int:
    try:
        value = int(img.getexif().get(EXIF_ORIENTATION_TAG, 1))
    except Exception:  # malformed EXIF is common in the wild and never fatal
        return 1
    return value if 1 <= value <= 8 else 1


def _full_decode(img: PIL.Image.Image) -> None:
    try:
        img.load()
    except Exception as e:  # Pillow raises many types for corrupt streams
        raise ImageError("corrupt_image", f"image does not decode: {_first_line(e)}") from None


def _first_line(e: BaseException) -> str:
    """A short, reproducible reason: first line of the message, without object addresses."""
    lines = str(e).strip().splitlines()
    text = _ADDRESS.sub("", lines[0]) if lines else ""
    return f"{type(e).__name__}: {text}".rstrip(": ")


def reencode_png(data: bytes) -> bytes:
    """Decode and re-encode losslessly as PNG (only when the user asks for re-encoding)."""
    with PIL.Image.open(io.BytesIO(data)) as img:
        img.seek(0)
        frame = img.convert(
            "RGBA" if "A" in img.getbands() or "transparency" in img.info else "RGB"
        )
    out = io.BytesIO()
    frame.save(out, format="PNG")
    return out.getvalue()
