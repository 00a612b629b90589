"""A tiny random Llava judge saved to a folder, loadable offline by AutoProcessor and
AutoModelForImageTextToText (the transformers judge backend's loading path).

The vocabulary is the six score digits, an unknown token and the specials, so every token is
among the 20 top log-probabilities the scorer asks for. The head is rewired so that the most
likely token is always a score digit: non-label rows are zero (logit 0) and the rows of "0" and
"1" are opposite (one of their logits is >= 0). With ``prefix_space`` every text gets a leading
"▁" token, as SentencePiece tokenizers do, so each score label becomes two tokens.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

import torch
from tiny_llava import SPECIALS, character_tokenizer, save_tiny_llava
from tokenizers import pre_tokenizers
from transformers import LlavaForConditionalGeneration, PreTrainedTokenizerFast

from corpus.schema import Sample
from filters.operators.vlm_score import VLMScore
from models.external.transformers_vlm import to_template_messages

LABELS = ("0", "1", "2", "3", "4", "5")
UNKNOWN = "?"
PREFIX = "▁"


def vocabulary(prefix_space: bool) -> dict[str, int]:
    words = [*LABELS, UNKNOWN, *([PREFIX] if prefix_space else []), *SPECIALS]
    return {w: i for i, w in enumerate(words)}


def tokenizer(vocab: dict[str, int], prefix_space: bool) -> PreTrainedTokenizerFast:
    split = pre_tokenizers.Split("", "isolated")  # one token per character
    metaspace = pre_tokenizers.Metaspace(prepend_scheme="always")
    pre = pre_tokenizers.Sequence([metaspace, split]) if prefix_space else split
    return character_tokenizer(vocab, UNKNOWN, pre)


def answer_with_digits(vocab: dict[str, int], model: LlavaForConditionalGeneration) -> None:
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
    tok = tokenizer(vocab, prefix_space)
    return save_tiny_llava(folder, vocab, tok, seed, partial(answer_with_digits, vocab))


def judge_inputs(op: VLMScore, sample: Sample) -> dict[str, torch.Tensor]:
    """The model inputs the transformers judge builds for ``sample``'s request."""
    _, request = op.request(sample)
    return op.backend.processor.apply_chat_template(
        to_template_messages(request.messages),
        add_generation_prompt=True,
        tokenize=True,
        return_dict=True,
        return_tensors="pt",
    )


def label_probs(op: VLMScore, sample: Sample) -> list[float]:
    """Softmax over the label logits at the first answer position, from a plain forward pass."""
    ids = op.backend.processor.tokenizer.convert_tokens_to_ids(list(LABELS))
    with torch.inference_mode():
        logits = op.backend.model(**judge_inputs(op, sample)).logits[0, -1, ids]
    return torch.softmax(logits.float(), dim=-1).tolist()
