import numpy as np
import pytest
import torch
from PIL import Image

from models.config import IGNORE_INDEX
from models.generate import generate_visual_tokens
from models.mammoth2 import Mammoth2
from models.presets import get_config
from models.samples import image_scaffold_ids, image_string_length, t2i_prompt_ids
from tests.models.conftest import randomize_zero_init

IMAGE = torch.rand(3, 64, 64) * 2 - 1


def _mixed_samples(model: Mammoth2) -> list:
    pil = Image.fromarray((np.random.default_rng(0).random((64, 64, 3)) * 255).astype("uint8"))
    question = [{"type": "image", "image": pil}, {"type": "text", "text": "What shape?"}]
    return [
        model.t2i_sample("a red circle", IMAGE),
        model.t2i_sample("two blue squares", IMAGE, with_visual_tokens=False),
        model.edit_sample(IMAGE, "make it green", IMAGE.flip(-1)),
        model.chat_sample([{"role": "user", "content": question}], "a circle"),
    ]


def test_t2i_sample_layout(tiny):
    sample = tiny.t2i_sample("a red circle", IMAGE)
    h, w = tiny.config.generation.ar_grid
    answer = image_string_length(tiny, (h, w))
    scaffold = tiny.text_tokenizer.decode(sample.input_ids[-answer:].tolist())
    assert scaffold.startswith(f"{h}*{w}")  # the size as text after <|image start|>
    ids = sample.input_ids.tolist()
    layout = tiny.layout
    assert ids[-answer] == layout.special("image_start")
    assert ids[-2:] == [layout.special("endoffile"), layout.special("image_end")]
    assert tiny.text_tokenizer.decode(ids[:-answer]).startswith(
        "system\nYou are a helpful image generator."
    )
    size_text = len(tiny.text_tokenizer.encode(f"{h}*{w}"))
    assert int(sample.image_cond.sum()) == answer - size_text  # the answer's generation ids
    n_prompt = len(sample.input_ids) - answer
    torch.testing.assert_close(sample.targets[n_prompt - 1 : -1], sample.input_ids[n_prompt:])
    assert int((sample.targets != IGNORE_INDEX).sum()) == answer
    eol = tiny.layout.special("endofline")
    assert int((sample.input_ids == eol).sum()) == h
    assert not (sample.text_cond & sample.image_cond).any()


def test_packed_and_padded_forward_agree(tiny):
    model = Mammoth2(get_config("tiny"))
    randomize_zero_init(model.dit)
    samples = _mixed_samples(model)
    packed = model(model.collate(samples), generator=torch.Generator().manual_seed(1))
    padded = model(model.collate(samples, padded=True), generator=torch.Generator().manual_seed(1))
    assert packed.ntp_tokens == padded.ntp_tokens > 0
    assert packed.fm_samples == padded.fm_samples == 3
    torch.testing.assert_close(packed.ntp_loss_sum, padded.ntp_loss_sum, atol=1e-4, rtol=1e-5)
    for a, b in zip(packed.velocity, padded.velocity, strict=True):
        torch.testing.assert_close(a, b, atol=1e-5, rtol=0)


def test_training_lowers_the_loss_on_a_fixed_batch():
    model = Mammoth2(get_config("tiny"))
    batch = model.collate(_mixed_samples(model))
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    losses = []
    for step in range(12):
        out = model(batch, generator=torch.Generator().manual_seed(step % 2))
        opt.zero_grad()
        out.loss().backward()
        opt.step()
        losses.append(float(out.loss().detach()))
    assert losses[-1] < 0.7 * losses[0], losses


def test_generate_images_returns_seeded_pil_images(tiny):
    images = tiny.generate_images(["a red circle", "a square"], num_steps=2, seed=5)
    again = tiny.generate_images(["a red circle", "a square"], num_steps=2, seed=5)
    assert [im.size for im in images] == [(64, 64), (64, 64)]
    assert all(
        np.array_equal(np.asarray(a), np.asarray(b)) for a, b in zip(images, again, strict=True)
    )
    without_ar = tiny.generate_images(["a red circle"], num_steps=2, use_ar=False, sampler="heun")
    assert without_ar[0].size == (64, 64)


def test_generate_images_with_a_vae_preset():
    model = Mammoth2(get_config("tiny-vae")).eval()
    [image] = model.generate_images(["a circle"], num_steps=1, height=32, width=48)
    assert image.size == (48, 32)


def test_ar_grid_structure_and_left_padding_does_not_change_tokens(tiny):
    scaffold = image_scaffold_ids(tiny, tiny.config.generation.ar_grid)
    prompts = [t2i_prompt_ids(tiny, p) + scaffold for p in ("hi", "a longer prompt")]
    negative = t2i_prompt_ids(tiny, "") + scaffold
    batch = generate_visual_tokens(tiny, prompts, [negative] * 2, guidance=3.0, temperature=0)
    alone = generate_visual_tokens(tiny, prompts[:1], [negative], guidance=3.0, temperature=0)
    assert torch.equal(batch[:1], alone)
    h, w = tiny.config.generation.ar_grid
    grid = batch.view(2, h, w + 1)
    assert (grid[:, :, w] == tiny.layout.special("endofline")).all()
    codes = tiny.layout.codes(grid[:, :, :w])
    assert ((codes >= 0) & (codes < tiny.config.mammothtok.codebook_size)).all()


def test_edit_keeps_the_source_size(tiny):
    source = Image.fromarray(np.zeros((40, 72, 3), dtype=np.uint8))
    [edited] = tiny.edit([source], ["make it red"], num_steps=2)
    assert edited.size == (72, 40)


def test_chat_answers_with_text(tiny):
    image = Image.fromarray(np.zeros((64, 64, 3), dtype=np.uint8))
    content = [{"type": "image", "image": image}, {"type": "text", "text": "What is this?"}]
    answer = tiny.chat([{"role": "user", "content": content}], max_new_tokens=4)
    assert isinstance(answer, str) and len(answer.encode()) <= 4 * 4


def test_chat_answers_what_training_taught_it_about_each_image():
    """Training sequences (chat_sample) and chat() agree on template, vision inputs and stop."""
    torch.manual_seed(0)
    model = Mammoth2(get_config("tiny"))
    colours = {"red": (220, 20, 20), "blue": (30, 60, 220)}
    conversations = {
        name: [
            {
                "role": "user",
                "content": [
                    {"type": "image", "image": Image.new("RGB", (64, 64), rgb)},
                    {"type": "text", "text": "Which colour?"},
                ],
            }
        ]
        for name, rgb in colours.items()
    }
    batch = model.collate([model.chat_sample(c, a) for a, c in conversations.items()])
    opt = torch.optim.AdamW(model.parameters(), lr=3e-3)
    for _ in range(80):
        out = model(batch)
        opt.zero_grad()
        out.loss().backward()
        opt.step()
    model.eval()
    assert {a: model.chat(c, max_new_tokens=12) for a, c in conversations.items()} == {
        "red": "red",
        "blue": "blue",
    }


def test_flow_prediction_decides_what_the_dit_output_means():
    """A fresh DiT outputs zeros: as a velocity that is v = 0; as data, x1 = 0 so v = -x_t/(1-t)."""
    x_t, t = [torch.randn(3, 64, 64)], torch.tensor([0.25])
    cfg = get_config("tiny")
    assert cfg.flow.prediction == "data"
    model = Mammoth2(cfg)
    cond = [torch.randn(4, cfg.dit.hidden)]
    torch.testing.assert_close(model.velocity(x_t, t, cond)[0], -x_t[0] / 0.75)
    model.config.flow.prediction = "velocity"
    assert torch.count_nonzero(model.velocity(x_t, t, cond)[0]) == 0
    model.config.flow.prediction = "noise"
    with pytest.raises(ValueError, match="flow.prediction 'noise'"):
        model.velocity(x_t, t, cond)
