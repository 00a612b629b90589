"""Visual-token noise regularisation for AR training inputs.

Teacher forcing on clean visual tokens leaves the backbone fragile to its own sampling errors.
Two corruptions of the *input* code grid (targets stay clean):

* similarity noise: each token, with probability ``fraction``, is replaced by one of its ``k``
  nearest codebook neighbours (cosine on the unit codebook), i.e. a plausible mistake;
* region noise: one random rectangle per image, covering at most ``max_area`` of the grid, is
  replaced by uniformly random codes (a locally broken patch).

Legend: B images, h x w code grid, K codebook size, d code dim.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

NEIGHBOUR_CHUNK = 1024  # rows of the K x K similarity computed at once (16384^2 would be 1 GiB)


@torch.no_grad()
def codebook_neighbours(codebook_Kd: torch.Tensor, k: int) -> torch.Tensor:
    """(K, k) indices of each code's k nearest other codes by cosine similarity."""
    unit = F.normalize(codebook_Kd.float(), dim=-1)
    chunks = []
    for start in range(0, unit.shape[0], NEIGHBOUR_CHUNK):
        sim = unit[start : start + NEIGHBOUR_CHUNK] @ unit.T
        rows = torch.arange(sim.shape[0], device=sim.device)
        sim[rows, rows + start] = -float("inf")  # never one's own neighbour
        chunks.append(sim.topk(k, dim=-1).indices)
    return torch.cat(chunks, 0)


def similarity_noise(
    codes: torch.Tensor,
    neighbours_Kk: torch.Tensor,
    fraction: float,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Replace a ``fraction`` of codes (any shape) by a random one of their nearest neighbours."""
    flip = torch.rand(codes.shape, generator=generator, device=codes.device) < fraction
    pick = torch.randint(
        neighbours_Kk.shape[1], codes.shape, generator=generator, device=codes.device
    )
    replaced = neighbours_Kk[codes, pick]
    return torch.where(flip, replaced, codes)


def region_noise(
    codes_Bhw: torch.Tensor,
    codebook_size: int,
    max_area: float,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Per image, fill one random rectangle (area <= ``max_area`` of the grid) with random codes."""
    out = codes_Bhw.clone()
    _, h, w = codes_Bhw.shape
    for b in range(codes_Bhw.shape[0]):
        rh, rw = _rectangle(h, w, max_area, generator)
        top = int(torch.randint(h - rh + 1, (1,), generator=generator))
        left = int(torch.randint(w - rw + 1, (1,), generator=generator))
        noise = torch.randint(codebook_size, (rh, rw), generator=generator)
        out[b, top : top + rh, left : left + rw] = noise.to(out.device)
    return out


def _rectangle(
    h: int, w: int, max_area: float, generator: torch.Generator | None
) -> tuple[int, int]:
    """Random (rows, cols) with rows * cols <= max_area * h * w, at least 1 x 1."""
    budget = max(1, int(max_area * h * w))
    rows = int(torch.randint(1, min(h, budget) + 1, (1,), generator=generator))
    cols = int(torch.randint(1, min(w, budget // rows) + 1, (1,), generator=generator))
    return rows, cols
