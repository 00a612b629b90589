"""The local transformers VLM judge backend with a tiny random Llava (real classes, saved and
loaded from a folder through AutoProcessor / AutoModelForImageTextToText)."""

from __future__ import annotations

import pytest
import torch
from PIL import Image
from tokenizers import Tokenizer, decoders, models, pre_tokenizers
from transformers import (
    CLIPImageProcessor,
    LlavaConfig,
    LlavaForConditionalGeneration,
    LlavaProcessor,
    PreTrainedTokenizerFast,
)

from models.external.backends import make_backend
from models.external.chat import ChatRequest, user_message
from models.external.transformers_vlm import TransformersVLM

TEMPLATE = (
    "{% for m in messages %}{{ m['role'] }}: {% if m['content'] is string %}{{ m['content'] }}"
    "{% else %}{% for c in m['content'] %}{% if c['type'] == 'image' %}<image>{% else %}"
    "{{ c['text'] }}{% endif %}{% endfor %}{% endif %}\n{% endfor %}"
    "{% if add_generation_prompt %}assistant: {% endif %}"
)


@pytest.fixture(scope="module")
def tiny_vlm(tmp_path_factory):
    d = tmp_path_factory.mktemp("llava")
    vocab = {c: i for i, c in enumerate([chr(i) for i in range(32, 127)] + ["\n"])}
    for special in ("<pad>", "<s>", "</s>", "<image>"):
        vocab[special] = len(vocab)
    core = Tokenizer(models.WordLevel(vocab, unk_token="?"))
    core.pre_tokenizer = pre_tokenizers.Split("", "isolated")  # one token per character
    core.decoder = decoders.Fuse()
    tok = PreTrainedTokenizerFast(
        tokenizer_object=core,
        pad_token="<pad>",
        bos_token="<s>",
        eos_token="</s>",
        additional_special_tokens=["<image>"],
    )
    images = CLIPImageProcessor(size={"shortest_edge": 28}, crop_size={"height": 28, "width": 28})
    LlavaProcessor(
        image_processor=images,
        tokenizer=tok,
        chat_template=TEMPLATE,
        patch_size=14,
        vision_feature_select_strategy="default",
        image_token="<image>",
        num_additional_image_tokens=1,
    ).save_pretrained(d)
    vision = dict(
        model_type="clip_vision_model",
        hidden_size=16,
        intermediate_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        image_size=28,
        patch_size=14,
    )
    text = dict(
        model_type="llama",
        vocab_size=len(vocab),
        hidden_size=16,
        intermediate_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        num_key_value_heads=1,
        eos_token_id=vocab["</s>"],
        pad_token_id=vocab["<pad>"],
        bos_token_id=vocab["<s>"],
    )
    config = LlavaConfig(
        vision_config=vision,
        text_config=text,
        image_token_index=vocab["<image>"],
        vision_feature_select_strategy="default",
        vision_feature_layer=-1,
    )
    torch.manual_seed(0)
    LlavaForConditionalGeneration(config).save_pretrained(d)
    return d


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
