"""Variable-length segments laid out as one flat token stream, packed or right-padded.

A :class:`Stream` records where each segment lives in the flat tensor, which sample owns each
token (for per-sample adaLN modulation) and the attention layout. Packing and padding produce the
same per-token results; padding only adds rows the callers ignore.

Legend: T stream tokens, D channels.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from models.attention import Layout, Packed, Padded


@dataclass(frozen=True)
class Stream:
    offsets: list[int]
    lengths: list[int]
    owner_T: torch.Tensor  # (T,) sample index of every token (pads: their row's sample)
    layout: Layout
    size: int

    def scatter(self, pieces: list[torch.Tensor]) -> torch.Tensor:
        """Place segment tensors (l_i, ...) into the stream (T, ...); pads are zeros."""
        if not isinstance(self.layout, Padded):
            return torch.cat(pieces, 0)
        width = self.size // max(len(self.lengths), 1)
        rows = []
        for piece in pieces:
            pad = piece.new_zeros(width - piece.shape[0], *piece.shape[1:])
            rows.extend([piece, pad])
        return torch.cat(rows, 0)

    def gather(self, x_TD: torch.Tensor) -> list[torch.Tensor]:
        """Valid tokens of each segment."""
        return [x_TD[o : o + n] for o, n in zip(self.offsets, self.lengths, strict=True)]


def make_stream(
    lengths: list[int], owners: list[int], padded: bool, device: torch.device | str = "cpu"
) -> Stream:
    """Layout for segments of ``lengths`` owned by samples ``owners``."""
    owners_t = torch.tensor(owners, dtype=torch.long, device=device)
    if padded:
        width = max(lengths, default=0)
        offsets = [i * width for i in range(len(lengths))]
        owner_T = owners_t.repeat_interleave(width)
        return Stream(
            offsets, lengths, owner_T, Padded.from_lengths(lengths, device), len(offsets) * width
        )
    offsets, total = [], 0
    for n in lengths:
        offsets.append(total)
        total += n
    owner_T = owners_t.repeat_interleave(torch.tensor(lengths, dtype=torch.long, device=device))
    return Stream(offsets, lengths, owner_T, Packed.from_lengths(lengths, device), total)
