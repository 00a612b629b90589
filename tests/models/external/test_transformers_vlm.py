"""The local transformers VLM judge backend with a tiny random Llava (real classes, saved and
loaded from a folder through AutoProcessor / AutoModelForImageTextToText)."""

from __future__ import annotations

import pytest
from PIL import Image
from tiny_llava import SPECIALS, character_tokenizer, save_tiny_llava

from models.external.backends import make_backend
from models.external.chat import ChatRequest, user_message
from models.external.transformers_vlm import TransformersVLM


@pytest.fixture(scope="module")
def tiny_vlm(tmp_path_factory):
    vocab = {c: i for i, c in enumerate([chr(i) for i in range(32, 127)] + ["\n"])}
    for special in SPECIALS:
        vocab[special] = len(vocab)
    tok = character_tokenizer(vocab, unknown="?")
    return save_tiny_llava(tmp_path_factory.mktemp("llava"), vocab, tok)


def request(color=(255, 0, 0), k=0):
    message = user_message(Image.new("RGB", (64, 48), color), "Score 0-5:")
    return ChatRequest([message], max_tokens=3, top_logprobs=k)


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


def test_spec_string_and_cache(tiny_vlm, tmp_path):
    cache = tmp_path / "cache.jsonl"
    backend = make_backend(f"transformers:{tiny_vlm}", cache=cache, device="cpu")
    reply = backend.complete([request(k=2)])[0]
    replayed = make_backend(f"replay:{cache}").complete([request(k=2)])[0]
    assert replayed.text == reply.text and replayed.top_logprobs == reply.top_logprobs
