import copy

import torch

from models.backbone import Backbone
from models.config import BackboneConfig
from models.experts import RoutedFFN, route

GEN_START = BackboneConfig().gen_vocab_start


def _ffn(dim: int = 16, hidden: int = 32) -> torch.nn.Module:
    return torch.nn.Sequential(
        torch.nn.Linear(dim, hidden), torch.nn.SiLU(), torch.nn.Linear(hidden, dim)
    )


def test_routed_output_equals_per_token_reference():
    und, gen = _ffn(), _ffn()
    x = torch.randn(3, 7, 16)
    mask = torch.rand(3, 7) < 0.4
    out = route(x, mask, und, gen)
    for b in range(3):
        for i in range(7):
            expert = gen if mask[b, i] else und
            torch.testing.assert_close(out[b, i], expert(x[b, i][None])[0], atol=1e-6, rtol=0)


def test_all_und_and_all_gen_masks_run_both_experts():
    calls = {"und": 0, "gen": 0}
    und, gen = _ffn(), _ffn()
    und.register_forward_hook(lambda *a: calls.__setitem__("und", calls["und"] + 1))
    gen.register_forward_hook(lambda *a: calls.__setitem__("gen", calls["gen"] + 1))
    x = torch.randn(2, 5, 16)
    route(x, torch.zeros(2, 5, dtype=torch.bool), und, gen)
    route(x, torch.ones(2, 5, dtype=torch.bool), und, gen)
    assert calls == {"und": 2, "gen": 2}


def _text_ids(rows: int = 2, length: int = 10) -> torch.Tensor:
    return torch.randint(0, 256, (rows, length))


def test_pack_without_generation_tokens_still_gives_every_expert_a_gradient():
    backbone = Backbone(BackboneConfig(expert_init="random"))
    out = backbone(_text_ids())
    out.last_hidden_state.sum().backward()
    experts = [layer.mlp for layer in backbone.layers if isinstance(layer.mlp, RoutedFFN)]
    assert len(experts) == 2
    for expert in experts:
        for p in expert.gen.parameters():
            assert p.grad is not None and torch.count_nonzero(p.grad) == 0
        assert all(torch.count_nonzero(p.grad) > 0 for p in expert.und.parameters())
    gen_embed = backbone.qwen.model.language_model.embed_tokens.gen.weight
    assert gen_embed.grad is not None


def test_gen_tokens_use_gen_expert_and_embedding_inside_the_backbone():
    backbone = Backbone(BackboneConfig(expert_init="copy")).eval()
    ids = torch.cat([_text_ids(1, 6), torch.randint(GEN_START, GEN_START + 50, (1, 4))], 1)
    before = backbone(ids).last_hidden_state
    with torch.no_grad():
        for layer in backbone.layers[2:]:
            for p in layer.mlp.gen.parameters():
                p.mul_(1.5)
    after = backbone(ids).last_hidden_state
    # causal: text tokens before the first gen token never see the gen expert
    torch.testing.assert_close(before[:, :6], after[:, :6], atol=0, rtol=0)
    assert (before[:, 6:] - after[:, 6:]).abs().max() > 1e-3


def test_copy_init_experts_equal_understanding_ffn():
    backbone = Backbone(BackboneConfig(expert_init="copy"))
    for layer in backbone.layers[2:4]:
        for (n1, p1), (_, p2) in zip(
            layer.mlp.und.named_parameters(), layer.mlp.gen.named_parameters(), strict=True
        ):
            assert torch.equal(p1, p2), n1


def test_activation_checkpointing_recompute_routes_identically():
    backbone = Backbone(BackboneConfig(expert_init="random"))
    ids = torch.cat([_text_ids(1, 5), torch.randint(GEN_START, GEN_START + 50, (1, 5))], 1)
    reference = copy.deepcopy(backbone)
    reference(ids).last_hidden_state.square().mean().backward()
    backbone.qwen.activation_checkpointing_enable({"use_reentrant": False})
    backbone.train()
    backbone(ids).last_hidden_state.square().mean().backward()
    for (name, p), (_, q) in zip(
        backbone.named_parameters(), reference.named_parameters(), strict=True
    ):
        if q.grad is not None:
            torch.testing.assert_close(p.grad, q.grad, atol=1e-6, rtol=1e-5, msg=name)
