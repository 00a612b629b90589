"""Golden tests of RealUnify UEG normalisation and scoring (gen_edit_benchmarks.md section 4)."""

from __future__ import annotations

import json

import pytest

from evaluation.errors import BadInput
from evaluation.judgements import Judgement, read_judgements
from evaluation.realunify.data import load_items
from evaluation.realunify.geu import carried_responses, extract_choice, load_questions, score_geu
from evaluation.realunify.scorer import NO_IMAGE, normalise, score_judgements


def test_normalisation_is_substring_based():
    assert normalise("Yes.") == "yes"
    assert normalise("yes, but not entirely") == "yes"  # "yes" wins before the "no" test
    assert normalise("No") == "no"
    for reply in ("not sure", "I don't know", "None", "cannot tell", "unknown", "enough"):
        assert normalise(reply) == "no", reply
    assert normalise("Maybe") == "maybe"  # stays as is and matches nothing


def write_items(path, items):
    path.write_text(json.dumps(items))
    return path


def ueg(task: str, prompt: str, *qa: tuple[str, str]) -> dict:
    questions = [{"question": q, "answer": a} for q, a in qa]
    return {"task_type": task, "prompt": prompt, "question_list": questions}


ITEMS = [
    ueg("mathematical_reasoning", "p0", ("q a", "yes"), ("q b", "no")),
    ueg("mathematical_reasoning", "p1", ("q c", "yes"), ("q d", "no")),
    ueg("world_knowledge", "p2", ("q", "no")),
    ueg("world_knowledge", "p3", ("q", "yes")),
    ueg("code_to_image", "p4", ("q", "yes")),
]


def test_all_answers_must_match_and_fixed_denominators(tmp_path):
    items = load_items(write_items(tmp_path / "UEG_direct.json", ITEMS))
    judgements = [
        Judgement("0", "Yes", 0),
        Judgement("0", "I do not think so", 1),  # -> no: item 0 correct
        Judgement("1", "yes", 0),
        Judgement("1", "Yes, there is", 1),  # -> yes != no: item 1 wrong
        Judgement("2", "Nope", 0),  # correct
        Judgement("3", None, 0, error="timeout"),  # judge failure: 0, counted
        Judgement("4", None, None, error=NO_IMAGE),  # no generated image: 0
    ]
    rows, scores = score_judgements(items, judgements)
    assert [r["score"] for r in rows] == [1, 0, 1, 0, 0]
    assert [r["status"] for r in rows] == ["correct", "wrong", "correct", "judge_error", "no_image"]
    assert scores["categories"] == {  # in %: 1 correct of the fixed 100 per task type
        "world_knowledge": 1.0,
        "mathematical_reasoning": 1.0,
        "code_to_image": 0.0,
    }
    assert scores["overall"] == pytest.approx(100 * 2 / 600)
    _, fixed = score_judgements(items, judgements, profile="fixed")
    assert fixed["categories"]["mathematical_reasoning"] == 50.0
    assert fixed["overall"] == pytest.approx(100 * 2 / 5)


def test_first_mismatch_stops_and_missing_reply_is_counted(tmp_path):
    items = load_items(write_items(tmp_path / "UEG_direct.json", ITEMS[:1]))
    rows, _ = score_judgements(items, [Judgement("0", "no", 0)])  # wrong at q0; q1 never asked
    assert rows[0]["status"] == "wrong"
    rows, _ = score_judgements(items, [Judgement("0", "yes", 0)])  # q1 missing from the record
    assert rows[0]["status"] == "missing" and rows[0]["score"] == 0


def test_bad_items_and_judgements_name_the_item(tmp_path):
    bad = [
        {
            "task_type": "world_knowledge",
            "prompt": "p",
            "question_list": [{"question": "q", "answer": "maybe"}],
        }
    ]
    with pytest.raises(BadInput, match="UEG_direct.json: item 0: question answers must be yes/no"):
        load_items(write_items(tmp_path / "UEG_direct.json", bad))
    path = tmp_path / "judgements.jsonl"
    path.write_text('{"key": "3", "question": 0, "reply": 5}\n')
    with pytest.raises(BadInput, match=r"line 1 \(3\): reply must be text or null"):
        read_judgements(path)


@pytest.mark.parametrize(
    ("response", "letter"),
    [
        ("B", "B"),
        ("The best answer is C.", "C"),
        ("The answer is (D)", "D"),
        ("Answer: A", "A"),
        ("Answer is B", "B"),  # "Answer" removed first, " is B" remains
        ("I think it is B", "B"),  # the first capital A-D anywhere, not the first capital
        ("A cat sits on the B mat", "A"),  # even an article counts
        ("the left one", ""),  # no capital A-D: no answer
        ("one two three four five six seven eight nine ten eleven", ""),
        ("one two three four five six seven eight nine ten eleven D", "D"),
        ("The answerC", "C"),  # plain substring removal leaves "C"
        ("  ", ""),
    ],
)
def test_geu_letter_extraction(response, letter):
    assert extract_choice(response) == letter


def test_geu_scoring_fixed_denominators_and_list_responses(tmp_path):
    records = [
        {"task_type": "mental_tracking", "answer": "A", "response": ["The answer is A", "B"]},
        {"task_type": "mental_tracking", "answer": "B", "response": "C"},
        {"task_type": "attentional_focusing", "answer": "C", "response": "no idea"},
        {"task_type": "attentional_focusing", "answer": "D", "response": "D"},
    ]
    path = tmp_path / "GEU_direct.json"
    path.write_text(json.dumps(records))
    questions = load_questions(path)
    responses = carried_responses(questions, path)
    items = [q.scored(responses[q.key]) for q in questions]
    rows, scores = score_geu(items)
    assert [r["status"] for r in rows] == ["correct", "wrong", "no_answer", "correct"]
    assert scores["categories"] == {"mental_tracking": 1.0, "attentional_focusing": 1.0}
    assert scores["overall"] == pytest.approx(100 * 2 / 200)  # 100 x the task types seen
    _, fixed = score_geu(items, "fixed")
    assert fixed["overall"] == 50.0 and fixed["categories"]["mental_tracking"] == 50.0
    path.write_text(json.dumps([{"task_type": "t", "answer": "A"}]))
    assert carried_responses(load_questions(path), path) is None  # to be generated, not scored
