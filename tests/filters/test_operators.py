"""Operators on tiny crafted samples: the stats, the reason, any/all, per-sample errors."""

from __future__ import annotations

import random

import pytest
from filter_helpers import edit, encode, image, t2i

from filters.bktree import BKTree, hamming
from filters.operator import ERROR_KEY, get_operator
from filters.operators.decode import Decode
from filters.operators.dedup import Dedup, DedupParams
from filters.operators.resolution import Resolution, ResolutionParams


def decide(op, sample):
    [stats] = op.run_measure([sample])
    return stats, op.judge(stats)


def test_resolution_measures_displayed_size_from_headers_and_names_the_reason():
    op = Resolution(ResolutionParams(min_side=64, max_aspect=2.0))
    stats, verdict = decide(op, t2i("a", image("target", (96, 64))))
    assert stats == {"width": [96], "height": [64], "megapixels": [96 * 64 / 1e6], "aspect": [1.5]}
    assert verdict is None
    assert decide(op, t2i("b", image("target", (40, 80))))[1][0] == "too_small"
    assert decide(op, t2i("c", image("target", (300, 100))))[1][0] == "bad_aspect"
    # EXIF orientation 6: stored 100x70, displayed 70x100.
    stats, _ = decide(op, t2i("d", image("target", (100, 70), fmt="JPEG", orientation=6)))
    assert (stats["width"], stats["height"]) == ([70], [100])
    counters = op.take_counters()
    assert (counters.total, counters.kept, dict(counters.dropped)) == (
        4, 2, {"too_small": 1, "bad_aspect": 1},
    )  # fmt: skip


def test_multi_image_samples_use_any_or_all():
    small, ok = image("source", (32, 32)), image("target", (128, 128))
    pair = edit("e", small, ok)
    assert decide(Resolution(ResolutionParams(any_or_all="all")), pair)[1][0] == "too_small"
    assert decide(Resolution(ResolutionParams(any_or_all="any")), pair)[1] is None
    only_target = Resolution(ResolutionParams(roles=["target"]))
    assert decide(only_target, pair)[0]["width"] == [128]


def test_decode_drops_truncated_images_that_headers_accept():
    whole = encode((120, 90), fmt="JPEG", quality=95)
    truncated = image("target", (120, 90), fmt="JPEG", data=whole[: len(whole) // 2])
    stats, verdict = decide(Decode(), t2i("t", truncated))
    assert stats["ok"] == [False] and verdict[0] == "corrupt"
    assert decide(Decode(), t2i("w", image("target", (120, 90), data=whole, fmt="JPEG")))[1] is None


def test_a_failing_sample_is_dropped_with_its_error_and_the_batch_survives():
    good = t2i("good", image("target", (96, 96)))
    bad = t2i("bad", image("target", (96, 96), data=b"not an image at all"))
    op = Resolution()
    stats = op.run_measure([good, bad, good])
    assert ERROR_KEY not in stats[0] and ERROR_KEY not in stats[2]
    assert "sample bad" in stats[1][ERROR_KEY]
    assert op.judge(stats[1])[0] == "error"


def _dedup_rows(samples, params=None):
    op = Dedup(params or DedupParams())
    stats = op.run_measure(samples)
    rows = [{"id": s.id, "task": s.task, **st} for s, st in zip(samples, stats, strict=True)]
    return op, op.resolve(rows)


def test_dedup_finds_exact_and_near_duplicates_and_keeps_the_first():
    red = encode((128, 128), (200, 30, 30))
    a = t2i("a", image("target", (128, 128), data=red))
    exact = t2i("b", image("target", (128, 128), data=red), prompt="other text")
    near = t2i("c", image("target", (128, 128), fmt="JPEG", color=(200, 30, 30), quality=60))
    blue = t2i("d", image("target", (128, 128), color=(30, 30, 200)))
    op, resolved = _dedup_rows([a, exact, near, blue])
    assert [r["dup_of"] for r in resolved] == [None, "a", "a", None]
    assert resolved[1]["exact"] and not resolved[2]["exact"]
    assert op.decide(resolved[1])[0] == "duplicate"
    assert op.decide(resolved[2])[0] == "near_duplicate"
    # consider_text: the same image with another caption is not a duplicate.
    _, resolved = _dedup_rows([a, exact], DedupParams(consider_text=True))
    assert [r["dup_of"] for r in resolved] == [None, None]


def test_bktree_search_equals_brute_force():
    rng = random.Random(0)
    hashes = [rng.getrandbits(64) for _ in range(2000)]
    base = hashes[0]
    hashes += [base ^ (1 << rng.randrange(64)) ^ (1 << rng.randrange(64)) for _ in range(50)]
    tree = BKTree()
    for i, h in enumerate(hashes):
        tree.add(h, i)
    for q in hashes[:20] + [base]:
        found = sorted(i for _, i in tree.search(q, 6))
        assert found == [i for i, h in enumerate(hashes) if hamming(q, h) <= 6]


def test_unknown_operator_suggests_the_closest_name():
    with pytest.raises(KeyError, match="did you mean 'dedup'"):
        get_operator("dedupe")
