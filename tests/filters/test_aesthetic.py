"""The LAION aesthetic head against a numpy evaluation of its weights file, and the operator on a
tiny randomly initialised CLIPModel (projection_dim 768, so the real head applies)."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel

from filters.imageio import decode_rgb
from filters.operators.aesthetic import CLIP_DECODE_SIDE, DEFAULT_HEAD, Aesthetic, AestheticParams
from models.external.aesthetic import AestheticHead
from models.external.clip import l2_normalise

HEAD_SHA256 = "21dd590f3ccdc646f0d53120778b296013b096a035a2718c9cb0d511bff0f1e0"
TINY_SIDE = 32  # px; the tiny CLIP's input size


def numpy_mlp(path: str, x: np.ndarray) -> np.ndarray:
    """The original network, layer by layer in float32 (dropout is identity in eval)."""
    state = torch.load(path, map_location="cpu", weights_only=True)
    for layer in (0, 2, 4, 6, 7):
        w = state[f"layers.{layer}.weight"].numpy()
        b = state[f"layers.{layer}.bias"].numpy()
        x = x @ w.T + b
    return x[:, 0]


def test_head_equals_the_numpy_mlp_of_the_weights_file():
    head = AestheticHead.load(DEFAULT_HEAD)
    assert head.sha256 == HEAD_SHA256
    x = l2_normalise(np.random.default_rng(0).normal(size=(256, 768)).astype(np.float32))
    np.testing.assert_allclose(head.score(x), numpy_mlp(DEFAULT_HEAD, x), atol=1e-4)
    assert 5.0 < head.bias < 5.5  # the documented ~5.24 of an uninformative embedding


@pytest.fixture(scope="module")
def tiny_clip(tmp_path_factory) -> str:
    torch.manual_seed(0)
    config = CLIPConfig(
        text_config={"hidden_size": 32, "intermediate_size": 37, "num_hidden_layers": 2,
                     "num_attention_heads": 2, "vocab_size": 99, "max_position_embeddings": 16},
        vision_config={"hidden_size": 32, "intermediate_size": 37, "num_hidden_layers": 2,
                       "num_attention_heads": 2, "image_size": TINY_SIDE, "patch_size": 8},
        projection_dim=768,
    )  # fmt: skip
    path = tmp_path_factory.mktemp("tiny_clip")
    CLIPModel(config).eval().save_pretrained(path)
    side = {"height": TINY_SIDE, "width": TINY_SIDE}
    CLIPImageProcessor(size={"shortest_edge": TINY_SIDE}, crop_size=side).save_pretrained(path)
    return str(path)


def test_operator_scores_are_the_head_on_normalised_clip_embeddings(tiny_clip, samples):
    chosen = [s for s in samples if s.task == "t2i"][:6]
    op = Aesthetic(AestheticParams(embedder=tiny_clip, device="cpu"))
    op.setup()
    batched = op.run_measure(chosen)
    model = CLIPModel.from_pretrained(tiny_clip).eval()
    processor = CLIPImageProcessor.from_pretrained(tiny_clip)
    pixels = processor(
        images=[decode_rgb(s.images[0], CLIP_DECODE_SIDE) for s in chosen], return_tensors="pt"
    )["pixel_values"]
    with torch.inference_mode():
        feats = model.get_image_features(pixel_values=pixels)
    feats = feats if isinstance(feats, torch.Tensor) else feats.pooler_output
    expected = AestheticHead.load(DEFAULT_HEAD).score(l2_normalise(feats.numpy()))
    np.testing.assert_allclose([s["score"][0] for s in batched], expected, atol=1e-4)
    one_by_one = [op.run_measure([s])[0]["score"][0] for s in chosen]
    np.testing.assert_allclose(one_by_one, expected, atol=1e-4)
    threshold = float(np.median(expected))
    strict = Aesthetic(AestheticParams(min_score=threshold, embedder=tiny_clip))
    verdicts = [strict.decide(s) for s in batched]
    assert [v is None for v in verdicts] == list(expected >= threshold)
    assert {v[0] for v in verdicts if v} == {"low_aesthetic"}


def test_a_clip_of_the_wrong_width_is_refused(tmp_path):
    config = CLIPConfig(
        text_config={"hidden_size": 16, "intermediate_size": 16, "num_hidden_layers": 1,
                     "num_attention_heads": 2, "vocab_size": 50},
        vision_config={"hidden_size": 16, "intermediate_size": 16, "num_hidden_layers": 1,
                       "num_attention_heads": 2, "image_size": 16, "patch_size": 8},
        projection_dim=64,
    )  # fmt: skip
    CLIPModel(config).save_pretrained(tmp_path)
    CLIPImageProcessor().save_pretrained(tmp_path)
    with pytest.raises(ValueError, match="needs 768"):
        Aesthetic(AestheticParams(embedder=str(tmp_path))).setup()
