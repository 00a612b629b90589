import json

import torch
from transformers import Qwen3VLConfig, Qwen3VLForConditionalGeneration

from models.config import Mammoth2Config
from models.mammoth2 import Mammoth2
from models.presets import get_config
from tests.models.conftest import randomize_zero_init


def test_config_json_round_trip():
    cfg = get_config("mammoth2")
    assert Mammoth2Config.from_dict(json.loads(json.dumps(cfg.to_dict()))) == cfg


def test_save_and_from_pretrained_round_trip_is_bit_exact(tmp_path):
    model = Mammoth2(get_config("tiny-vae")).eval()
    randomize_zero_init(model.dit)
    model.save_pretrained(tmp_path)
    loaded = Mammoth2.from_pretrained(tmp_path)
    assert loaded.config == model.config
    original, restored = model.state_dict(), loaded.state_dict()
    assert original.keys() == restored.keys()
    assert all(torch.equal(original[k], restored[k]) for k in original)
    for (name, a), (_, b) in zip(model.named_buffers(), loaded.named_buffers(), strict=True):
        assert torch.equal(a, b), name  # non-persistent rotary tables are recomputed
    samples = [model.t2i_sample("a red circle", torch.rand(3, 64, 64) * 2 - 1)]
    out_a = model(model.collate(samples), generator=torch.Generator().manual_seed(3))
    out_b = loaded(loaded.collate(samples), generator=torch.Generator().manual_seed(3))
    assert torch.equal(out_a.ntp_loss_sum, out_b.ntp_loss_sum)
    assert torch.equal(out_a.velocity[0], out_b.velocity[0])


def test_qwen3vl_saved_by_transformers_loads_as_the_backbone(tmp_path):
    cfg = get_config("tiny")
    qwen = Qwen3VLForConditionalGeneration(Qwen3VLConfig.from_dict(cfg.backbone.qwen3vl)).eval()
    qwen.save_pretrained(tmp_path / "qwen")
    cfg.backbone.pretrained = str(tmp_path / "qwen")
    model = Mammoth2.from_config(cfg).eval()
    ids = torch.randint(0, 256, (1, 12))
    with torch.no_grad():
        expected = qwen.model(input_ids=ids).last_hidden_state
        got = model.backbone(ids).last_hidden_state
        torch.testing.assert_close(got, expected, atol=1e-6, rtol=0)
        torch.testing.assert_close(model.backbone.text_logits(got), qwen.lm_head(expected))
    # the generation experts start as copies of the loaded understanding FFN
    layer = model.backbone.layers[cfg.backbone.expert_layers[0]]
    assert torch.equal(layer.mlp.gen.down_proj.weight, layer.mlp.und.down_proj.weight)
    assert model.config.backbone.qwen3vl["text_config"]["hidden_size"] == 64
