"""`vlm_score`: a vision-language judge scores a sample 0-5 on one aspect.

The stored score is the probability-weighted expectation over the score tokens "0".."5" (the
paper's SFT filter), kept with the full distribution, the greedy answer, the prompt template's
hash and the judge's identity. Aspects: `semantic_alignment` (t2i: prompt vs image),
`instruction_following` (it2i: source, instruction, edited image), `text_rendering` (t2i: the
text the prompt asks for); `auto` picks by task. Backends: a local transformers VLM or any
OpenAI-compatible server with logprobs (see filters.judging). Labels must be single tokens.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from corpus.schema import Sample
from filters.imageio import judge_view
from filters.judging import check_single_tokens, judge_tokenizer, load_judge, score_distribution
from filters.operator import Operator, Stat, Verdict, measure_param, param, register
from models.external.chat import ChatRequest, user_message

LABELS = ("0", "1", "2", "3", "4", "5")
ANSWER = "Answer with a single digit from 0 (not at all) to 5 (perfectly)."
TEMPLATES = {
    "semantic_alignment": "Prompt: {text}\nHow well does the image match the prompt? " + ANSWER,
    "instruction_following": (
        "The first image is the original, the second the edited image.\nInstruction: {text}\n"
        "How well does the edit follow the instruction while keeping the rest unchanged? " + ANSWER
    ),
    "text_rendering": (
        "Prompt: {text}\nIs the text the prompt asks for rendered legibly and spelled correctly "
        "in the image? " + ANSWER
    ),
}
TASKS = {"semantic_alignment": "t2i", "instruction_following": "it2i", "text_rendering": "t2i"}
DEFAULT_JUDGE = "transformers:Qwen/Qwen2.5-VL-7B-Instruct"
DEFAULT_MIN_SCORE = 3.0  # of 5
TOP_LOGPROBS = 20  # the most OpenAI-compatible servers return per position
MAX_TOKENS = 4


@dataclass
class VLMScoreParams:
    min_score: float | None = param(DEFAULT_MIN_SCORE, "0-5; drop samples scoring below")
    aspect: str = measure_param("auto", "semantic_alignment|instruction_following|text_rendering")
    judge: str = measure_param(DEFAULT_JUDGE, "openai:URL:MODEL or transformers:PATH|HUB_ID")
    tokenizer: str | None = measure_param(None, "for openai judges: tokenizer to check labels")
    cache: str | None = measure_param(None, "append-only judge cache (JSONL); reruns replay")


@register
class VLMScore(Operator):
    name = "vlm_score"
    doc = "VLM judge 0-5 score: probability-weighted over the score tokens, with distribution"
    Params = VLMScoreParams
    requires = ("httpx", "transformers")
    batch_size = 16
    STATS = {
        "expected": Stat("0-5", "probability-weighted score (the stored score)"),
        "probs": Stat("probability", "distribution over the labels 0..5", "floats"),
        "greedy": Stat("0-5", "the digit the judge wrote", "int"),
        "aspect": Stat("name", "what was judged", "str"),
        "template_sha256": Stat("hex", "sha256 of the prompt template", "str"),
        "judge": Stat("id", "backend and model", "str"),
    }

    def setup(self) -> None:
        p: VLMScoreParams = self.params
        if p.aspect != "auto" and p.aspect not in TEMPLATES:
            raise ValueError(f"vlm_score aspect {p.aspect!r}: one of auto, {', '.join(TEMPLATES)}")
        self.backend = load_judge(p.judge, p.cache)
        tokenizer = judge_tokenizer(self.backend, p.tokenizer)
        if tokenizer is not None:
            check_single_tokens(tokenizer, LABELS)
        info = self.backend.describe()
        self.judge_id = f"{info.get('backend')}:{info.get('model')}"

    def aspect(self, sample: Sample) -> str | None:
        if self.params.aspect != "auto":
            return self.params.aspect if TASKS[self.params.aspect] == sample.task else None
        return next((a for a, task in TASKS.items() if task == sample.task), None)

    def applies(self, sample: Sample) -> bool:
        return self.aspect(sample) is not None and bool(sample.images)

    def request(self, sample: Sample) -> tuple[str, ChatRequest]:
        aspect = self.aspect(sample)
        images = [judge_view(img) for img in sample.images]
        message = user_message(*images, TEMPLATES[aspect].format(text=sample.text()))
        return aspect, ChatRequest(
            [message], max_tokens=MAX_TOKENS, temperature=0.0, top_logprobs=TOP_LOGPROBS
        )

    def measure_batch(self, samples: Sequence[Sample]) -> list[dict[str, Any]]:
        asked = [self.request(s) for s in samples]
        replies = self.backend.complete([r for _, r in asked])
        out = []
        for (aspect, _), reply in zip(asked, replies, strict=True):
            if reply.error:
                out.append({"error": f"judge failed: {reply.error}"})
                continue
            dist = score_distribution(reply.top_logprobs, reply.text, LABELS)
            out.append(
                {
                    "expected": dist.expected,
                    "probs": dist.probs,
                    "greedy": dist.greedy,
                    "aspect": aspect,
                    "template_sha256": hashlib.sha256(TEMPLATES[aspect].encode()).hexdigest(),
                    "judge": self.judge_id,
                }
            )
        return out

    def decide(self, s: dict[str, Any]) -> Verdict:
        if s["expected"] is None:
            return (
                "unparsable",
                f"no score token among the judge's top tokens (greedy {s['greedy']})",
            )
        if self.params.min_score is not None and s["expected"] < self.params.min_score:
            return "low_vlm_score", f"{s['aspect']} {s['expected']:.2f} < {self.params.min_score}"
        return None
