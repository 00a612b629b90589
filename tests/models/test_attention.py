import torch

from models.attention import (
    Packed,
    Padded,
    attend,
    attend_block_diagonal,
    attend_per_segment,
)

LENGTHS = [5, 1, 9, 3]


def _qkv(total: int, heads: int = 4, kv_heads: int = 2, dim: int = 8):
    return (
        torch.randn(total, heads, dim),
        torch.randn(total, kv_heads, dim),
        torch.randn(total, kv_heads, dim),
    )


def test_per_segment_equals_dense_block_diagonal_with_gqa():
    q, k, v = _qkv(sum(LENGTHS))
    layout = Packed.from_lengths(LENGTHS)
    torch.testing.assert_close(
        attend_per_segment(q, k, v, layout, layout),
        attend_block_diagonal(q, k, v, layout),
        atol=1e-6,
        rtol=0,
    )


def test_segments_do_not_see_each_other():
    q, k, v = _qkv(sum(LENGTHS))
    layout = Packed.from_lengths(LENGTHS)
    out = attend(q, k, v, layout)
    k2, v2 = k.clone(), v.clone()
    k2[:5] += 3.0  # change only the first segment's keys and values
    v2[:5] -= 1.0
    out2 = attend(q, k2, v2, layout)
    assert not torch.allclose(out[:5], out2[:5])
    torch.testing.assert_close(out[5:], out2[5:], atol=0, rtol=0)


def test_padded_equals_packed_on_valid_tokens():
    packed_layout = Packed.from_lengths(LENGTHS)
    padded_layout = Padded.from_lengths(LENGTHS)
    q, k, v = _qkv(sum(LENGTHS))
    width = max(LENGTHS)
    grid = [torch.zeros(len(LENGTHS) * width, *t.shape[1:]) for t in (q, k, v)]
    starts = torch.tensor([0, *LENGTHS]).cumsum(0)
    for i, n in enumerate(LENGTHS):
        for g, t in zip(grid, (q, k, v), strict=True):
            g[i * width : i * width + n] = t[starts[i] : starts[i] + n]
    grid[1][~padded_layout.key_mask_BL.reshape(-1)] = 100.0  # garbage in pad keys
    padded = attend(*grid, padded_layout)
    packed = attend(q, k, v, packed_layout)
    for i, n in enumerate(LENGTHS):
        torch.testing.assert_close(
            padded[i * width : i * width + n], packed[starts[i] : starts[i] + n], atol=1e-6, rtol=0
        )


def test_cross_attention_uses_matching_key_segment():
    q_layout, kv_layout = Packed.from_lengths([2, 2]), Packed.from_lengths([3, 4])
    q = torch.randn(4, 2, 8)
    k, v = torch.randn(7, 2, 8), torch.randn(7, 2, 8)
    out = attend(q, k, v, q_layout, kv_layout)
    ref = torch.nn.functional.scaled_dot_product_attention(
        q[2:].transpose(0, 1), k[3:].transpose(0, 1), v[3:].transpose(0, 1)
    ).transpose(0, 1)
    torch.testing.assert_close(out[2:], ref, atol=1e-6, rtol=0)


def test_packed_backbone_equals_separate_sequences_and_uses_the_segment_backend(monkeypatch):
    from models import packed_attention
    from models.backbone import Backbone
    from models.config import BackboneConfig

    backbone = Backbone(BackboneConfig()).eval()
    assert backbone.uses_packed_backend
    seqs = [torch.randint(0, 256, (n,)) for n in (7, 3, 11)]
    seqs[1][1] = BackboneConfig().gen_vocab_start + 9  # a routed generation token
    calls = []
    original = packed_attention.attend
    monkeypatch.setattr(
        packed_attention, "attend", lambda *a, **k: calls.append(1) or original(*a, **k)
    )
    ids = torch.cat(seqs)[None]
    positions = torch.cat([torch.arange(len(s)) for s in seqs]).expand(4, 1, -1)
    layout = Packed.from_lengths([len(s) for s in seqs])
    with torch.no_grad():
        packed = backbone(ids, position_ids=positions, packed=layout).last_hidden_state[0]
        alone = [backbone(s[None]).last_hidden_state[0] for s in seqs]
    assert len(calls) == backbone.num_layers
    torch.testing.assert_close(packed, torch.cat(alone), atol=1e-5, rtol=0)
