"""Caption dropout: dropped t2i samples are the branch that inference guides against."""

from __future__ import annotations

import random

import torch

from models.config import IGNORE_INDEX
from models.inference import condition_sequences
from models.samples import image_string_length
from train.config import stage_config
from train.data import build_joint_data
from train.manifest import ManifestTable
from train.sequences import EMPTY_PROMPT, SequenceBuilder

RESOLUTION = 32
SEEDS = 200
DROPOUT = 0.25
DROPPED_OF_200 = 55  # Python's Mersenne Twister: first draws of seeds 0..199 below 0.25
PLAN_STEPS = 6


def _t2i_sample(curated):
    return ManifestTable([curated], ["t2i"]).read(0)


def test_dropped_caption_conditions_the_dit_like_the_negative_prompt(curated, tiny):
    sample = _t2i_sample(curated)
    built = SequenceBuilder(tiny, RESOLUTION, 0.0, 1, caption_dropout=1.0).build(sample, seed=0)
    kept = SequenceBuilder(tiny, RESOLUTION, 0.0, 1).build(sample, seed=0)
    negative = tiny.t2i_sample(EMPTY_PROMPT, None, with_visual_tokens=False)
    assert not built.image_cond.any()
    assert torch.equal(built.input_ids[built.text_cond], negative.input_ids[negative.text_cond])
    answer = image_string_length(tiny, tiny.config.generation.ar_grid)  # AR uncond learns it
    targets = answer + 1  # the prompt's last token predicts the first answer token
    assert torch.equal(built.targets[-targets:], kept.targets[-targets:])
    assert (built.targets[:-targets] == IGNORE_INDEX).all()
    built_cond, negative_cond = condition_sequences(tiny, [built, negative])
    torch.testing.assert_close(built_cond, negative_cond)


def test_caption_dropout_drops_exactly_the_seeds_whose_first_draw_is_below_the_rate(curated, tiny):
    """The documented rule (``train/costs.py``): a t2i sample is dropped when the first
    ``random.Random(seed).random()`` is below the rate. Re-derived here, it drops 55 of seeds
    0..199 at 0.25 (27.5%: sampling noise); a rate 1.3x too high would drop 67."""
    sample = _t2i_sample(curated)
    builder = SequenceBuilder(tiny, RESOLUTION, 0.0, 1, caption_dropout=DROPOUT)

    def dropped() -> list[int]:
        return [s for s in range(SEEDS) if not builder.build(sample, seed=s).image_cond.any()]

    expected = [s for s in range(SEEDS) if random.Random(s).random() < DROPOUT]
    assert len(expected) == DROPPED_OF_200
    assert dropped() == expected
    assert dropped() == expected  # a second pass: the decision is the seed's, not the builder's


def test_planned_tokens_equal_built_tokens_with_caption_dropout(curated, tiny):
    cfg = stage_config("pre2")
    cfg.data.manifests = [str(curated)]
    cfg.data.resolution, cfg.data.token_budget, cfg.data.max_sample_tokens = RESOLUTION, 768, 768
    cfg.data.buffer_size, cfg.data.workers = 8, 0
    cfg.loss.caption_dropout = DROPOUT
    loader = build_joint_data(cfg, tiny, rank=0, world=1)
    micro = [m for _ in range(PLAN_STEPS) for m in loader.next().micro]
    loader.close()
    t2i = [s for m in micro for s, task in zip(m.samples, m.tasks, strict=True) if task == "t2i"]
    assert 0 < sum(not s.image_cond.any() for s in t2i) < len(t2i)
    for m in micro:
        assert [len(s) for s in m.samples] == m.planned
