"""vlm_score and cot_annotate through `judge: transformers:PATH`: a tiny random Llava saved to a
folder and loaded by the transformers backend. The stored distribution is checked against the
model's own next-token logits; tokenizers whose score labels are several tokens are refused."""

from __future__ import annotations

import hashlib

import pytest
from filter_helpers import edit, image, t2i
from tiny_judge import (
    assert_batched_scores_equal_alone,
    label_probs,
    measure_in_one_batch,
    mixed_batch,
    save_tiny_judge,
)
from tiny_llava import save_character_llava

from filters.operators.cot_annotate import CotAnnotate, CotParams
from filters.operators.vlm_score import LABELS, TEMPLATES, VLMScore, VLMScoreParams


@pytest.fixture(scope="module")
def judge_dir(tmp_path_factory):
    return save_tiny_judge(tmp_path_factory.mktemp("judge"))


def test_vlm_score_stores_distribution_expectation_and_greedy_answer(judge_dir):
    samples = [
        t2i("red", image("target", (64, 64)), prompt="a red square"),
        t2i("blue", image("target", (48, 80), color=(20, 40, 220)), prompt="a blue circle"),
    ]
    op = VLMScore(VLMScoreParams(judge=f"transformers:{judge_dir}", min_score=None))
    op.setup()
    stats = op.run_measure(samples)
    for sample, s in zip(samples, stats, strict=True):
        assert len(s["probs"]) == len(LABELS) and sum(s["probs"]) == pytest.approx(1.0)
        assert s["probs"] == pytest.approx(label_probs(op, sample), abs=1e-4)
        assert s["expected"] == pytest.approx(sum(i * p for i, p in enumerate(s["probs"])))
        assert s["greedy"] == max(range(len(LABELS)), key=s["probs"].__getitem__)
        sha = hashlib.sha256(TEMPLATES["semantic_alignment"].encode()).hexdigest()
        assert s["aspect"] == "semantic_alignment" and s["template_sha256"] == sha
        assert s["judge"] == f"transformers:{judge_dir}"
        assert op.judge(s) is None


def test_a_batch_scores_as_each_sample_alone(judge_dir, monkeypatch):
    op = VLMScore(VLMScoreParams(judge=f"transformers:{judge_dir}", min_score=None))
    op.setup()
    assert_batched_scores_equal_alone(op, mixed_batch(), monkeypatch)


def test_multi_token_score_labels_are_refused(tmp_path):
    folder = save_tiny_judge(tmp_path / "spm", prefix_space=True)
    op = VLMScore(VLMScoreParams(judge=f"transformers:{folder}"))
    with pytest.raises(ValueError, match="score label '0' is 2 tokens"):
        op.setup()


def test_cot_annotate_records_the_local_judge_and_its_sampling(judge_dir):
    op = CotAnnotate(
        CotParams(judge=f"transformers:{judge_dir}", tasks=["it2i"], temperature=0.5, max_tokens=6)
    )
    op.setup()
    [stats] = op.run_measure([edit("e", image("source"), image("target"))])
    assert stats["judge"] == f"transformers:{judge_dir}"
    assert (stats["temperature"], stats["max_tokens"]) == (0.5, 6)
    assert 0 < stats["chars"] <= 6 and set(stats["text"]) <= {*LABELS, "?"}
    assert op.judge(stats) == ("invalid_cot", "no JSON object in the reply")


def test_cot_annotate_batched_writes_what_each_sample_gets_alone(tmp_path, monkeypatch):
    """On a character-level judge that answers the long prompt otherwise, and ends that reply
    early: a mix-up of rows or of their ends would show."""
    judge = f"transformers:{save_character_llava(tmp_path, ends_like='{')}"
    op = CotAnnotate(CotParams(judge=judge, tasks=["t2i", "it2i"], temperature=0.0, max_tokens=12))
    op.setup()
    samples = [*mixed_batch(), t2i("z", image("target", (48, 80)), prompt="z" * 60)]
    texts = [s["text"] for s in measure_in_one_batch(op, samples, monkeypatch)]
    assert texts == [op.run_measure([s])[0]["text"] for s in samples]
    assert len(set(texts)) > 1 and min(map(len, texts)) < 12  # a character is a token
