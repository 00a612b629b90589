"""vlm_score through `judge: transformers:PATH` with the default judge's own classes: a tiny random
Qwen2.5-VL and Qwen3-VL saved to a folder and loaded as users load them (no torchvision needed).
The images must reach the model, and the stored distribution must be the model's own."""

from __future__ import annotations

from functools import partial

import pytest
from filter_helpers import edit, image, t2i
from tiny_judge import (
    LABELS,
    UNKNOWN,
    answer_with_digits,
    assert_batched_scores_equal_alone,
    judge_inputs,
    label_probs,
    mixed_batch,
)
from tiny_qwen_vl import KINDS, MERGE, SPECIALS, save_tiny_qwen_vl

from filters.operators.vlm_score import TOP_LOGPROBS, VLMScore, VLMScoreParams

SAMPLES = [
    t2i("red", image("target", (64, 64)), prompt="a red square"),
    edit("edit", image("source", (48, 80)), image("target", color=(20, 40, 220))),
]


@pytest.fixture(scope="module", params=sorted(KINDS))
def kind(request) -> str:
    return request.param


@pytest.fixture(scope="module")
def judge(kind, tmp_path_factory) -> VLMScore:
    """vlm_score on a tiny `kind` judge whose most likely token is always a score digit."""
    vocab = {w: i for i, w in enumerate([*LABELS, UNKNOWN, *SPECIALS])}
    assert len(vocab) <= TOP_LOGPROBS  # every label is among the top tokens the scorer sees
    folder = tmp_path_factory.mktemp(kind)
    save_tiny_qwen_vl(folder, kind, vocab, UNKNOWN, adjust=partial(answer_with_digits, vocab))
    op = VLMScore(VLMScoreParams(judge=f"transformers:{folder}", min_score=None))
    op.setup()
    return op


def test_the_judge_is_the_qwen_model_and_processor(kind, judge):
    _, model_class, processor_class = KINDS[kind]
    assert type(judge.backend.model) is model_class
    assert judge.backend.describe()["class"] == model_class.__name__
    assert isinstance(judge.backend.processor, processor_class)


def test_every_image_reaches_the_model(judge):
    processor = judge.backend.processor
    for sample in SAMPLES:
        inputs = judge_inputs(judge, sample)
        patches = inputs["image_grid_thw"].prod(-1)
        assert len(patches) == len(sample.images)
        assert inputs["pixel_values"].shape[0] == patches.sum()
        pads = (inputs["input_ids"] == processor.image_token_id).sum()
        assert pads == patches.sum() // MERGE**2 > 0
    red, blue = SAMPLES[0], t2i("blue", image("target", (64, 64), color=(20, 40, 220)))
    first, second = judge.run_measure([red, blue])
    assert first["probs"] != pytest.approx(second["probs"], abs=1e-4)


def test_stored_distribution_is_the_softmax_of_the_models_logits(judge):
    for sample, s in zip(SAMPLES, judge.run_measure(SAMPLES), strict=True):
        assert s["probs"] == pytest.approx(label_probs(judge, sample), abs=1e-4)
        assert s["expected"] == pytest.approx(sum(i * p for i, p in enumerate(s["probs"])))
        assert s["greedy"] == max(range(len(LABELS)), key=s["probs"].__getitem__)
        assert s["judge"] == judge.judge_id and judge.judge(s) is None


def test_a_batch_scores_as_each_sample_alone(judge, monkeypatch):
    assert_batched_scores_equal_alone(judge, mixed_batch(), monkeypatch)
