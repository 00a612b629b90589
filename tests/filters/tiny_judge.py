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

import pytest
import torch
from filter_helpers import edit, image, t2i
from tiny_llava import SPECIALS, character_tokenizer, save_tiny_llava
from tokenizers import pre_tokenizers
from transformers import LlavaForConditionalGeneration, PreTrainedTokenizerFast

from corpus.schema import Sample
from filters.operator import Operator
from filters.operators.vlm_score import VLMScore
from models.external.chat import ChatReply, ChatRequest
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


def mixed_batch() -> list[Sample]:
    """t2i and edit samples whose prompts differ in length and images in size and number, so
    their requests share one padded forward."""
    return [
        t2i("red", image("target", (64, 64)), prompt="a red square"),
        t2i("blue", image("target", (48, 80), color=(20, 40, 220)), prompt="a blue circle, small"),
        edit("edit", image("source", (40, 56)), image("target", (96, 64), color=(20, 40, 220))),
        t2i("green", image("target", (120, 30), color=(30, 200, 60)), prompt="green"),
    ]


def measure_in_one_batch(op: Operator, samples: list[Sample], monkeypatch) -> list[dict]:
    """`op`'s stats of `samples`, checked to come from one batch of its transformers judge (when
    a batch fails, the operator measures its samples one at a time instead)."""
    sizes = []
    complete_batch = op.backend.complete_batch

    def counted(requests: list[ChatRequest]) -> list[ChatReply]:
        sizes.append(len(requests))
        return complete_batch(requests)

    monkeypatch.setattr(op.backend, "complete_batch", counted)
    stats = op.run_measure(samples)
    assert sizes == [len(samples)]
    return stats


def assert_batched_scores_equal_alone(op: VLMScore, samples: list[Sample], monkeypatch) -> None:
    """The stats of one batch (one forward per generated token) are those each sample gets on
    its own."""
    batched = measure_in_one_batch(op, samples, monkeypatch)
    alone = [op.run_measure([s])[0] for s in samples]
    lengths = {judge_inputs(op, s)["input_ids"].shape[1] for s in samples}
    assert len(lengths) == len(samples)  # every row of the batch is padded differently
    assert len({tuple(round(p, 4) for p in s["probs"]) for s in alone}) == len(samples)
    for sample, b, a in zip(samples, batched, alone, strict=True):
        # a helper module: pytest does not explain its asserts, so they say what they compare
        said = f"{sample.id}: batched {b}, alone {a}"
        assert b["probs"] == pytest.approx(a["probs"], abs=1e-5), said
        assert b["expected"] == pytest.approx(a["expected"], abs=1e-5), said
        assert b["greedy"] == a["greedy"], said
