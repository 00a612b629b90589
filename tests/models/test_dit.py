import torch

from models.config import DiTConfig
from models.dit import DiT, DiTBlock, patchify, unpatchify
from models.rope import apply_rope, rope_angles, sequence_positions
from models.streams import make_stream
from tests.models.conftest import randomize_zero_init

CFG = DiTConfig(patch_size=4)  # small grids of mixed sizes


def _inputs():
    x_t = [torch.randn(3, 16, 16), torch.randn(3, 8, 12), torch.randn(3, 12, 8)]
    t = torch.tensor([0.1, 0.5, 0.9])
    cond = [torch.randn(5, CFG.hidden), torch.randn(2, CFG.hidden), torch.randn(7, CFG.hidden)]
    refs = [[torch.randn(3, 8, 8)], [], [torch.randn(3, 4, 8), torch.randn(3, 8, 4)]]
    return x_t, t, cond, refs


def test_fresh_dit_outputs_exactly_zero():
    x_t, t, cond, refs = _inputs()
    for out in DiT(CFG)(x_t, t, cond, refs):
        assert torch.count_nonzero(out) == 0


def test_fresh_modulated_block_is_identity():
    block = DiTBlock(CFG, modulated=True)
    block.init_weights()
    x = torch.randn(6, CFG.hidden)
    stream = make_stream([6], [0], padded=False)
    rope = rope_angles(sequence_positions(6, []), CFG.axes_dim)
    torch.testing.assert_close(block(x, stream, rope, torch.randn(1, CFG.hidden)), x)


def test_padding_and_packing_do_not_change_valid_outputs():
    model = DiT(CFG)
    randomize_zero_init(model)
    x_t, t, cond, refs = _inputs()
    with torch.no_grad():
        packed = model(x_t, t, cond, refs)
        padded = model(x_t, t, cond, refs, padded=True)
        alone = [
            model(x_t[i : i + 1], t[i : i + 1], cond[i : i + 1], refs[i : i + 1])[0]
            for i in range(3)
        ]
    for a, b, c in zip(packed, padded, alone, strict=True):
        assert a.abs().mean() > 1e-3
        torch.testing.assert_close(a, b, atol=1e-5, rtol=0)
        torch.testing.assert_close(a, c, atol=1e-5, rtol=0)


def test_condition_changes_output_and_references_matter():
    model = DiT(CFG)
    randomize_zero_init(model)
    x_t, t, cond, refs = _inputs()
    with torch.no_grad():
        base = model(x_t, t, cond, refs)[0]
        other_cond = model(x_t, t, [c + 1 for c in cond], refs)[0]
        no_ref = model(x_t, t, cond, [[], [], []])[0]
    assert (base - other_cond).abs().max() > 1e-3
    assert (base - no_ref).abs().max() > 1e-3


def test_rope_positions_match_reference_layout():
    pos = sequence_positions(3, [(2, 3), (2, 2)])
    expected = torch.tensor(
        [[0, 0, 0], [1, 1, 1], [2, 2, 2]]
        + [[3, r, c] for r in range(2) for c in range(3)]  # first image: offset = cond length
        + [[6, r, c] for r in range(2) for c in range(2)]  # next: offset += max(h, w) = 3
    )
    assert torch.equal(pos, expected)


def test_rope_scores_depend_only_on_relative_position():
    q, k = torch.randn(1, 1, 16), torch.randn(1, 1, 16)
    axes = CFG.axes_dim

    def score(pq, pk):
        rq = rope_angles(torch.tensor([pq]), axes)
        rk = rope_angles(torch.tensor([pk]), axes)
        return (apply_rope(q, rq) * apply_rope(k, rk)).sum()

    torch.testing.assert_close(score([5, 2, 7], [3, 1, 1]), score([12, 4, 9], [10, 3, 3]))
    assert not torch.allclose(score([5, 2, 7], [3, 1, 1]), score([5, 2, 7], [3, 2, 1]))


def test_patchify_round_trip():
    x = torch.randn(3, 8, 12)
    tokens = patchify(x, 4)
    assert tokens.shape == (6, 48)
    assert torch.equal(unpatchify(tokens, (2, 3), 4), x)
