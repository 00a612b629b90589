"""The inverse of an edit instruction by rule: add <-> remove, recolour, move, replace.

Each rule reads one phrasing of a single-object edit and writes the instruction that undoes it
from what the instruction itself says: "add a dog" -> "remove the dog", "turn the red car blue"
-> "turn the blue car red", "move the cup left" -> "move the cup right" (a bare direction is a
shift), "replace the apple with an orange" -> "replace the orange with an apple". Where the
instruction does not say enough ("make the car red": red from what? "move the cup to the left":
a destination, from where?), is about the whole image (style, background) or does several things
at once, `invert` returns None: a guessed inverse would be a wrong training pair. (Reading "to the
left" as a shift was wrong for 17 of 149 one-side moves of the shapes world, whose object started
in another row or column.)
"""

from __future__ import annotations

import re
from collections.abc import Callable

COLOURS = frozenset(
    "red orange yellow green blue purple violet pink brown black white grey gray silver gold "
    "beige cyan magenta turquoise".split()
)
OPPOSITE = {
    "left": "right", "right": "left", "up": "down", "down": "up", "top": "bottom", "bottom": "top"
}  # fmt: skip
# Words that end an object phrase: "a dog [next to the tree]", "a man [wearing a hat]".
PHRASE_ENDS = frozenset(
    "at on in into onto to from next near beside behind under underneath beneath above below "
    "over between inside outside along across around against atop within with wearing holding "
    "that which who".split()
)
# An object phrase names one object: these words make it about the whole image instead.
SCENE_WORDS = frozenset(
    "background style image photo picture scene painting weather season lighting "
    "atmosphere mood filter tone brightness contrast saturation".split()
)
DETERMINER = re.compile(
    r"^(?:the|a|an|some|one|two|three|four|five|six|several|\d+)\b", re.IGNORECASE
)
SEVERAL_CLAUSES = re.compile(r"[,;:]|\b(?:and|then|also)\b", re.IGNORECASE)
COLOUR = "|".join(sorted(COLOURS))
DIRECTION = "|".join(OPPOSITE)
SHIFTS = "left|right|up|down"  # bare directions: "move the cup left"
# A place or destination word left in a move's object phrase: "to the [top] left", "to the
# left [side]" name where the object ends up, not how far it moved.
DESTINATION = re.compile(rf"\b(?:to|towards|{DIRECTION}|centre|center|corner|side)\b", re.I)

Rule = tuple[re.Pattern[str], Callable[[re.Match[str]], str | None]]


def invert(instruction: str) -> str | None:
    """The instruction that undoes `instruction`, or None when no rule can say it for sure."""
    text = instruction.strip()
    body = text.rstrip(".!").strip()
    if not body or SEVERAL_CLAUSES.search(body):
        return None
    for pattern, write in RULES:
        match = pattern.fullmatch(body)
        inverse = write(match) if match else None
        if inverse:
            head = inverse[0].upper() if text[0].isupper() else inverse[0].lower()
            return head + inverse[1:] + text[len(body) :]
    return None


def _add(m: re.Match[str]) -> str | None:
    thing = _object(m["x"])
    return thing and f"remove {_definite(thing)}"


def _remove(m: re.Match[str]) -> str | None:
    thing = _object(m["x"])
    return thing and f"add {_indefinite(thing)}"


def _recolour(m: re.Match[str]) -> str | None:
    """In "turn the red car blue" the object phrase's one colour is the one to go back to."""
    words = m["x"].split()
    at = [i for i, w in enumerate(words) if w.lower() in COLOURS]
    if len(at) != 1 or words[at[0]].lower() == m["b"].lower() or _about_scene(m["x"]):
        return None
    before, words[at[0]] = words[at[0]], m["b"]
    return f"{m['verb']} {' '.join(words)} {m['to'] or ''}{before}"


def _move(m: re.Match[str]) -> str | None:
    if DESTINATION.search(m["x"]) or _about_scene(m["x"]):
        return None
    return f"{m['verb']} {m['x']} {OPPOSITE[m['d'].lower()]}"


def _replace(m: re.Match[str]) -> str | None:
    old, new = _object(m["x"]), _object(m["y"])
    return old and new and f"{m['verb']} {_definite(new)} {m['with']} {_indefinite(old)}"


def _rule(pattern: str, write: Callable[[re.Match[str]], str | None]) -> Rule:
    return re.compile(pattern, re.IGNORECASE), write


RULES: list[Rule] = [  # tried in order; the first that matches and can say it wins
    _rule(r"(?:add|insert)\s+(?P<x>.+)", _add),
    _rule(r"(?:remove|delete|erase|get rid of|take away|take out)\s+(?P<x>.+)", _remove),
    _rule(
        r"(?P<verb>change|set|switch|make|turn|paint|recolou?r|colou?r)\s+(?P<x>.+?)\s+"
        rf"(?P<to>(?:to|into)\s+)?(?P<b>{COLOUR})",
        _recolour,
    ),
    _rule(rf"(?P<verb>move|shift|slide|push|drag)\s+(?P<x>.+?)\s+(?P<d>{SHIFTS})", _move),
    _rule(r"(?P<verb>replace|swap)\s+(?P<x>.+?)\s+(?P<with>with|by|for)\s+(?P<y>.+)", _replace),
    _rule(
        r"(?P<verb>change|turn)\s+(?P<x>.+?)\s+(?P<with>into|to)\s+(?P<y>(?:a|an)\s.+)", _replace
    ),
]


def _object(phrase: str) -> str | None:
    """The object a phrase names, without where it is ("the cat on the sofa" -> "the cat");
    None unless it starts with a determiner and names a thing, not the image or a possession."""
    words = phrase.split()
    end = next((i for i, w in enumerate(words) if i > 1 and w.lower() in PHRASE_ENDS), len(words))
    thing = " ".join(words[:end])
    if end < 2 or not DETERMINER.match(thing) or "'" in thing or _about_scene(thing):
        return None
    return thing


def _definite(thing: str) -> str:
    """The definite form: "a dog", "some flowers", "two cats" -> "the dog", "the flowers",
    "the two cats"."""
    return "the " + re.sub(r"^(?:the|a|an|some|one)\s+", "", thing, flags=re.IGNORECASE)


def _indefinite(thing: str) -> str:
    """The indefinite form: "the dog", "the cats", "the two cats" -> "a dog", "cats",
    "two cats"."""
    bare = re.sub(r"^the\s+", "", thing, flags=re.IGNORECASE)
    last = bare.split()[-1].lower()
    if DETERMINER.match(bare) or (last.endswith("s") and not last.endswith(("ss", "us"))):
        return bare
    return ("an " if bare[0].lower() in "aeiou" else "a ") + bare


def _about_scene(phrase: str) -> bool:
    return any(w.lower() in SCENE_WORDS for w in re.findall(r"[a-z]+", phrase, re.IGNORECASE))
