import torch

from models.presets import get_config
from models.vae import ImageAutoencoder


def test_autoencoder_kl_latents_are_normalised_and_decodable():
    cfg = get_config("tiny-vae").vae
    vae = ImageAutoencoder(cfg).eval()
    assert vae.downsample == 2 and vae.channels == 16
    images = torch.rand(2, 3, 32, 48) * 2 - 1
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        z = vae.encode(images, g)
        raw = vae.kl.encode(images).latent_dist.sample(torch.Generator().manual_seed(0))
        assert z.shape == (2, 16, 16, 24)
        torch.testing.assert_close(z, (raw - cfg.shift_factor) * cfg.scaling_factor)
        decoded = vae.decode(z)
        torch.testing.assert_close(decoded, vae.kl.decode(raw).sample, atol=1e-5, rtol=1e-4)
    assert decoded.shape == images.shape


def test_pixel_space_is_the_identity():
    vae = ImageAutoencoder(get_config("tiny").vae)
    x = torch.randn(1, 3, 8, 8)
    assert vae.encode(x) is x and vae.decode(x) is x and vae.channels == 3
