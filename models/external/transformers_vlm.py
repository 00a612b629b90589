"""A local transformers vision-language model as a judge backend (Qwen2.5-VL / Qwen3-VL class).

Loaded with ``AutoProcessor`` + ``AutoModelForImageTextToText`` from a local folder or hub id
(Qwen-VL processors without their video processor: see `load_processor`); messages go through the
processor's chat template with images in place. Decoding is greedy unless a temperature is given;
``top_logprobs`` returns, per generated token, the log-probabilities of the most likely tokens
(what the VLM scorer of the filters needs for its expectation over score tokens). Requests are
answered in batches, one ``generate`` per batch.
"""

from __future__ import annotations

import inspect
from typing import Any

import torch
from tqdm import tqdm
from transformers import (
    PROCESSOR_MAPPING,
    AutoConfig,
    AutoModelForImageTextToText,
    AutoProcessor,
    ProcessorMixin,
)

from models.external.chat import ChatReply, ChatRequest, image_pil


def _device(device: str | None) -> str:
    return device or ("cuda" if torch.cuda.is_available() else "cpu")


def to_template_messages(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Our parts to the processor's: ``{"type": "image", "image": PIL}``, text unchanged."""
    out = []
    for m in messages:
        content = m["content"]
        if isinstance(content, str):
            content = [{"type": "text", "text": content}]
        parts = [
            {"type": "image", "image": image_pil(p["image"])} if p.get("type") == "image" else p
            for p in content
        ]
        out.append({"role": m["role"], "content": parts})
    return out


def image_only_processor(processor_class: type[ProcessorMixin]) -> type[ProcessorMixin]:
    """``processor_class`` without its ``video_processor``: transformers builds Qwen-VL video
    processors only with torchvision, which images do not need (their image processor falls back
    to PIL). Transformers reads a processor's parts from its ``__init__`` signature."""

    class ImageOnly(processor_class):
        def __init__(self, image_processor=None, tokenizer=None, chat_template=None, **kwargs):
            super().__init__(image_processor, tokenizer, chat_template=chat_template, **kwargs)

    ImageOnly.__name__ = ImageOnly.__qualname__ = processor_class.__name__  # saved as the original
    return ImageOnly


def load_processor(path: str) -> ProcessorMixin:
    """The model's processor; without its video processor, if it has one (judges send images)."""
    processor_class = PROCESSOR_MAPPING.get(type(AutoConfig.from_pretrained(path)), None)
    if processor_class is None or "video_processor" not in processor_class.get_attributes():
        return AutoProcessor.from_pretrained(path)
    return image_only_processor(processor_class).from_pretrained(path)


class TransformersVLM:
    """Requests that share generation parameters are answered ``batch_size`` at a time, one
    ``generate`` per batch (left-padded prompts, images of any size); runs on GPU when there is
    one. A greedy reply and its log-probabilities are those the request gets alone (batch size
    1), up to float rounding."""

    def __init__(
        self, path: str, device: str | None = None, dtype: str = "auto", batch_size: int = 16
    ) -> None:
        self.path, self.device, self.batch_size = path, _device(device), max(1, batch_size)
        self.processor = load_processor(path)
        self.tokenizer = self.processor.tokenizer
        self.tokenizer.padding_side = "left"  # generated tokens start at the same column
        self.model = AutoModelForImageTextToText.from_pretrained(path, dtype=dtype)
        self.model.to(self.device).eval()
        self.revision = getattr(self.model.config, "_commit_hash", None)
        eos = self.model.generation_config.eos_token_id  # an id, a list of them, or None
        self.eos_ids = torch.tensor([] if eos is None else eos, dtype=torch.long).view(-1)

    def describe(self) -> dict[str, Any]:
        return {
            "backend": "transformers",
            "model": self.path,
            "class": type(self.model).__name__,
            "revision": self.revision,
        }

    def complete(self, requests: list[ChatRequest], progress: bool = False) -> list[ChatReply]:
        """Replies in request order."""
        groups: dict[tuple[int, float | None, int], list[int]] = {}
        for i, request in enumerate(requests):
            groups.setdefault(generation_key(request), []).append(i)
        replies: list[ChatReply | None] = [None] * len(requests)
        with tqdm(total=len(requests), desc="judge", disable=not progress) as bar:
            for indices in groups.values():
                for start in range(0, len(indices), self.batch_size):
                    batch = indices[start : start + self.batch_size]
                    answers = self.complete_batch([requests[i] for i in batch])
                    for i, reply in zip(batch, answers, strict=True):
                        replies[i] = reply
                    bar.update(len(batch))
        return replies

    @torch.inference_mode()
    def complete_batch(self, requests: list[ChatRequest]) -> list[ChatReply]:
        """One ``generate`` for requests of one `generation_key`."""
        max_tokens, temperature, k = generation_key(requests[0])
        inputs = self.processor.apply_chat_template(
            [to_template_messages(r.messages) for r in requests],
            add_generation_prompt=True,
            tokenize=True,
            return_dict=True,
            return_tensors="pt",
            **_processor_args(padding=True),
        ).to(self.device)
        out = self.model.generate(
            **inputs,
            max_new_tokens=max_tokens,
            do_sample=temperature is not None,
            temperature=temperature,
            output_scores=k > 0,
            return_dict_in_generate=True,
        )
        new = out.sequences[:, inputs["input_ids"].shape[1] :]
        lengths = self._reply_lengths(new)
        texts = [
            self.tokenizer.decode(row[:n], skip_special_tokens=True)
            for row, n in zip(new, lengths, strict=True)
        ]
        if not out.scores:
            return [ChatReply(text) for text in texts]
        logprobs = self._top_logprobs(out.scores, k, lengths)
        return [ChatReply(t, lp) for t, lp in zip(texts, logprobs, strict=True)]

    def _reply_lengths(self, new: torch.Tensor) -> list[int]:
        """Tokens each row generated up to and including its end-of-sequence token: after it a
        row only pads while the others go on (its scores there are not its own)."""
        ended = torch.isin(new.cpu(), self.eos_ids)
        first_end = ended.int().argmax(dim=1) + 1
        return torch.where(ended.any(dim=1), first_end, new.shape[1]).tolist()

    def _top_logprobs(
        self, scores: tuple[torch.Tensor, ...], k: int, lengths: list[int]
    ) -> list[list[dict[str, float]]]:
        """Per row, per generated token: the log-probabilities of the k most likely tokens."""
        top = [
            torch.log_softmax(step.float(), dim=-1).topk(min(k, step.shape[-1])) for step in scores
        ]
        values = torch.stack([t.values for t in top], dim=1).tolist()  # rows, steps, k
        ids = torch.stack([t.indices for t in top], dim=1).tolist()
        return [
            [
                dict(zip(self.tokenizer.convert_ids_to_tokens(i), v, strict=True))
                for v, i in zip(row_values[:n], row_ids[:n], strict=True)
            ]
            for row_values, row_ids, n in zip(values, ids, lengths, strict=True)
        ]


def generation_key(request: ChatRequest) -> tuple[int, float | None, int]:
    """What one ``generate`` call shares: reply length limit, temperature (None: greedy) and how
    many top log-probabilities to return."""
    return request.max_tokens, request.temperature or None, request.top_logprobs


def _processor_args(**kwargs: Any) -> dict[str, Any]:
    """Arguments for the processor call inside ``apply_chat_template``: transformers >= 5 takes
    them in ``processor_kwargs`` (and warns on every call given them loose), 4.x loose."""
    if "processor_kwargs" in inspect.signature(ProcessorMixin.apply_chat_template).parameters:
        return {"processor_kwargs": kwargs}
    return kwargs
