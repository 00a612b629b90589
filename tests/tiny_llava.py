"""A tiny random Llava (real transformers classes) saved to a folder, loadable offline through
AutoProcessor / AutoModelForImageTextToText: the local VLM judge's loading path in tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers
from transformers import (
    CLIPImageProcessor,
    LlavaConfig,
    LlavaForConditionalGeneration,
    LlavaProcessor,
    PreTrainedTokenizerFast,
)

SPECIALS = ("<pad>", "<s>", "</s>", "<image>")
LLAVA_SPECIALS = {
    "pad_token": "<pad>",
    "bos_token": "<s>",
    "eos_token": "</s>",
    "additional_special_tokens": ["<image>"],
}
IMAGE_SIDE = 28
PATCH = 14
TEMPLATE = (
    "{% for m in messages %}{{ m['role'] }}: {% if m['content'] is string %}{{ m['content'] }}"
    "{% else %}{% for c in m['content'] %}{% if c['type'] == 'image' %}<image>{% else %}"
    "{{ c['text'] }}{% endif %}{% endfor %}{% endif %}\n{% endfor %}"
    "{% if add_generation_prompt %}assistant: {% endif %}"
)
WIDTH = 16  # hidden size of both towers


def character_tokenizer(
    vocab: dict[str, int],
    unknown: str,
    pre_tokenizer: pre_tokenizers.PreTokenizer | None = None,
    specials: dict[str, Any] | None = None,
) -> PreTrainedTokenizerFast:
    """One token per character (after `pre_tokenizer`, if any); `vocab` holds the special tokens,
    named by `specials` (default: Llava's)."""
    core = Tokenizer(models.WordLevel(vocab, unk_token=unknown))
    core.pre_tokenizer = pre_tokenizer or pre_tokenizers.Split("", "isolated")
    core.decoder = decoders.Fuse()
    return PreTrainedTokenizerFast(tokenizer_object=core, **(specials or LLAVA_SPECIALS))


def llava_config(vocab: dict[str, int]) -> LlavaConfig:
    tower = dict(hidden_size=WIDTH, intermediate_size=2 * WIDTH, num_hidden_layers=1)
    vision = dict(
        model_type="clip_vision_model",
        num_attention_heads=2,
        image_size=IMAGE_SIDE,
        patch_size=PATCH,
        **tower,
    )
    text = dict(
        model_type="llama",
        vocab_size=len(vocab),
        num_attention_heads=2,
        num_key_value_heads=1,
        eos_token_id=vocab["</s>"],
        pad_token_id=vocab["<pad>"],
        bos_token_id=vocab["<s>"],
        **tower,
    )
    return LlavaConfig(
        vision_config=vision,
        text_config=text,
        image_token_index=vocab["<image>"],
        vision_feature_select_strategy="default",
        vision_feature_layer=-1,
    )


def save_tiny_llava(
    folder: Path,
    vocab: dict[str, int],
    tokenizer: PreTrainedTokenizerFast,
    seed: int = 0,
    adjust: Callable[[LlavaForConditionalGeneration], None] | None = None,
) -> Path:
    """Write processor and a seeded random model (changed by `adjust`) into `folder`."""
    images = CLIPImageProcessor(
        size={"shortest_edge": IMAGE_SIDE}, crop_size={"height": IMAGE_SIDE, "width": IMAGE_SIDE}
    )
    LlavaProcessor(
        image_processor=images,
        tokenizer=tokenizer,
        chat_template=TEMPLATE,
        patch_size=PATCH,
        vision_feature_select_strategy="default",
        image_token="<image>",
        num_additional_image_tokens=1,
    ).save_pretrained(folder)
    torch.manual_seed(seed)
    model = LlavaForConditionalGeneration(llava_config(vocab))
    if adjust is not None:
        with torch.no_grad():
            adjust(model)
    model.save_pretrained(folder)
    return folder


def save_character_llava(folder: Path, ends_like: str | None = None) -> Path:
    """A tiny Llava over the printable characters. With `ends_like` it ends its reply (eos) where
    it would write that character, so the replies of one batch end at different steps."""
    vocab = {c: i for i, c in enumerate([*map(chr, range(32, 127)), "\n", *SPECIALS])}

    def end_there(model: LlavaForConditionalGeneration) -> None:
        head = model.get_output_embeddings().weight
        head[vocab["</s>"]] = 1.1 * head[vocab[ends_like]]  # just above: wins where it would

    tokenizer = character_tokenizer(vocab, unknown="?")
    return save_tiny_llava(folder, vocab, tokenizer, adjust=end_there if ends_like else None)
