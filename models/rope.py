"""Three-axis rotary position embedding of the DiT (Lumina/OmniGen2 "Omni-RoPE", real form).

Each token has a position triple (axis0, row, col). Condition token i gets (i, i, i). Every image
(reference images first, then the noisy target) gets axis0 = a running offset that starts at the
condition length and grows by max(h, w) of each earlier image, and its own row/col from 0.
The head dimension splits into ``axes_dim`` parts, one per axis; rotation acts on interleaved
pairs (x[0::2], x[1::2]).

Legend: T tokens, H heads, E head dim.
"""

from __future__ import annotations

import torch

ROPE_THETA = 10000.0


def sequence_positions(
    cond_len: int, image_hws: list[tuple[int, int]], device: torch.device | str = "cpu"
) -> torch.Tensor:
    """Positions (T, 3) of one joint sequence ``[condition ; image_0 ; image_1 ; ...]``.

    ``image_hws`` are token grids (h, w); the last one is the noisy target, the others references.
    """
    parts = [torch.arange(cond_len, device=device)[:, None].expand(cond_len, 3)]
    offset = cond_len
    for h, w in image_hws:
        rows, cols = torch.meshgrid(
            torch.arange(h, device=device), torch.arange(w, device=device), indexing="ij"
        )
        axis0 = torch.full_like(rows, offset)
        parts.append(torch.stack([axis0, rows, cols], -1).reshape(h * w, 3))
        offset += max(h, w)
    return torch.cat(parts, 0)


def rope_angles(
    pos_T3: torch.Tensor, axes_dim: tuple[int, int, int], theta: float = ROPE_THETA
) -> torch.Tensor:
    """cos/sin tables (T, E/2, 2) for integer positions; E = sum(axes_dim), each axis even."""
    angles = []
    for axis, dim in enumerate(axes_dim):
        inv_freq = 1.0 / theta ** (
            torch.arange(0, dim, 2, device=pos_T3.device, dtype=torch.float64) / dim
        )
        angles.append(pos_T3[:, axis, None].double() * inv_freq[None, :])
    angle_TE = torch.cat(angles, -1)
    return torch.stack([angle_TE.cos(), angle_TE.sin()], -1).float()


def apply_rope(x_THE: torch.Tensor, rope_TE2: torch.Tensor) -> torch.Tensor:
    """Rotate interleaved pairs of ``x`` by the per-token angles; keeps dtype."""
    x_pairs = x_THE.float().unflatten(-1, (-1, 2))
    cos, sin = rope_TE2[:, None, :, 0], rope_TE2[:, None, :, 1]
    real, imag = x_pairs[..., 0], x_pairs[..., 1]
    rotated = torch.stack([real * cos - imag * sin, real * sin + imag * cos], -1)
    return rotated.flatten(-2).to(x_THE.dtype)
