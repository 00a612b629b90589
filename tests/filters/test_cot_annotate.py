"""cot_annotate against a real OpenAI-compatible server on loopback: schema validation, recorded
sampling parameters, re-validation with another schema, and `cot` written on materialization."""

from __future__ import annotations

import json

from filter_helpers import edit, image
from judge_server import JudgeServer

from filters.operators.cot_annotate import CotAnnotate, CotParams

GOOD = {"reasoning": "The source shows a red square; recolour it blue.", "steps": ["find", "fill"]}


def reply(text: str) -> str:
    if "broken" in text:
        return "I think it should be blue."
    return "```json\n" + json.dumps(GOOD) + "\n```"


def test_cot_is_validated_recorded_and_written_into_the_sample():
    good = edit("good", image("source"), image("target"))
    bad = edit("bad", image("source"), image("target"))
    bad.instruction = "broken request"
    with JudgeServer(reply=reply) as server:
        op = CotAnnotate(CotParams(judge=server.spec("cot-model"), tasks=["it2i"], temperature=0.3))
        op.setup()
        stats = op.run_measure([good, bad])
    assert json.loads(stats[0]["json"]) == GOOD
    assert stats[0]["judge"] == "openai:cot-model" and stats[0]["temperature"] == 0.3
    assert server.requests[0]["temperature"] == 0.3
    assert op.judge(stats[0]) is None
    assert op.judge(stats[1]) == ("invalid_cot", "no JSON object in the reply")
    strict = {**op.params.schema, "properties": {"steps": {"type": "array", "minItems": 3}}}
    assert CotAnnotate(CotParams(schema=strict)).decide(stats[0])[0] == "invalid_cot"
    op.annotate(good, stats[0])
    assert good.cot == GOOD["reasoning"]
