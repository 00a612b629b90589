"""`cot_annotate`: a VLM writes the chain of thought for a sample; the JSON it returns is
validated against a JSON schema (in `decide`, so `apply` can tighten the schema later).

Every annotation records the judge, its sampling parameters and the prompt hash, so it can be
reproduced from the manifest. Materialized samples get the reasoning in `cot`.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import jsonschema

from corpus.schema import Sample
from filters.imageio import judge_view
from filters.judging import load_judge
from filters.operator import Operator, Stat, Verdict, measure_param, param, register
from models.external.chat import ChatRequest, user_message

PROMPT = (
    "You write the reasoning a multimodal model should go through before it produces the output "
    "for this request.\nTask: {task}\nRequest: {text}\n"
    'Reply with JSON only: {{"reasoning": "<one paragraph>", "steps": ["<step>", ...]}}'
)
COT_SCHEMA = {
    "type": "object",
    "required": ["reasoning", "steps"],
    "properties": {
        "reasoning": {"type": "string", "minLength": 20},
        "steps": {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1},
    },
}
JSON_OBJECT = re.compile(r"\{.*\}", re.DOTALL)
DEFAULT_JUDGE = "transformers:Qwen/Qwen2.5-VL-7B-Instruct"


@dataclass
class CotParams:
    schema: dict = param(COT_SCHEMA, "JSON schema the parsed reply must satisfy")
    judge: str = measure_param(DEFAULT_JUDGE, "openai:URL:MODEL or transformers:PATH|HUB_ID")
    tasks: list[str] = measure_param(["a2a"], "tasks to annotate")
    temperature: float = measure_param(0.7, "sampling temperature")
    max_tokens: int = measure_param(512, "reply length limit in tokens")
    cache: str | None = measure_param(None, "append-only judge cache (JSONL)")


@register
class CotAnnotate(Operator):
    name = "cot_annotate"
    doc = "VLM-written chain of thought, validated against a JSON schema"
    Params = CotParams
    requires = ("jsonschema",)
    batch_size = 16
    STATS = {
        "text": Stat("text", "the judge's raw reply", "str"),
        "json": Stat("json", "the JSON object found in the reply", "str"),
        "chars": Stat("chars", "reply length"),
        "judge": Stat("id", "backend and model", "str"),
        "temperature": Stat("T", "sampling temperature used"),
        "max_tokens": Stat("tokens", "reply length limit used", "int"),
        "prompt_sha256": Stat("hex", "sha256 of the prompt template", "str"),
    }

    def setup(self) -> None:
        self.backend = load_judge(self.params.judge, self.params.cache)
        info = self.backend.describe()
        self.judge_id = f"{info.get('backend')}:{info.get('model')}"

    def applies(self, sample: Sample) -> bool:
        return sample.task in self.params.tasks

    def measure_batch(self, samples: Sequence[Sample]) -> list[dict[str, Any]]:
        p: CotParams = self.params
        requests = [
            ChatRequest(
                [
                    user_message(
                        *[judge_view(i) for i in s.images],
                        PROMPT.format(task=s.task, text=s.text()),
                    )
                ],
                max_tokens=p.max_tokens,
                temperature=p.temperature,
            )
            for s in samples
        ]
        out = []
        for reply in self.backend.complete(requests):
            if reply.error:
                out.append({"error": f"judge failed: {reply.error}"})
                continue
            found = JSON_OBJECT.search(reply.text or "")
            out.append(
                {
                    "text": reply.text,
                    "json": found.group() if found else None,
                    "chars": len(reply.text or ""),
                    "judge": self.judge_id,
                    "temperature": p.temperature,
                    "max_tokens": p.max_tokens,
                    "prompt_sha256": hashlib.sha256(PROMPT.encode()).hexdigest(),
                }
            )
        return out

    def decide(self, s: dict[str, Any]) -> Verdict:
        if s["json"] is None:
            return "invalid_cot", "no JSON object in the reply"
        try:
            jsonschema.validate(json.loads(s["json"]), self.params.schema)
        except json.JSONDecodeError as e:
            return "invalid_cot", f"not JSON: {e}"
        except jsonschema.ValidationError as e:
            return "invalid_cot", f"schema: {e.message}"[:300]
        return None

    def annotate(self, sample: Sample, stats: dict[str, Any]) -> None:
        sample.cot = json.loads(stats["json"])["reasoning"]
