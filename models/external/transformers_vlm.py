"""A local transformers vision-language model as a judge backend (Qwen2.5-VL / Qwen3-VL class).

Loaded with ``AutoProcessor`` + ``AutoModelForImageTextToText`` from a local folder or hub id
(Qwen-VL processors without their video processor: see `load_processor`); messages go through the
processor's chat template with images in place. Decoding is greedy unless a temperature is given;
``top_logprobs`` returns, per generated token, the log-probabilities of the most likely tokens
(what the VLM scorer of the filters needs for its expectation over score tokens).
"""

from __future__ import annotations

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
    """One request at a time (images vary in size); runs on GPU when there is one."""

    def __init__(self, path: str, device: str | None = None, dtype: str = "auto") -> None:
        self.path, self.device = path, _device(device)
        self.processor = load_processor(path)
        self.model = AutoModelForImageTextToText.from_pretrained(path, dtype=dtype)
        self.model.to(self.device).eval()
        self.revision = getattr(self.model.config, "_commit_hash", None)

    def describe(self) -> dict[str, Any]:
        return {
            "backend": "transformers",
            "model": self.path,
            "class": type(self.model).__name__,
            "revision": self.revision,
        }

    def _top_logprobs(self, scores: tuple[torch.Tensor, ...], k: int) -> list[dict[str, float]]:
        out = []
        for step in scores:
            logp = torch.log_softmax(step[0].float(), dim=-1)
            values, ids = logp.topk(min(k, logp.numel()))
            tokens = self.processor.tokenizer.convert_ids_to_tokens(ids.tolist())
            out.append({t: float(v) for t, v in zip(tokens, values.tolist(), strict=True)})
        return out

    @torch.inference_mode()
    def complete_one(self, request: ChatRequest) -> ChatReply:
        inputs = self.processor.apply_chat_template(
            to_template_messages(request.messages),
            add_generation_prompt=True,
            tokenize=True,
            return_dict=True,
            return_tensors="pt",
        ).to(self.device)
        sample = bool(request.temperature)
        out = self.model.generate(
            **inputs,
            max_new_tokens=request.max_tokens,
            do_sample=sample,
            temperature=request.temperature if sample else None,
            output_scores=request.top_logprobs > 0,
            return_dict_in_generate=True,
        )
        new = out.sequences[0, inputs["input_ids"].shape[1] :]
        text = self.processor.tokenizer.decode(new, skip_special_tokens=True)
        logprobs = self._top_logprobs(out.scores, request.top_logprobs) if out.scores else None
        return ChatReply(text, logprobs)

    def complete(self, requests: list[ChatRequest], progress: bool = False) -> list[ChatReply]:
        return [self.complete_one(r) for r in tqdm(requests, desc="judge", disable=not progress)]
