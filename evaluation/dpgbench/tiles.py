"""DPG-Bench image tiling: N generated images as one 2x2 grid, cut back in the official order."""

from __future__ import annotations

from PIL import Image

GRID = 2  # 4 images per prompt as a 2x2 grid (spec 2.2)
PIC_NUM = 4  # tiles used by the official launcher (dist_eval.sh PIC_NUM=4)


def tile_boxes(tile: int) -> list[tuple[int, int, int, int]]:
    """Crop boxes in order TL, TR, BL, BR for tiles of side ``tile``."""
    return [
        (c * tile, r * tile, (c + 1) * tile, (r + 1) * tile)
        for r in range(GRID)
        for c in range(GRID)
    ]


def make_grid(images: list[Image.Image], tile: int) -> Image.Image:
    """Paste up to four images (resized to ``tile``) into the 2x2 grid."""
    grid = Image.new("RGB", (GRID * tile, GRID * tile))
    for image, box in zip(images, tile_boxes(tile), strict=False):
        grid.paste(image.convert("RGB").resize((tile, tile)), box[:2])
    return grid


def cut_tiles(grid: Image.Image, tile: int, pic_num: int = PIC_NUM) -> list[Image.Image]:
    """The first ``pic_num`` tiles of a grid image, as the official scorer crops them."""
    return [grid.crop(box) for box in tile_boxes(tile)[:pic_num]]
