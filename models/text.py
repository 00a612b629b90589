"""Text tokenisation, chat template and the generation-token id layout.

Id layout (as in the reference model, where gen_vocab_start = 152064):

    [0, text_vocab)                      text ids of the text tokenizer (Qwen specials included)
    gen_start + 0 .. gen_start + 7       <|endofline|> <|endoffile|> <|gen_placeholder|>
                                         <|useless|> <|beginoftext|> <|image start|>
                                         <|image end|> <|image token|>
    gen_start + 8 + c                    visual token of MammothTok code c (c < codebook size)

A generated image is ``<|image start|>`` then h rows of (w visual tokens, ``<|endofline|>``), then
``<|image end|>``. All of these are generation ids, so they are routed to the gen experts.

The ``bytes`` tokenizer (tiny preset) maps UTF-8 bytes to ids 0..255 and places the chat and
vision specials right after; the ``hf`` tokenizer wraps a transformers tokenizer (Qwen's) and
looks the specials up by name.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from models.config import Mammoth2Config, TextTokenizerConfig

GEN_SPECIALS = (
    "endofline",
    "endoffile",
    "gen_placeholder",
    "useless",
    "beginoftext",
    "image_start",
    "image_end",
    "image_token",
)
VISUAL_OFFSET = len(GEN_SPECIALS)
BYTE_VOCAB = 256
TEXT_SPECIALS = (
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<|vision_start|>",
    "<|vision_end|>",
    "<|image_pad|>",
    "<|video_pad|>",
)
SYSTEM_PROMPT_T2I = "You are a helpful image generator."


@dataclass(frozen=True)
class TokenLayout:
    """Where generation ids live; built from the config."""

    gen_start: int
    gen_vocab_size: int
    codebook_size: int

    def special(self, name: str) -> int:
        return self.gen_start + GEN_SPECIALS.index(name)

    @property
    def visual_start(self) -> int:
        return self.gen_start + VISUAL_OFFSET

    def visual_ids(self, codes: torch.Tensor) -> torch.Tensor:
        return codes + self.visual_start

    def codes(self, ids: torch.Tensor) -> torch.Tensor:
        return ids - self.visual_start

    @classmethod
    def from_config(cls, cfg: Mammoth2Config) -> TokenLayout:
        layout = cls(
            cfg.backbone.gen_vocab_start, cfg.backbone.gen_vocab_size, cfg.mammothtok.codebook_size
        )
        if VISUAL_OFFSET + layout.codebook_size > layout.gen_vocab_size:
            raise ValueError("gen_vocab_size too small for the specials plus the codebook")
        return layout


class ByteTokenizer:
    """UTF-8 bytes plus chat/vision specials; needs no files."""

    def __init__(self) -> None:
        self.specials = {name: BYTE_VOCAB + i for i, name in enumerate(TEXT_SPECIALS)}
        self.vocab_size = BYTE_VOCAB + len(TEXT_SPECIALS)

    def encode(self, text: str) -> list[int]:
        return list(text.encode("utf-8"))

    def decode(self, ids: list[int]) -> str:
        return bytes(i for i in ids if i < BYTE_VOCAB).decode("utf-8", errors="replace")

    def special_id(self, name: str) -> int:
        return self.specials[name]


class HFTokenizer:
    """A transformers tokenizer (e.g. Qwen3-VL's) with specials looked up by their token text."""

    def __init__(self, path: str) -> None:
        from transformers import AutoTokenizer

        self.tok = AutoTokenizer.from_pretrained(path)

    def encode(self, text: str) -> list[int]:
        return self.tok.encode(text, add_special_tokens=False)

    def decode(self, ids: list[int]) -> str:
        return self.tok.decode(ids, skip_special_tokens=True)

    def special_id(self, name: str) -> int:
        token_id = self.tok.convert_tokens_to_ids(name)
        if token_id is None or token_id == self.tok.unk_token_id:
            raise KeyError(f"tokenizer has no special token {name}")
        return token_id


def build_text_tokenizer(cfg: TextTokenizerConfig) -> ByteTokenizer | HFTokenizer:
    if cfg.kind == "bytes":
        return ByteTokenizer()
    if cfg.kind == "hf":
        if not cfg.path:
            raise ValueError("text_tokenizer.kind='hf' needs text_tokenizer.path")
        return HFTokenizer(cfg.path)
    raise ValueError(f"unknown text tokenizer kind {cfg.kind!r}; use 'bytes' or 'hf'")


def chat_ids(
    tok: ByteTokenizer | HFTokenizer, messages: list[dict], image_tokens: list[int] | None = None
) -> list[int]:
    """Qwen chat template ``<|im_start|>role\\ncontent<|im_end|>\\n`` then the assistant header.

    ``content`` is a string or a list of parts: ``{"type": "text", "text": ...}``,
    ``{"type": "image"}`` (understanding image: ``<|vision_start|>`` + n ``<|image_pad|>`` +
    ``<|vision_end|>``, n taken in order from ``image_tokens``) or ``{"type": "ids", "ids": [...]}``
    (raw ids, e.g. MammothTok tokens of an image to edit).
    """
    start, end = tok.special_id("<|im_start|>"), tok.special_id("<|im_end|>")
    counts = iter(image_tokens or [])
    ids: list[int] = []
    for message in messages:
        ids += [start, *tok.encode(f"{message['role']}\n")]
        ids += _content_ids(tok, message["content"], counts)
        ids += [end, *tok.encode("\n")]
    return ids + [start, *tok.encode("assistant\n")]


def _content_ids(tok, content, image_counts) -> list[int]:
    if isinstance(content, str):
        return tok.encode(content)
    ids: list[int] = []
    for part in content:
        if part["type"] == "text":
            ids += tok.encode(part["text"])
        elif part["type"] == "image":
            pad = tok.special_id("<|image_pad|>")
            n = next(image_counts)
            ids += [
                tok.special_id("<|vision_start|>"),
                *[pad] * n,
                tok.special_id("<|vision_end|>"),
            ]
        elif part["type"] == "ids":
            ids += list(part["ids"])
        else:
            raise ValueError(f"unknown content part type {part['type']!r}")
    return ids
