"""The mask2former GenEval detector with tiny random transformers models of the real classes:
Mask2Former instances, the CLIP colour classifier's exact preprocessing and text classifier."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from PIL import Image
from transformers import (
    CLIPConfig,
    CLIPImageProcessor,
    CLIPModel,
    CLIPTokenizer,
    Mask2FormerConfig,
    Mask2FormerForUniversalSegmentation,
    Mask2FormerImageProcessor,
    SwinConfig,
)

from evaluation.geneval.__main__ import main
from evaluation.geneval.colors import BACKGROUND, ClipColorClassifier, color_crop, color_prompts
from evaluation.geneval.layout import sample_path, write_prompt_metadata
from evaluation.geneval.mask2former import object_names
from evaluation.geneval.metadata import COLORS, load_metadata
from evaluation.geneval.scorer import THRESHOLD
from models.external.clip import clip_embedder
from models.external.mask2former import Mask2FormerDetector, mask_box


@pytest.fixture(scope="module")
def tiny_clip(tmp_path_factory):
    d = tmp_path_factory.mktemp("clip")
    chars = list("abcdefghijklmnopqrstuvwxyz-")
    vocab = {c: i for i, c in enumerate(chars + [c + "</w>" for c in chars])}
    vocab |= {"<|startoftext|>": len(vocab), "<|endoftext|>": len(vocab) + 1}
    (d / "vocab.json").write_text(json.dumps(vocab))
    (d / "merges.txt").write_text("#version: 0.2\n")
    CLIPTokenizer(str(d / "vocab.json"), str(d / "merges.txt")).save_pretrained(d)
    eos, bos = vocab["<|endoftext|>"], vocab["<|startoftext|>"]
    text = dict(
        vocab_size=len(vocab),
        hidden_size=16,
        intermediate_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        eos_token_id=eos,
        bos_token_id=bos,
        pad_token_id=eos,
    )
    vision = dict(
        hidden_size=16,
        intermediate_size=32,
        num_hidden_layers=1,
        num_attention_heads=2,
        image_size=32,
        patch_size=8,
    )
    torch.manual_seed(0)
    CLIPModel(CLIPConfig(text_config=text, vision_config=vision, projection_dim=8)).save_pretrained(
        d
    )
    CLIPImageProcessor(
        size={"shortest_edge": 32}, crop_size={"height": 32, "width": 32}
    ).save_pretrained(d)
    return d


@pytest.fixture(scope="module")
def tiny_mask2former(tmp_path_factory):
    d = tmp_path_factory.mktemp("m2f")
    backbone = SwinConfig(
        image_size=64,
        patch_size=4,
        embed_dim=16,
        depths=[1, 1, 1, 1],
        num_heads=[1, 1, 1, 1],
        window_size=4,
        out_features=["stage1", "stage2", "stage3", "stage4"],
    )
    config = Mask2FormerConfig(
        backbone_config=backbone,
        num_labels=80,
        hidden_dim=32,
        num_queries=10,
        encoder_layers=1,
        decoder_layers=2,
        mask_feature_size=32,
        feature_size=32,
        dim_feedforward=64,
        encoder_feedforward_dim=64,
        num_attention_heads=2,
    )
    torch.manual_seed(0)
    model = Mask2FormerForUniversalSegmentation(config)
    with torch.no_grad():  # a random head scores every instance ~1/81, below GenEval's 0.3
        model.class_predictor.bias[object_names().index("dog")] = 10.0
    model.save_pretrained(d)
    Mask2FormerImageProcessor(size={"shortest_edge": 64, "longest_edge": 128}).save_pretrained(d)
    return d


def test_color_prompts_and_crop():
    assert color_prompts("apple")[0] == [
        "a photo of a red apple",
        "a photo of a red-colored apple",
        "a photo of a red object",
    ]
    assert color_prompts("apple")[1][0] == "a photo of a orange apple"  # always "a"
    image = Image.new("RGB", (10, 10), (255, 0, 0))
    mask = np.zeros((10, 10), bool)
    mask[2:6, 2:6] = True
    crop = color_crop(image, (1.5, 2.5, 6.5, 6.0), mask)  # rounds half to even: (2, 2, 6, 6)
    assert crop.size == (4, 4) and crop.getpixel((0, 0)) == (255, 0, 0)
    crop = color_crop(image, (0, 0, 8, 8), mask)
    assert crop.getpixel((7, 7)) == BACKGROUND and crop.getpixel((3, 3)) == (255, 0, 0)


def test_clip_color_classifier(tiny_clip):
    clf = ClipColorClassifier(str(tiny_clip), "cpu")
    assert clf.embedder is clip_embedder(str(tiny_clip), "cpu")  # the shared, cached loader
    table = clf.classifier("dog")
    assert table.shape[0] == len(COLORS)
    assert np.allclose(np.linalg.norm(table, axis=-1), 1.0, atol=1e-5)
    # Reference computed with transformers directly: averaged, renormalised template embeddings.
    model = CLIPModel.from_pretrained(tiny_clip).eval()
    tokenizer = CLIPTokenizer.from_pretrained(tiny_clip)
    tokens = tokenizer(color_prompts("dog")[0], padding=True, return_tensors="pt")
    with torch.no_grad():
        emb = model.get_text_features(**tokens)
    emb = emb if isinstance(emb, torch.Tensor) else emb.pooler_output
    emb = emb / emb.norm(dim=-1, keepdim=True)
    mean = emb.mean(dim=0)
    assert np.allclose(table[0], (mean / mean.norm()).numpy(), atol=1e-5)
    image = Image.new("RGB", (40, 40), (0, 0, 255))
    pixels = CLIPImageProcessor.from_pretrained(tiny_clip)(images=image, return_tensors="pt")
    with torch.no_grad():
        feature = model.get_image_features(**pixels)
    feature = feature if isinstance(feature, torch.Tensor) else feature.pooler_output
    feature = feature / feature.norm(dim=-1, keepdim=True)
    expected = COLORS[int((100 * feature.numpy() @ table.T)[0].argmax())]
    assert clf.classify(image, "dog", (0, 0, 40, 40), None) == expected


def test_mask2former_detector_and_geneval_cli(tiny_mask2former, tiny_clip, tmp_path):
    detector = Mask2FormerDetector(str(tiny_mask2former), "cpu")
    image = Image.new("RGB", (80, 64), (30, 200, 30))
    instances = detector.detect(image)
    assert 0 < len(instances) <= 10
    for inst in instances:
        assert inst.mask.shape == (64, 80) and 0 <= inst.label_id < 80
        assert inst.box == mask_box(inst.mask)
    assert len(object_names()) == 80
    line = {"tag": "single_object", "include": [{"class": "dog", "count": 1}], "prompt": "a dog"}
    (tmp_path / "m.jsonl").write_text(json.dumps(line) + "\n")
    run_dir = tmp_path / "res" / "r" / "geneval"
    write_prompt_metadata(run_dir / "outputs", load_metadata(tmp_path / "m.jsonl")[0])
    image.save(sample_path(run_dir / "outputs", 0, 0))
    halves = Image.new("RGB", (64, 64), (220, 20, 20))
    halves.paste((30, 60, 220), (32, 0, 64, 64))
    halves.save(sample_path(run_dir / "outputs", 0, 1))
    argv = [
        "--stage",
        "score",
        "--detector",
        "mask2former",
        "--detector-model",
        str(tiny_mask2former),
        "--clip-model",
        str(tiny_clip),
        "--out",
        str(tmp_path / "res"),
        "--run",
        "r",
        "--no-progress",
    ]
    assert main(argv) == 0
    records = [json.loads(x) for x in (run_dir / "detections.jsonl").read_text().splitlines()]
    assert [r["image"] for r in records] == ["00000/samples/00000.png", "00000/samples/00001.png"]
    colors, names = ClipColorClassifier(str(tiny_clip), "cpu"), object_names()
    for record in records:  # each recorded detection is the detector's own, colour included
        saved = Image.open(run_dir / "outputs" / record["image"]).convert("RGB")
        expected = []
        for inst in detector.detect(saved):
            label = names[inst.label_id]
            above = inst.score > THRESHOLD
            color = colors.classify(saved, label, inst.box, inst.mask) if above else None
            expected.append({"label": label, "score": inst.score, "box": list(inst.box),
                             "color": color})  # fmt: skip
        assert record["detections"] == expected
        assert any(d["color"] for d in expected)  # the colours were compared
    assert json.loads((run_dir / "run.json").read_text())["judge"]["detector"] == "mask2former"
    assert json.loads((run_dir / "scores.json").read_text())["overall"] == 1.0  # dogs above 0.3


def test_mask_box():
    mask = np.zeros((5, 6), bool)
    mask[1:3, 2:5] = True
    assert mask_box(mask) == (2.0, 1.0, 5.0, 3.0)
    assert mask_box(np.zeros((3, 3), bool)) == (0.0, 0.0, 0.0, 0.0)
