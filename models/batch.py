"""The model's input contract: one tokenised sample, and a packed or padded batch of them.

``Mammoth2Sample`` is what a data loader produces per sample (``Mammoth2.t2i_sample`` /
``edit_sample`` / ``chat_sample`` build them from raw text and images). ``collate`` lays samples
out for the backbone:

* packed (default, padding-free): one row of T = sum(L_b) tokens, position_ids (4, 1, T) whose
  row 0 restarts at 0 per sample, no attention mask -- attention never crosses samples;
* padded: B rows of max(L_b) tokens with an attention mask (the baseline the bench compares to).

Every per-token field is kept flat with ``token_index`` (the flat position of each sample's
tokens in the (rows * width) grid), so the loss code is the same for both layouts.

Legend: L sample length, T tokens in the batch grid, B samples.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import torch

from models.attention import Packed
from models.config import IGNORE_INDEX

RopeIndexFn = Callable[[torch.Tensor, torch.Tensor, torch.Tensor | None], torch.Tensor]


@dataclass
class Mammoth2Sample:
    """One training sample.

    Attributes:
        input_ids: (L,) token ids (text ids, understanding-image pads, generation ids).
        targets: (L,) the id to predict at each position (already shifted), IGNORE_INDEX where
            there is no next-token loss.
        text_cond: (L,) True on tokens that condition the DiT as text.
        image_cond: (L,) True on generated visual tokens that condition the DiT via the Q-Former.
        image: (3, H, W) in [-1, 1], the flow-matching target; None for understanding samples.
        refs: reference images (3, H', W') in [-1, 1] for editing.
        pixel_values / image_grid_thw: Qwen-VL vision inputs for ``<|image_pad|>`` tokens.
    """

    input_ids: torch.Tensor
    targets: torch.Tensor
    text_cond: torch.Tensor
    image_cond: torch.Tensor
    image: torch.Tensor | None = None
    refs: list[torch.Tensor] = field(default_factory=list)
    pixel_values: torch.Tensor | None = None
    image_grid_thw: torch.Tensor | None = None

    def __len__(self) -> int:
        return int(self.input_ids.shape[0])


@dataclass
class Mammoth2Batch:
    input_ids: torch.Tensor  # (rows, width)
    position_ids: torch.Tensor  # (4, rows, width)
    attention_mask: torch.Tensor | None  # (rows, width) for padded batches
    token_index: list[torch.Tensor]  # per sample, flat positions of its tokens
    targets: torch.Tensor  # (rows * width,) IGNORE_INDEX on pads
    samples: list[Mammoth2Sample]
    packed: Packed | None = None  # segment layout of a packed batch (None when padded)
    vision: dict = field(default_factory=dict)  # pixel_values, image_grid_thw, mm_token_type_ids

    @property
    def num_tokens(self) -> int:
        return int(self.input_ids.numel())


def collate(
    samples: list[Mammoth2Sample],
    rope_index: RopeIndexFn,
    image_token_id: int,
    pad_id: int,
    padded: bool = False,
) -> Mammoth2Batch:
    """Lay samples out as one packed row (default) or as right-padded rows."""
    lengths = [len(s) for s in samples]
    width = max(lengths) if padded else sum(lengths)
    rows = len(samples) if padded else 1
    ids = torch.full((rows * width,), pad_id, dtype=torch.long)
    targets = torch.full((rows * width,), IGNORE_INDEX, dtype=torch.long)
    positions = torch.zeros(4, rows * width, dtype=torch.long)
    token_index, start = [], 0
    for b, sample in enumerate(samples):
        offset = b * width if padded else start
        index = torch.arange(offset, offset + len(sample))
        token_index.append(index)
        ids[index] = sample.input_ids
        targets[index] = sample.targets
        mm_types = (sample.input_ids == image_token_id).int()
        positions[0, index] = torch.arange(len(sample))
        positions[1:, index] = rope_index(sample.input_ids, mm_types, sample.image_grid_thw)
        start += len(sample)
    input_ids = ids.view(rows, width)
    mask = (
        (torch.arange(width)[None, :] < torch.tensor(lengths)[:, None]).long() if padded else None
    )
    return Mammoth2Batch(
        input_ids=input_ids,
        position_ids=positions.view(4, rows, width),
        attention_mask=mask,
        token_index=token_index,
        targets=targets,
        samples=samples,
        packed=None if padded else Packed.from_lengths(lengths),
        vision=_vision_inputs(samples, input_ids, image_token_id),
    )


def _vision_inputs(
    samples: list[Mammoth2Sample], input_ids: torch.Tensor, image_token_id: int
) -> dict:
    with_pixels = [s for s in samples if s.pixel_values is not None]
    if not with_pixels:
        return {}
    return {
        "pixel_values": torch.cat([s.pixel_values for s in with_pixels], 0),
        "image_grid_thw": torch.cat([s.image_grid_thw for s in with_pixels], 0),
        "mm_token_type_ids": (input_ids == image_token_id).int(),
    }


def to_device(batch: Mammoth2Batch, device: torch.device | str) -> Mammoth2Batch:
    """Move the tensors the backbone consumes (samples' images move when they are used)."""
    batch.input_ids = batch.input_ids.to(device)
    batch.position_ids = batch.position_ids.to(device)
    batch.targets = batch.targets.to(device)
    batch.token_index = [i.to(device) for i in batch.token_index]
    if batch.packed is not None:
        batch.packed = Packed(batch.packed.cu_seqlens.to(device), batch.packed.max_len)
    if batch.attention_mask is not None:
        batch.attention_mask = batch.attention_mask.to(device)
    batch.vision = {k: v.to(device) for k, v in batch.vision.items()}
    return batch
