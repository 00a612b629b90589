"""vlm_score against a real OpenAI-compatible HTTP server on loopback: the probability-weighted
score, the stored distribution, unparsable replies, and the single-token label check."""

from __future__ import annotations

import pytest
from filter_helpers import image, t2i
from judge_server import JudgeServer
from tokenizers import Tokenizer
from tokenizers.models import BPE
from transformers import PreTrainedTokenizerFast

from filters.imageio import decode_rgb
from filters.judging import check_single_tokens, score_distribution
from filters.operators.vlm_score import LABELS, VLMScore, VLMScoreParams
from models.external.chat import image_pil


def peaked(text: str) -> dict[str, float]:
    """Good prompts (with 'red') score around 4, others around 1."""
    if "red" in text:
        return {"3": 0.2, "4": 0.7, "5": 0.1}
    return {"0": 0.3, "1": 0.6, "2": 0.1}


def test_score_is_the_expectation_over_score_tokens_with_its_distribution():
    good = t2i("good", image("target", (64, 64)), prompt="a red square")
    bad = t2i("bad", image("target", (64, 64)), prompt="a blue circle")
    with JudgeServer(score=peaked) as server:
        op = VLMScore(VLMScoreParams(judge=server.spec(), min_score=3.0))
        op.setup()
        stats = op.run_measure([good, bad])
    assert stats[0]["expected"] == pytest.approx(3 * 0.2 + 4 * 0.7 + 5 * 0.1)
    assert stats[0]["probs"] == pytest.approx([0, 0, 0, 0.2, 0.7, 0.1])
    assert stats[0]["greedy"] == 4 and stats[1]["greedy"] == 1
    assert stats[0]["aspect"] == "semantic_alignment"
    assert stats[0]["judge"] == "openai:judge-model" and len(stats[0]["template_sha256"]) == 64
    assert op.judge(stats[0]) is None and op.judge(stats[1])[0] == "low_vlm_score"
    # The two requests run concurrently: match them to the samples by their prompt text.
    bodies = {b["messages"][0]["content"][1]["text"]: b for b in server.requests}
    assert len(bodies) == 2
    body = next(b for text, b in bodies.items() if "a red square" in text)
    assert body["logprobs"] is True and body["top_logprobs"] == 20
    assert body["messages"][0]["content"][0]["type"] == "image_url"


def test_replies_without_score_tokens_are_unparsable():
    dist = score_distribution([{"The": -0.1, "A": -2.0}], "The image is fine", LABELS)
    assert dist.expected is None and dist.probs is None
    op = VLMScore()
    assert op.decide({"expected": None, "greedy": None})[0] == "unparsable"


def test_labels_must_be_single_tokens():
    vocab = {str(d): d for d in range(10)} | {"[UNK]": 10}
    tok = PreTrainedTokenizerFast(tokenizer_object=Tokenizer(BPE(vocab, [], unk_token="[UNK]")))
    check_single_tokens(tok, LABELS)
    with pytest.raises(ValueError, match="'10' is 2 tokens"):
        check_single_tokens(tok, ["4", "10"])


def test_only_matching_tasks_are_judged():
    op = VLMScore(VLMScoreParams(aspect="instruction_following"))
    assert not op.applies(t2i("a", image("target")))


def test_judges_see_exif_rotated_photos_upright():
    """Judges decode without EXIF: a photo stored sideways (orientation 6) is sent upright, an
    upright one as its original bytes (so cached judgements of ordinary images still match)."""
    op = VLMScore(VLMScoreParams(judge="replay:unused.jsonl"))
    sideways, upright = image("target", (48, 32), orientation=6), image("target", (48, 32))
    [rotated] = _request_images(op, t2i("sideways", sideways))
    assert image_pil(rotated).size == (32, 48)
    assert image_pil(rotated).tobytes() == decode_rgb(sideways).tobytes()
    assert _request_images(op, t2i("upright", upright)) == [upright.data]


def _request_images(op: VLMScore, sample) -> list:
    _, request = op.request(sample)
    return [p["image"] for p in request.messages[0]["content"] if p["type"] == "image"]
