"""The local transformers VLM judge backend with a tiny random Llava (real classes, saved and
loaded from a folder through AutoProcessor / AutoModelForImageTextToText)."""

from __future__ import annotations

import pytest
from PIL import Image
from tiny_llava import save_character_llava

from models.external.backends import make_backend
from models.external.chat import ChatRequest, user_message
from models.external.transformers_vlm import TransformersVLM


@pytest.fixture(scope="module")
def tiny_vlm(tmp_path_factory):
    return save_character_llava(tmp_path_factory.mktemp("llava"), ends_like="{")


def request(color=(255, 0, 0), k=0, size=(64, 48), prompt="Score 0-5:", max_tokens=3):
    message = user_message(Image.new("RGB", size, color), prompt)
    return ChatRequest([message], max_tokens=max_tokens, top_logprobs=k)


def test_greedy_reply_with_top_logprobs(tiny_vlm):
    backend = TransformersVLM(str(tiny_vlm), device="cpu")
    first, again = backend.complete([request(k=3), request(k=3)])
    assert first.text == again.text and len(first.text) == 3
    assert len(first.top_logprobs) == 3
    for step, token in zip(first.top_logprobs, first.text, strict=True):
        assert len(step) == 3 and max(step, key=step.get) == token  # greedy = most likely
        assert all(v <= 0 for v in step.values())
    assert backend.complete([request()])[0].top_logprobs is None
    assert backend.describe()["class"] == "LlavaForConditionalGeneration"


def test_a_batch_answers_as_each_request_alone(tiny_vlm):
    """Prompts and images of different lengths and sizes share a left-padded forward; rows that
    end early keep only their own steps; requests of other lengths or k get their own batches."""
    requests = [
        request((255, 0, 0), 4, (64, 48), "Score 0-5:", 8),
        request((0, 0, 255), 4, (30, 90), "Describe the image in one word please", 8),
        request((0, 200, 0), 4, (64, 64), "Hi", 8),
        request((200, 200, 0), 0, (120, 40), "What colour?", 8),
        request((0, 0, 0), 2, (50, 50), "Is it dark", 5),
        request((9, 9, 9), 4, (20, 70), "Score the image", 8),
    ]
    batched = TransformersVLM(str(tiny_vlm), device="cpu", batch_size=4).complete(requests)
    alone = TransformersVLM(str(tiny_vlm), device="cpu", batch_size=1).complete(requests)
    texts = [r.text for r in alone]
    assert [r.text for r in batched] == texts
    assert {len(t) for t in texts} > {8}  # some replies ended early, some did not
    assert batched[3].top_logprobs is alone[3].top_logprobs is None
    for b, a, q in zip(batched, alone, requests, strict=True):
        if not q.top_logprobs:
            continue
        steps = min(len(a.text) + 1, q.max_tokens)  # one per token (a character), eos included
        assert len(b.top_logprobs) == len(a.top_logprobs) == steps
        for b_step, a_step in zip(b.top_logprobs, a.top_logprobs, strict=True):
            assert b_step.keys() == a_step.keys()
            assert [b_step[t] for t in a_step] == pytest.approx(list(a_step.values()), abs=1e-5)


def test_spec_string_and_cache(tiny_vlm, tmp_path):
    cache = tmp_path / "cache.jsonl"
    backend = make_backend(f"transformers:{tiny_vlm}", cache=cache, device="cpu")
    reply = backend.complete([request(k=2)])[0]
    replayed = make_backend(f"replay:{cache}").complete([request(k=2)])[0]
    assert replayed.text == reply.text and replayed.top_logprobs == reply.top_logprobs
