"""Data path: exact costs, full packs, oldest first, the realised task mix, resumable plans."""

from __future__ import annotations

import dataclasses
import itertools
from collections import Counter

import numpy as np
import polars as pl
import pytest

from train.config import stage_config
from train.costs import ANSWER_TOKENS_ESTIMATE, IMAGE_PLACEHOLDER, CostModel
from train.data import build_joint_data
from train.manifest import ManifestError, ManifestTable
from train.mixer import Draw, TaskMixer
from train.packer import BestFitPacker, best_subset
from train.planner import Planner
from train.sequences import SequenceBuilder

RESOLUTION = 32
MIX_SAMPLES = 10_000
MIX_TOLERANCE = 0.02
MIN_FILL = 0.98


def test_planned_cost_is_the_built_sequence_length_for_generation_samples(curated, tiny):
    table = ManifestTable([curated], ["t2i", "it2i"])
    costs = CostModel(tiny, RESOLUTION)
    builder = SequenceBuilder(tiny, RESOLUTION, noise_fraction=0.0, neighbours=1)
    unit = costs.unit
    for index in range(0, len(table), 7):
        cost = costs.cost(table.row(index))
        built = builder.build(table.read(index), seed=0)
        assert len(built) == cost.tokens
        assert built.image.shape[1] % unit == 0 and max(built.image.shape[1:]) <= RESOLUTION
        assert cost.dit_tokens == built.image.shape[1] * built.image.shape[2] // unit**2


def test_understanding_cost_estimate_is_close(curated, tiny):
    table = ManifestTable([curated], ["it2t"])
    costs = CostModel(tiny, RESOLUTION)
    builder = SequenceBuilder(tiny, RESOLUTION, noise_fraction=0.0, neighbours=1)
    planned = [costs.cost(table.row(i)).tokens for i in range(len(table))]
    actual = [len(builder.build(table.read(i), seed=0)) for i in range(len(table))]
    assert abs(sum(planned) / sum(actual) - 1) < 0.15


def _as_estimated(sample):
    """The conversation with its unseen turns as the it2t estimate assumes them: every later user
    turn as long as the first question, every answer ``ANSWER_TOKENS_ESTIMATE`` tokens."""
    question = sample.messages[0]["content"].replace(IMAGE_PLACEHOLDER, "").strip("\n")
    messages = [sample.messages[0]]
    for message in sample.messages[1:]:
        user = message["role"] == "user"
        messages.append({**message, "content": question if user else "x" * ANSWER_TOKENS_ESTIMATE})
    return dataclasses.replace(sample, messages=messages)


def test_understanding_cost_of_each_sample_with_the_assumed_turns_is_its_length(curated, tiny):
    """Per sample, with the unseen turns as the estimate assumes them, the plan is exactly the
    built length (it was one token over per question-answer pair: the answer's <|im_end|> was
    counted twice); the whole error on real data is then the unseen turns' lengths."""
    assert len(tiny.text_tokenizer.encode("x" * ANSWER_TOKENS_ESTIMATE)) == ANSWER_TOKENS_ESTIMATE
    table = ManifestTable([curated], ["it2t"])
    costs = CostModel(tiny, RESOLUTION)
    builder = SequenceBuilder(tiny, RESOLUTION, noise_fraction=0.0, neighbours=1)
    for i in range(len(table)):
        row = table.row(i)
        over = costs.cost(row).tokens - len(builder.build(_as_estimated(table.read(i)), seed=0))
        assert over == 0, (row["id"], row["n_turns"], over)


def test_best_subset_finds_the_fullest_fit():
    sizes = [7, 5, 11, 3, 9]
    chosen = best_subset(sizes, 20)
    assert sum(sizes[i] for i in chosen) == 20
    assert best_subset([30, 40], 20) == []


def _shapes_packer(curated, tiny, weights, budget):
    table = ManifestTable([curated], sorted(weights))
    costs = CostModel(tiny, RESOLUTION)
    tokens = [costs.cost(table.row(i)).tokens for i in range(len(table))]
    mixer = TaskMixer(table.rows_by_task(), weights, seed=0)
    packer = BestFitPacker(mixer.draw, lambda d: tokens[d.row], budget, budget, 64, mixer.tasks)
    return packer, tokens


def _stream_packer(sizes, budget, window, tail=None):
    """A packer over samples drawn in order: row i has ``sizes[i]`` tokens, later rows ``tail``."""
    rows = itertools.count()

    def cost(draw: Draw) -> int:
        return sizes[draw.row] if draw.row < len(sizes) else tail

    return BestFitPacker(lambda task: Draw("t2i", next(rows), 0), cost, budget, budget, window)


def test_packs_use_the_whole_budget_when_the_window_can_fill_it():
    """Worked by hand (budget 100, window 4): the head, then the subset of the window that fills
    the rest exactly, among equal fills the older one (pack 2 takes 55, not 35 + 20)."""
    packer = _stream_packer([70, 45, 30, 55, 25, 35, 20, 80, 40], budget=100, window=4, tail=50)
    packs = [packer.next_pack() for _ in range(5)]
    assert [sorted(item.row for item in pack) for pack in packs] == [
        [0, 2], [1, 3], [4, 5, 8], [6, 7], [9, 10],
    ]  # fmt: skip
    assert [sum(item.tokens for item in pack) for pack in packs] == [100] * 5


def test_a_sample_best_fit_passes_over_goes_into_the_pack_where_it_is_the_oldest():
    """50-token samples pair up exactly; best fit alone would leave the 60-token one (row 2) in the
    window for ever."""
    packer = _stream_packer([50, 50, 60], budget=100, window=4, tail=50)
    packs = [sorted(item.row for item in packer.next_pack()) for _ in range(4)]
    assert packs == [[0, 1], [2], [3, 4], [5, 6]]


def test_no_sample_waits_more_packs_than_its_place_in_the_window():
    """Each pack takes the window's oldest sample, so the sample at place k (0 = oldest) is in one
    of the next k + 1 packs."""
    sizes = np.random.default_rng(0).integers(1, 101, 2000).tolist()
    packer = _stream_packer(sizes, budget=100, window=16)
    packer.next_pack()  # fills the window
    windows, packed_in = [], {}
    for index in range(100):
        windows.append([item.row for item in packer.buffer])
        packed_in |= {item.row: index for item in packer.next_pack()}
    late = [
        (row, place, packed_in.get(row))
        for index, window in enumerate(windows)
        for place, row in enumerate(window)
        if index + place < len(windows) and packed_in.get(row, len(windows)) > index + place
    ]
    assert not late, late[:5]


@pytest.mark.parametrize("weights", [{"t2i": 1.0}, {"t2i": 0.6, "it2i": 0.4}])
def test_packs_fill_at_least_98_percent_of_the_budget(curated, tiny, weights):
    packer, _ = _shapes_packer(curated, tiny, weights, budget=1024)
    packs = [packer.next_pack() for _ in range(100)]
    fills = [sum(item.tokens for item in pack) / 1024 for pack in packs]
    assert all(f <= 1.0 for f in fills)
    assert np.mean(fills) >= MIN_FILL
    assert all({item.task for item in pack} == set(weights) for pack in packs)


def test_realised_task_mix_over_10000_packed_samples_matches_the_weights():
    rng = np.random.default_rng(0)
    weights = {"t2i": 0.5, "it2i": 0.3, "it2t": 0.2}
    lengths = {"t2i": (100, 300), "it2i": (250, 600), "it2t": (50, 900)}
    rows, tokens = {}, []
    for task, (lo, hi) in lengths.items():
        rows[task] = np.arange(len(tokens), len(tokens) + 500)
        tokens += rng.integers(lo, hi, 500).tolist()
    mixer = TaskMixer(rows, weights, seed=1)
    packer = BestFitPacker(mixer.draw, lambda d: tokens[d.row], 4096, 1024, 128, mixer.tasks)
    seen: Counter = Counter()
    while sum(seen.values()) < MIX_SAMPLES:
        seen.update(item.task for item in packer.next_pack())
    total = sum(seen.values())
    for task, weight in weights.items():
        assert abs(seen[task] / total - weight) < MIX_TOLERANCE, (task, seen[task] / total)


def test_mixer_visits_every_row_once_per_epoch():
    rows = {"t2i": np.arange(10), "it2i": np.arange(10, 15)}
    mixer = TaskMixer(rows, {"t2i": 2.0, "it2i": 1.0}, seed=3)
    drawn = [mixer.draw()[1] for _ in range(15)]
    assert sorted(drawn) == list(range(15))


def _planner(tokens, world, micro, seed=0):
    rows = {"t2i": np.arange(len(tokens))}
    mixer = TaskMixer(rows, {"t2i": 1.0}, seed)
    packer = BestFitPacker(mixer.draw, lambda d: tokens[d.row], 512, 512, 32, ["t2i"])
    return Planner(mixer, packer, lambda d: tokens[d.row] + tokens[d.row] ** 2 / 4096, world, micro)


def test_ranks_split_the_packs_of_the_single_rank_plan_with_balanced_cost():
    tokens = np.random.default_rng(0).integers(20, 200, 400).tolist()
    single, double = _planner(tokens, 1, 4), _planner(tokens, 2, 2)
    for _ in range(5):
        (one,) = single.next_step()
        ranks = double.next_step()
        assert sorted(p.index for r in ranks for p in r) == [p.index for p in one]
        by_index = {p.index: [i.row for i in p.items] for p in one}
        for rank in ranks:
            assert len(rank) == 2
            for pack in rank:
                assert [i.row for i in pack.items] == by_index[pack.index]
        loads = [sum(p.cost for p in rank) for rank in ranks]
        assert max(loads) <= min(loads) + max(p.cost for p in one)


def test_planner_state_resumes_the_exact_same_rows():
    tokens = np.random.default_rng(1).integers(20, 200, 300).tolist()
    straight = _planner(tokens, 2, 2)
    plan = [straight.next_step() for _ in range(12)]
    first = _planner(tokens, 2, 2)
    for _ in range(5):
        first.next_step()
    resumed = _planner(tokens, 2, 2)
    resumed.load_state_dict(first.state_dict())

    def rows(step):
        return [[i.row for p in rank for i in p.items] for rank in step]

    assert [rows(resumed.next_step()) for _ in range(7)] == [rows(s) for s in plan[5:]]


def test_loader_resume_repeats_and_skips_no_sample(curated, tiny):
    cfg = stage_config("pre2")
    cfg.data.manifests = [str(curated)]
    cfg.data.resolution, cfg.data.token_budget, cfg.data.max_sample_tokens = RESOLUTION, 768, 768
    cfg.data.buffer_size, cfg.data.workers = 8, 2
    loader = build_joint_data(cfg, tiny, rank=0, world=1)
    straight = [loader.next() for _ in range(6)]
    loader.close()
    first = build_joint_data(cfg, tiny, rank=0, world=1)
    for _ in range(3):
        first.next()
    state = first.state_dict()
    first.close()
    resumed = build_joint_data(cfg, tiny, rank=0, world=1)
    resumed.load_state_dict(state)
    rest = [resumed.next() for _ in range(3)]
    resumed.close()
    assert [s.step for s in rest] == [3, 4, 5]
    for a, b in zip(straight[3:], rest, strict=True):
        assert [m.rows for m in a.micro] == [m.rows for m in b.micro]
        for ma, mb in zip(a.micro, b.micro, strict=True):
            for sa, sb in zip(ma.samples, mb.samples, strict=True):
                assert sa.input_ids.equal(sb.input_ids) and sa.image.equal(sb.image)


def test_similarity_noise_changes_only_visual_inputs(curated, tiny):
    table = ManifestTable([curated], ["t2i"])
    clean = SequenceBuilder(tiny, RESOLUTION, 0.0, 4).build(table.read(0), seed=5)
    noisy = SequenceBuilder(tiny, RESOLUTION, 0.5, 4).build(table.read(0), seed=5)
    again = SequenceBuilder(tiny, RESOLUTION, 0.5, 4).build(table.read(0), seed=5)
    changed = clean.input_ids != noisy.input_ids
    assert changed.any() and noisy.input_ids.equal(again.input_ids)
    assert clean.image_cond[changed].all()
    assert noisy.targets.equal(clean.targets)


def test_manifest_without_dataset_column_is_rejected_by_name(tmp_path, shapes):
    path = tmp_path / "bare.parquet"
    pl.read_parquet(shapes / "manifest.parquet").write_parquet(path)
    with pytest.raises(ManifestError, match="bare.parquet"):
        ManifestTable([path], ["t2i"])
    assert len(ManifestTable([shapes], ["t2i"])) > 0
