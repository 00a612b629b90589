"""A tiny random Llava judge saved to a folder, loadable offline by AutoProcessor and
AutoModelForImageTextToText (the transformers judge backend's loading path).

The vocabulary is the six score digits, an unknown token and the specials, so every token is
among the 20 top log-probabilities the scorer asks for. The head is rewired so that the most
likely token is always a score digit: non-label rows are zero (logit 0) and the rows of "0" and
"1" are opposite (one of their logits is >= 0). With ``prefix_space`` every text gets a leading
"▁" token, as SentencePiece tokenizers do, so each score label becomes two tokens.
"""

from __future__ import annotations

from pathlib import Path

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers
from transformers import (
    CLIPImageProcessor,
    LlavaConfig,
    LlavaForConditionalGeneration,
    LlavaProcessor,
    PreTrainedTokenizerFast,
)

LABELS = ("0", "1", "2", "3", "4", "5")
UNKNOWN = "?"
PREFIX = "▁"
SPECIALS = ("<pad>", "<s>", "</s>", "<image>")
IMAGE_SIDE = 28
PATCH = 14
TEMPLATE = (
    "{% for m in messages %}{{ m['role'] }}: {% if m['content'] is string %}{{ m['content'] }}"
    "{% else %}{% for c in m['content'] %}{% if c['type'] == 'image' %}<image>{% else %}"
    "{{ c['text'] }}{% endif %}{% endfor %}{% endif %}\n{% endfor %}"
    "{% if add_generation_prompt %}assistant: {% endif %}"
)


def vocabulary(prefix_space: bool) -> dict[str, int]:
    words = [*LABELS, UNKNOWN, *([PREFIX] if prefix_space else []), *SPECIALS]
    return {w: i for i, w in enumerate(words)}


def tokenizer(vocab: dict[str, int], prefix_space: bool) -> PreTrainedTokenizerFast:
    core = Tokenizer(models.WordLevel(vocab, unk_token=UNKNOWN))
    split = pre_tokenizers.Split("", "isolated")  # one token per character
    core.pre_tokenizer = (
        pre_tokenizers.Sequence([pre_tokenizers.Metaspace(prepend_scheme="always"), split])
        if prefix_space
        else split
    )
    core.decoder = decoders.Fuse()
    return PreTrainedTokenizerFast(
        tokenizer_object=core,
        pad_token="<pad>",
        bos_token="<s>",
        eos_token="</s>",
        additional_special_tokens=["<image>"],
    )


def model_config(vocab: dict[str, int]) -> LlavaConfig:
    vision = dict(
        model_type="clip_vision_model",
        hidden_size=16,
        intermediate_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        image_size=IMAGE_SIDE,
        patch_size=PATCH,
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
    return LlavaConfig(
        vision_config=vision,
        text_config=text,
        image_token_index=vocab["<image>"],
        vision_feature_select_strategy="default",
        vision_feature_layer=-1,
    )


@torch.no_grad()
def answer_with_digits(model: LlavaForConditionalGeneration, vocab: dict[str, int]) -> None:
    """Rewire the head so that the most likely next token is always a score label."""
    head = model.get_output_embeddings().weight
    labels = [vocab[x] for x in LABELS]
    keep = head[labels].clone()
    keep[1] = -keep[0]
    head.zero_()
    head[labels] = keep


def save_tiny_judge(folder: Path, prefix_space: bool = False, seed: int = 0) -> Path:
    """Write processor and model into ``folder``; returns it."""
    vocab = vocabulary(prefix_space)
    images = CLIPImageProcessor(
        size={"shortest_edge": IMAGE_SIDE}, crop_size={"height": IMAGE_SIDE, "width": IMAGE_SIDE}
    )
    LlavaProcessor(
        image_processor=images,
        tokenizer=tokenizer(vocab, prefix_space),
        chat_template=TEMPLATE,
        patch_size=PATCH,
        vision_feature_select_strategy="default",
        image_token="<image>",
        num_additional_image_tokens=1,
    ).save_pretrained(folder)
    torch.manual_seed(seed)
    model = LlavaForConditionalGeneration(model_config(vocab))
    answer_with_digits(model, vocab)
    model.save_pretrained(folder)
    return folder
