import math

import torch

from models.noise import codebook_neighbours, region_noise, similarity_noise

K = 12


def _circle_codebook() -> torch.Tensor:
    angles = torch.arange(K) * 2 * math.pi / K
    return torch.stack([angles.cos(), angles.sin()], -1)


def test_neighbours_on_a_circle_are_the_adjacent_codes():
    neighbours = codebook_neighbours(_circle_codebook(), k=2)
    for i in range(K):
        assert set(neighbours[i].tolist()) == {(i - 1) % K, (i + 1) % K}


def test_similarity_noise_replaces_by_near_neighbours_only():
    neighbours = codebook_neighbours(_circle_codebook(), k=2)
    codes = torch.randint(0, K, (4, 6, 6))
    g = torch.Generator().manual_seed(0)
    noisy = similarity_noise(codes, neighbours, fraction=1.0, generator=g)
    step = (noisy - codes) % K
    assert ((step == 1) | (step == K - 1)).all()
    assert torch.equal(similarity_noise(codes, neighbours, fraction=0.0), codes)
    half = similarity_noise(codes, neighbours, fraction=0.5, generator=g)
    changed = (half != codes).float().mean()
    assert 0.3 < float(changed) < 0.7


def test_region_noise_corrupts_one_rectangle_within_the_area_budget():
    codes = torch.full((8, 10, 10), -1)  # sentinel: any change is visible
    noisy = region_noise(
        codes, codebook_size=K, max_area=0.25, generator=torch.Generator().manual_seed(1)
    )
    for b in range(8):
        rows, cols = torch.nonzero(noisy[b] != -1, as_tuple=True)
        assert 1 <= rows.numel() <= 25
        height = int(rows.max() - rows.min() + 1)
        width = int(cols.max() - cols.min() + 1)
        assert height * width == rows.numel()  # a full rectangle
        assert ((noisy[b][noisy[b] != -1] >= 0) & (noisy[b][noisy[b] != -1] < K)).all()


def test_sample_builder_corrupts_inputs_but_keeps_clean_targets():
    from models.config import IGNORE_INDEX, NoiseConfig
    from models.mammoth2 import Mammoth2
    from models.presets import get_config

    cfg = get_config("tiny")
    cfg.noise = NoiseConfig(similarity_fraction=0.5, region_max_area=0.25)
    model = Mammoth2(cfg)
    image = torch.rand(3, 64, 64) * 2 - 1
    clean = model.t2i_sample("a circle", image)
    noisy = model.t2i_sample("a circle", image, generator=torch.Generator().manual_seed(0))
    assert torch.equal(clean.targets, noisy.targets)
    changed = clean.input_ids != noisy.input_ids
    assert changed.any()
    assert (noisy.input_ids[changed] >= model.layout.visual_start).all()  # only visual tokens
    eol = model.layout.special("endofline")
    assert torch.equal(clean.input_ids == eol, noisy.input_ids == eol)
    targets = clean.targets[clean.targets != IGNORE_INDEX]
    text = targets[targets < model.layout.gen_start].tolist()  # only the grid size, "8*8"
    assert model.text_tokenizer.decode(text) == "{}*{}".format(*cfg.generation.ar_grid)
