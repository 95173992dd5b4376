"""The self-supervised image encoder: shapes, layouts, determinism, RNG neutrality, that brief
training separates two kinds of shapes, and clear errors."""

from __future__ import annotations

import numpy as np
import pytest

import activelab
from activelab import InvalidInputError

from ._shapes import shapes

torch = pytest.importorskip("torch")

FAST = {"epochs": 2}


@pytest.fixture(scope="module")
def images():
    return shapes(200, 16, seed=0)


def cosine_gap(E, kind) -> float:
    """Mean cosine similarity within a kind minus across kinds."""
    Z = E / np.linalg.norm(E, axis=1, keepdims=True).clip(1e-9)
    S = Z @ Z.T
    same = kind[:, None] == kind[None, :]
    np.fill_diagonal(same, False)
    return float(S[same].mean() - S[~(kind[:, None] == kind[None, :])].mean())


def test_shape_dtype_and_determinism(images):
    X, _ = images
    np_state, torch_state = np.random.get_state()[1].copy(), torch.get_rng_state()
    E = activelab.embed(X, method="ssl", random_state=3, **FAST)
    assert E.shape == (200, 128) and E.dtype == np.float32 and np.isfinite(E).all()
    assert np.array_equal(E, activelab.embed(X, method="ssl", random_state=3, **FAST))
    assert not np.array_equal(E, activelab.embed(X, method="ssl", random_state=4, **FAST))
    assert torch.equal(torch_state, torch.get_rng_state()), "the global torch RNG moved"
    assert np.array_equal(np_state, np.random.get_state()[1]), "the global NumPy RNG moved"
    gen = np.random.default_rng(0)
    assert activelab.embed(X, method="ssl", random_state=gen, embed_dim=16, **FAST).shape == (200, 16)


def test_every_layout_gives_the_same_embedding(images):
    X, _ = images
    X = X[:64]
    ref = activelab.embed(X, method="ssl", random_state=0, epochs=1)
    for layout in (X[:, None], X[..., None], X.reshape(64, -1), X.astype(np.float32) / 255):
        np.testing.assert_allclose(activelab.embed(layout, method="ssl", random_state=0, epochs=1),
                                   ref, atol=1e-5)


def test_brief_training_separates_two_kinds_of_shapes(images):
    """Untrained, the encoder's within-kind cosine exceeds the across-kind one by ~0.02; after
    20 short epochs by 0.24–0.30 (seeds 0–3); 0.1 leaves a wide margin either side."""
    X, kind = images
    E = activelab.embed(X, method="ssl", random_state=0, epochs=20)
    assert cosine_gap(E, kind) > 0.1


def test_rgb_and_resize(images):
    X, _ = images
    rgb = np.repeat(X[:40, None], 3, axis=1)
    E = activelab.embed(rgb, method="ssl", random_state=0, epochs=1, image_size=8, flip=False,
                        crop_scale=(0.8, 1.0), noise=0.0, width=8, embed_dim=32)
    assert E.shape == (40, 32)


@pytest.mark.parametrize("data, message", [
    (np.zeros((10, 15)), "not a square side"),
    (np.zeros((10, 8, 9)), "must be square; got 8×9"),
    (np.zeros((10, 2, 8, 8)), "neither 1 nor 3 channels"),
    (np.zeros(64), "expected images as"),
    (np.zeros((10, 4, 4)), "at least 8×8"),
    (np.zeros((1, 8, 8)), "at least 2 images"),
    (np.full((4, 8, 8), np.nan), "NaN or infinite"),
    (np.array([["a"] * 64] * 3), "must be numeric"),
])
def test_bad_image_arrays_are_clear_errors(data, message):
    with pytest.raises(InvalidInputError, match=message):
        activelab.embed(data, method="ssl", epochs=1)


@pytest.mark.parametrize("options, message", [
    ({"epoch": 3}, "unknown option.*epoch.*known:.*epochs"),
    ({"epochs": 0}, "epochs must be an integer >= 1"),
    ({"batch_size": 1}, "batch_size must be an integer >= 2"),
    ({"temperature": 0}, "temperature must be a positive number"),
    ({"crop_scale": (0.9, 0.5)}, "crop_scale"),
    ({"image_size": 100}, "image_size must be an integer between 8 and 64"),
    ({"random_state": -1}, "random_state"),
])
def test_bad_options_are_clear_errors(images, options, message):
    with pytest.raises(InvalidInputError, match=message):
        activelab.embed(images[0][:8], method="ssl", **options)


def _write_pngs(folder, X, mode="L"):
    from PIL import Image

    folder.mkdir(parents=True, exist_ok=True)
    for i, img in enumerate(X):
        Image.fromarray(img).convert(mode).save(folder / f"{i:03d}.png")


def test_folder_of_images(tmp_path, images):
    pytest.importorskip("PIL")
    X, _ = images
    _write_pngs(tmp_path / "imgs" / "a", X[:12])
    _write_pngs(tmp_path / "imgs" / "b", X[12:20])
    (tmp_path / "imgs" / ".DS_Store").write_text("hidden files are skipped")
    from activelab.embeddings import list_image_files, load_image_files

    files = list_image_files(tmp_path / "imgs")
    assert [f.relative_to(tmp_path / "imgs").as_posix() for f in files][:2] == ["a/000.png", "a/001.png"]
    gray = load_image_files(files, image_size=16)
    assert gray.shape == (20, 1, 16, 16) and 0 <= gray.min() and gray.max() <= 1
    np.testing.assert_allclose(gray[:, 0] * 255, X[:20], atol=1)
    assert load_image_files(files, image_size=8, color="rgb").shape == (20, 3, 8, 8)
    E = activelab.embed(tmp_path / "imgs", method="ssl", image_size=16, random_state=0, epochs=1)
    assert E.shape == (20, 128)


def test_folder_errors(tmp_path, images):
    pytest.importorskip("PIL")
    X, _ = images
    _write_pngs(tmp_path / "imgs", X[:4], mode="RGB")
    (tmp_path / "imgs" / "notes.txt").write_text("not an image")
    with pytest.raises(InvalidInputError, match="'notes.txt' .* is not a PNG/JPEG image"):
        activelab.embed(tmp_path / "imgs", method="ssl", epochs=1)
    (tmp_path / "imgs" / "notes.txt").unlink()
    (tmp_path / "imgs" / "broken.png").write_bytes(b"definitely not a PNG")
    with pytest.raises(InvalidInputError, match="cannot read image .*broken.png"):
        activelab.embed(tmp_path / "imgs", method="ssl", epochs=1)
    (tmp_path / "empty").mkdir()
    with pytest.raises(InvalidInputError, match="holds no images"):
        activelab.embed(tmp_path / "empty", method="ssl")
    with pytest.raises(InvalidInputError, match="cannot tell what"):
        activelab.embed(tmp_path / "imgs" / "000.png", method="ssl")


def test_npy_and_npz_files(tmp_path, images):
    X, _ = images
    np.save(tmp_path / "x.npy", X[:16])
    np.savez(tmp_path / "x.npz", X=X[:16], y=np.zeros(16))
    a = activelab.embed(tmp_path / "x.npy", method="ssl", random_state=0, epochs=1)
    b = activelab.embed(tmp_path / "x.npz", method="ssl", random_state=0, epochs=1)
    assert a.shape == (16, 128) and np.array_equal(a, b)
    np.savez(tmp_path / "two.npz", a=X[:4], b=X[:4])
    with pytest.raises(InvalidInputError, match="name the images 'X'"):
        activelab.embed(tmp_path / "two.npz", method="ssl")
