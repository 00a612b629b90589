"""Caption dropout: dropped t2i samples are the branch that inference guides against."""

from __future__ import annotations

import torch

from models.config import IGNORE_INDEX
from models.inference import condition_sequences
from train.manifest import ManifestTable
from train.sequences import EMPTY_PROMPT, SequenceBuilder

RESOLUTION = 32
SEEDS = 200
DROPOUT = 0.25
TOLERANCE = 0.1


def _t2i_sample(curated):
    return ManifestTable([curated], ["t2i"]).read(0)


def test_dropped_caption_conditions_the_dit_like_the_negative_prompt(curated, tiny):
    sample = _t2i_sample(curated)
    built = SequenceBuilder(tiny, RESOLUTION, 0.0, 1, caption_dropout=1.0).build(sample, seed=0)
    kept = SequenceBuilder(tiny, RESOLUTION, 0.0, 1).build(sample, seed=0)
    negative = tiny.t2i_sample(EMPTY_PROMPT, None, with_visual_tokens=False)
    assert not built.image_cond.any()
    assert torch.equal(built.input_ids[built.text_cond], negative.input_ids[negative.text_cond])
    answer = int((kept.input_ids >= tiny.layout.gen_start).sum())  # AR uncond learns the tokens
    assert torch.equal(built.targets[-answer:], kept.targets[-answer:])
    assert (built.targets[:-answer] == IGNORE_INDEX).all()
    built_cond, negative_cond = condition_sequences(tiny, [built, negative])
    torch.testing.assert_close(built_cond, negative_cond)


def test_caption_dropout_rate_is_seeded_per_sample(curated, tiny):
    sample = _t2i_sample(curated)
    builder = SequenceBuilder(tiny, RESOLUTION, 0.0, 1, caption_dropout=DROPOUT)
    dropped = [not builder.build(sample, seed=s).image_cond.any() for s in range(SEEDS)]
    assert abs(sum(dropped) / SEEDS - DROPOUT) < TOLERANCE
    assert dropped == [not builder.build(sample, seed=s).image_cond.any() for s in range(SEEDS)]
