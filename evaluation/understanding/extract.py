"""Answer extraction of VLMEvalKit (e8e78f05) and the official tools (understanding_suites.md 2.2).

``can_infer`` maps a free-form response to an option letter in the order VLMEvalKit uses: the
API-failure marker and fixed refusals, standalone option letters (exactly one, and only near the
end), a standalone ``Z``, the "answer is X" phrase, then the option-text substring rule with its
length guard. ``None`` means "no answer": the judge (if any) decides next.
"""

from __future__ import annotations

import re

API_FAILURE = "Failed to obtain answer via API"
REFUSALS = ("Cannot determine the answer", "I can't process this file.")  # -> Z (wrong)
NO_ANSWER_LETTER = "Z"
PUNCTUATION = str.maketrans({c: " " for c in ".()[],:;!*#{}"})
LAST_TOKENS = 4  # a lone letter counts only among the last four tokens (PR #1175)
TEXT_LENGTH_FACTOR = 2  # responses longer than 2x all option texts skip the text rule
ANSWER_IS = re.compile(r"(?i:(?:correct\s+)?answer\s+is)\s*:?\s*\**\s*\(?([A-D])\b")


def can_infer_option(response: str, options: dict[str, str]) -> str | None:
    """The option letter a response names, ``Z`` for refusals, or None."""
    if API_FAILURE in response:
        return None
    if any(r in response for r in REFUSALS):
        return NO_ANSWER_LETTER
    tokens = response.translate(PUNCTUATION).split()
    present = [letter for letter in options if letter in tokens]
    if len(present) == 1:
        if tokens.index(present[0]) >= len(tokens) - LAST_TOKENS:
            return present[0]
    elif not present and NO_ANSWER_LETTER in tokens:
        return NO_ANSWER_LETTER
    match = ANSWER_IS.search(response)
    if match and match.group(1) in options:
        return match.group(1)
    return None


def can_infer_text(response: str, options: dict[str, str], length_guard: bool = True) -> str | None:
    """The one option whose text appears in the (lower-cased) response, or None. The length
    guard (added 2025-08) is off for lmms-eval's older copy."""
    response = response.lower()
    total = sum(len(str(t)) for t in options.values())
    if length_guard and len(response) > TEXT_LENGTH_FACTOR * total:
        return None
    hits = [letter for letter, text in options.items() if str(text).lower() in response]
    return hits[0] if len(hits) == 1 else None


def can_infer(response: str, options: dict[str, str]) -> str | None:
    response = str(response)
    return can_infer_option(response, options) or can_infer_text(response, options)


# lmms-eval MMBench keeps an older VLMEvalKit copy (understanding_suites.md 2.3): letters A-E
# (E is its judge's "no match"), whitespace tokens with no punctuation stripped, no "near the
# end" rule, then tokens with these (prefix, suffix) affixes in this order.
LEGACY_LETTERS = "ABCDE"
LEGACY_NO_MATCH = "E"
LEGACY_AFFIXES = (
    ("", "."), ("", ","), ("", ":"), ("", ")"), ("", ")."), ("(", ")"), ("(", ")."),
    (":", ""), (":", ","), (":", "."), (":", ")"), (":", ")."),
)  # fmt: skip
LEGACY_ARTICLE_TOKENS = 3  # a lone "A" in a response of more tokens may be the article


def _one_letter(tokens: list[str], prefix: str = "", suffix: str = "") -> str | None:
    hits = [c for c in LEGACY_LETTERS if f"{prefix}{c}{suffix}" in tokens]
    return hits[0] if len(hits) == 1 else None


def can_infer_option_legacy(response: str) -> str | None:
    """lmms-eval MMBench's letter rule: one bare letter token (not a possible article "A"),
    else the first affix pattern under which exactly one letter appears."""
    if API_FAILURE in response:
        return None
    tokens = response.split()
    bare = _one_letter(tokens)
    if bare and not ("A" in tokens and len(tokens) > LEGACY_ARTICLE_TOKENS):
        return bare
    for prefix, suffix in LEGACY_AFFIXES:
        letter = _one_letter(tokens, prefix, suffix)
        if letter:
            return letter
    return None


def can_infer_legacy(response: str, options: dict[str, str]) -> str | None:
    """lmms-eval MMBench: the legacy letter rule, then option text with no length guard."""
    response = str(response)
    return can_infer_option_legacy(response) or can_infer_text(response, options, False)


YES, NO, UNKNOWN = "Yes", "No", "Unknown"
WORD_PUNCTUATION = re.compile(r"[^\w\s]")


def yes_no_vlmevalkit(response: str) -> str:
    """ "yes" as a word without "no" -> Yes; the reverse -> No; otherwise Unknown."""
    words = WORD_PUNCTUATION.sub(" ", str(response).lower()).split()
    if "yes" in words and "no" not in words:
        return YES
    if "no" in words and "yes" not in words:
        return NO
    return UNKNOWN


OFFICIAL_PREFIX = 4  # the official MME tool looks at the first 4 characters only


def yes_no_official(response: str) -> str:
    """Official MME tool / lmms-eval: exact yes/no (or y/n), else the first four characters."""
    r = str(response).lower().strip().replace(".", "")
    if r in ("yes", "y"):
        return YES
    if r in ("no", "n"):
        return NO
    head = r[:OFFICIAL_PREFIX]
    if "yes" in head:
        return YES
    if "no" in head:
        return NO
    return UNKNOWN


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (insert, delete, substitute: cost 1 each), as the ``Levenshtein``
    package's ``distance`` that official MathVista uses (understanding_suites.md 3.9)."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def closest_text(text: str, candidates: list[str]) -> str:
    """The candidate with the smallest edit distance to ``text``; the first one on ties."""
    return min(candidates, key=lambda c: edit_distance(text, c))


# lmms-eval ``mcq_extract`` formats, highest priority first (understanding_suites.md 2.3):
# start > end > phrase > parentheses > period > colon > right-paren > space.
_NOT_AFTER_WORD = r"(?<![A-Za-z0-9])"
MCQ_EXTRACT_FORMATS = (
    ("start", r"^\s*({L})(?![A-Za-z0-9])"),
    ("end", _NOT_AFTER_WORD + r"({L})[\s.]*$"),
    ("phrase", r"(?i:the\s+answer\s+is)\s*:?\s*\(?({L})(?![A-Za-z0-9])"),
    ("parentheses", r"\(({L})\)"),
    ("period", _NOT_AFTER_WORD + r"({L})\."),
    ("colon", _NOT_AFTER_WORD + r"({L}):"),
    ("right_paren", r"(?<![A-Za-z0-9(])({L})\)"),
    ("space", _NOT_AFTER_WORD + r"({L}) "),
)


def mcq_extract(response: str, letters: str) -> tuple[str, str]:
    """(letter, format) as lmms-eval's ``mcq_extract``: candidates of the highest-priority
    format present, the last occurrence winning; ("", "none") when no format matches."""
    alternatives = "|".join(re.escape(letter) for letter in letters)
    for name, template in MCQ_EXTRACT_FORMATS:
        found = re.findall(template.replace("{L}", alternatives), str(response))
        if found:
            return found[-1], name
    return "", "none"
