"""Realistic mess for raw image folders: mixed encodings, EXIF rotation, broken and odd files.

Each broken kind is a (file extension, bytes) recipe so ingest tests can tell exactly what is wrong
with a file from its sidecar's ``broken`` value.
"""

from __future__ import annotations

import io
import struct
import zlib

from PIL import Image

EXT = {"png": "png", "jpeg": "jpg", "webp": "webp"}
EXIF_ORIENTATION_TAG = 0x0112
# How to store displayed pixels so that applying the EXIF orientation shows them upright:
# orientation 6 means "rotate 90 degrees clockwise to display", 8 means counter-clockwise.
STORE_TRANSPOSE = {6: Image.Transpose.ROTATE_90, 8: Image.Transpose.ROTATE_270}
BOMB_SIDE = 100_000  # claimed width and height: 10 gigapixels, far over Pillow's bomb limit
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
NOT_AN_IMAGE = b"This is not an image. It is a text file that was saved with an image name.\n"

BROKEN_DETAILS = {
    "truncated_png": "PNG cut off in the middle of its image data",
    "truncated_jpeg": "JPEG cut off in the middle of its scan data",
    "zero_bytes": "empty file",
    "not_an_image": "plain text file with an image extension",
    "wrong_extension": "valid PNG saved with a .jpg extension",
    "decompression_bomb": f"tiny PNG whose header claims {BOMB_SIDE} x {BOMB_SIDE} pixels",
}
BROKEN_KINDS: tuple[str, ...] = tuple(BROKEN_DETAILS)


def encode(image: Image.Image, fmt: str, quality: int = 90, **kwargs: object) -> bytes:
    """Encode ``image`` as ``png``, ``jpeg`` or ``webp`` (lossy WebP at ``quality``)."""
    buf = io.BytesIO()
    if fmt == "png":
        image.save(buf, "PNG", **kwargs)
    elif fmt == "jpeg":
        image.save(buf, "JPEG", quality=quality, **kwargs)
    elif fmt == "webp":
        image.save(buf, "WEBP", quality=quality, method=4, **kwargs)
    else:
        raise ValueError(f"unknown image format {fmt!r}; expected one of {sorted(EXT)}")
    return buf.getvalue()


def exif_rotated_jpeg(displayed: Image.Image, orientation: int, quality: int = 92) -> bytes:
    """JPEG whose stored pixels are rotated; ``ImageOps.exif_transpose`` restores ``displayed``."""
    stored = displayed.transpose(STORE_TRANSPOSE[orientation])
    exif = Image.Exif()
    exif[EXIF_ORIENTATION_TAG] = orientation
    return encode(stored, "jpeg", quality=quality, exif=exif, subsampling=0)


def truncate(data: bytes, keep: float = 0.5) -> bytes:
    """The first ``keep`` fraction of ``data`` (headers survive, image data does not)."""
    return data[: int(len(data) * keep)]


def png_chunk(kind: bytes, payload: bytes) -> bytes:
    """One PNG chunk with a correct CRC, so only the claimed size is wrong."""
    crc = zlib.crc32(kind + payload) & 0xFFFFFFFF
    return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)


def bomb_png(side: int = BOMB_SIDE) -> bytes:
    """A ~100-byte PNG with a valid IHDR claiming ``side`` x ``side`` RGB pixels."""
    ihdr = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)  # 8-bit RGB, no interlace
    idat = zlib.compress(b"\x00" * 64)  # a sliver of the first row; a reader must stop first
    return (
        PNG_SIGNATURE
        + png_chunk(b"IHDR", ihdr)
        + png_chunk(b"IDAT", idat)
        + (png_chunk(b"IEND", b""))
    )


def broken_file(kind: str, image: Image.Image) -> tuple[str, bytes]:
    """(extension, bytes) of a broken or odd file of ``kind``, made from ``image``."""
    if kind == "truncated_png":
        return "png", truncate(encode(image, "png"))
    if kind == "truncated_jpeg":
        return "jpg", truncate(encode(image, "jpeg", quality=95))
    if kind == "zero_bytes":
        return "png", b""
    if kind == "not_an_image":
        return "jpg", NOT_AN_IMAGE
    if kind == "wrong_extension":
        return "jpg", encode(image, "png")
    if kind == "decompression_bomb":
        return "png", bomb_png()
    raise ValueError(f"unknown broken kind {kind!r}; expected one of {BROKEN_KINDS}")
