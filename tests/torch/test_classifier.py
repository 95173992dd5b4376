"""TorchClassifier: scikit-learn conventions, determinism, MC dropout, embeddings, bad input."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

torch = pytest.importorskip("torch")

from sklearn.base import clone  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402

import activelab  # noqa: E402
from activelab import UNLABELED  # noqa: E402
from activelab.loop import build_context  # noqa: E402
from activelab.strategies import make_strategy  # noqa: E402
from activelab.torch import TorchClassifier  # noqa: E402


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return (X / 16.0).astype(np.float32), y


@pytest.fixture(scope="module")
def fitted_cnn(digits):
    X, y = digits
    return TorchClassifier("cnn", epochs=3, random_state=0).fit(X[:300], y[:300])


def test_import_activelab_does_not_import_torch():
    code = "import sys, activelab, activelab.models; print('torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_get_params_and_clone_round_trip():
    est = TorchClassifier("mlp", module_params={"hidden": (16,)}, epochs=3, lr=0.01, random_state=4)
    twin = clone(est)
    assert twin.get_params() == est.get_params()
    assert twin.module_params is not est.module_params or est.module_params == twin.module_params
    assert "epochs=3" in repr(est)


def test_same_seed_same_model_and_global_rng_untouched(digits):
    X, y = digits
    state = torch.get_rng_state()
    a = TorchClassifier("mlp", epochs=3, random_state=1).fit(X[:200], y[:200])
    b = TorchClassifier("mlp", epochs=3, random_state=1).fit(X[:200], y[:200])
    c = TorchClassifier("mlp", epochs=3, random_state=2).fit(X[:200], y[:200])
    assert torch.equal(torch.get_rng_state(), state)
    np.testing.assert_array_equal(a.predict_proba(X[200:260]), b.predict_proba(X[200:260]))
    assert not np.array_equal(a.predict_proba(X[200:260]), c.predict_proba(X[200:260]))
    assert list(a.classes_) == list(range(10))


def test_predict_proba_rows_sum_to_one_and_images_in_three_layouts(digits, fitted_cnn):
    X, _ = digits
    flat = fitted_cnn.predict_proba(X[300:310])
    np.testing.assert_allclose(flat.sum(axis=1), 1, rtol=1e-6)
    np.testing.assert_allclose(fitted_cnn.predict_proba(X[300:310].reshape(-1, 8, 8)), flat, rtol=1e-6)
    np.testing.assert_allclose(fitted_cnn.predict_proba(X[300:310].reshape(-1, 1, 8, 8)), flat, rtol=1e-6)


def test_embed_shape_and_batching_do_not_change_results(digits, fitted_cnn):
    X, _ = digits
    big = fitted_cnn.embed(X[:50])
    small = clone(fitted_cnn).set_params(predict_batch_size=7)
    small.__dict__.update({k: v for k, v in fitted_cnn.__dict__.items() if k.endswith("_")})
    assert big.shape == (50, 128) and big.dtype == np.float32
    np.testing.assert_allclose(small.embed(X[:50]), big, rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(small.predict_proba(X[:50]), fitted_cnn.predict_proba(X[:50]), rtol=1e-5)


def test_mc_dropout_samples_vary_and_average_to_eval_probabilities():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((200, 5)).astype(np.float32)
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    model = TorchClassifier("mlp", module_params={"hidden": (32,), "dropout": 0.1}, epochs=20,
                            random_state=0).fit(X, y)
    samples = model.posterior_samples(X[:20], 2000, random_state=0)
    assert samples.shape == (2000, 20, 2)
    assert samples.std(axis=0).max() > 1e-3  # passes differ: dropout is on
    np.testing.assert_allclose(samples.mean(axis=0), model.predict_proba(X[:20]), atol=0.05)
    again = model.posterior_samples(X[:20], 2000, random_state=0)
    np.testing.assert_array_equal(samples, again)
    assert not any(m.training for m in model.module_.modules())  # back in eval mode


def _bald_reference(samples: np.ndarray) -> np.ndarray:
    """Mutual information by explicit loops: H(mean p) − mean H(p)."""
    T, n, k = samples.shape
    out = np.empty(n)
    for i in range(n):
        mean = [sum(samples[t, i, c] for t in range(T)) / T for c in range(k)]
        h_mean = -sum(p * np.log(p) for p in mean if p > 0)
        h_each = [-sum(p * np.log(p) for p in samples[t, i] if p > 0) for t in range(T)]
        out[i] = max(h_mean - sum(h_each) / T, 0.0)
    return out


def test_bald_uses_mc_dropout_samples_and_matches_brute_force(digits):
    X, y = digits
    X, y_true = X[:200], y[:200]
    y = np.full(200, UNLABELED)
    y[:40] = y_true[:40]
    strat = make_strategy("bald", mc_samples=8)
    model = TorchClassifier("cnn", epochs=2, random_state=0)
    ctx = build_context(X, y, strategy=strat, model=model, random_state=3)
    sel = strat.select(ctx, 5, np.random.default_rng(0))
    assert sel.info["posterior"] == "mc_dropout"
    samples = ctx.model.posterior_samples(X[ctx.candidate_idx], 8, random_state=ctx.random_state)
    np.testing.assert_allclose(sel.scores, _bald_reference(samples), atol=1e-9)
    assert set(sel.idx) <= set(ctx.candidate_idx[np.argsort(-sel.scores)[:5]])
    sk = make_strategy("bald").select(
        build_context(X.reshape(200, -1), y, strategy=strat, random_state=3), 5,
        np.random.default_rng(0))
    assert sk.info["posterior"] == "bootstrap"  # a scikit-learn model has no posterior samples


def test_warm_start_continues_and_default_retrains(digits):
    X, y = digits
    est = TorchClassifier("mlp", epochs=1, warm_start=True, random_state=0).fit(X[:100], y[:100])
    net = est.module_
    before = [p.detach().clone() for p in net.parameters()]
    est.fit(X[:150], y[:150])
    assert est.module_ is net and any(not torch.equal(a, b) for a, b in zip(before, net.parameters()))
    cold = TorchClassifier("mlp", epochs=1, random_state=0).fit(X[:100], y[:100])
    first = cold.module_
    cold.fit(X[:150], y[:150])
    assert cold.module_ is not first


def test_early_stopping_and_class_weights(digits):
    X, y = digits
    est = TorchClassifier("mlp", epochs=200, early_stopping=True, patience=2, lr=0.05,
                          class_weight="balanced", random_state=0).fit(X[:300], y[:300])
    assert est.n_epochs_ < 200
    assert (est.predict(X[300:600]) == y[300:600]).mean() > 0.6


def test_works_through_query_simulate_and_the_registry(digits):
    X, y_true = digits
    X, y_true = X[:400], y_true[:400]
    y = np.full(400, UNLABELED)
    y[:30] = y_true[:30]
    for name in ("margin", "badge", "coreset", "variation_ratios"):
        idx = activelab.query(X.reshape(-1, 8, 8), y, strategy=name, batch_size=4, random_state=0,
                              model=activelab.models.make_model("cnn").set_params(epochs=2))
        assert idx.shape == (4,) and (y[idx] == UNLABELED).all()
    res = activelab.simulate(X[:300], y_true[:300], X[300:], y_true[300:], strategy="bald",
                             model=activelab.models.make_model("torch_mlp").set_params(epochs=3),
                             initial=20, batch_size=10, rounds=2, random_state=0)
    assert res.labels == [20, 30, 40] and all(0 <= a <= 1 for a in res.accuracy)


@pytest.mark.parametrize("kwargs, X, match", [
    ({"module": "cnn"}, np.zeros((20, 5)), "flattened square image"),
    ({"module": "cnn"}, np.zeros((20, 2, 8, 8)), "1- or 3-channel"),
    ({"module": "mlp"}, np.zeros((20, 2, 2, 2, 2)), "must be"),
    ({"module": lambda shape, k: "not a module"}, np.zeros((20, 4)), "not a torch.nn.Module"),
    ({"module": 42}, np.zeros((20, 4)), "callable"),
    ({"module": "transformer"}, np.zeros((20, 4)), "unknown built-in network"),
    ({"optimizer": "adagrad"}, np.zeros((20, 4)), "unknown optimizer"),
    ({"epochs": 0}, np.zeros((20, 4)), "epochs must be"),
    ({"module": "mlp"}, np.full((20, 4), np.nan), "NaN"),
])
def test_bad_input_is_a_clear_error(kwargs, X, match):
    y = np.arange(20) % 2
    with pytest.raises((activelab.InvalidInputError, activelab.UnknownNameError), match=match):
        TorchClassifier(**{"epochs": 1, "random_state": 0, **kwargs}).fit(X, y)


@pytest.mark.skipif(torch.cuda.is_available(), reason="a CUDA device is present")
def test_cuda_requested_where_none_exists():
    with pytest.raises(activelab.InvalidInputError, match="no CUDA device"):
        TorchClassifier(device="cuda", epochs=1).fit(np.zeros((10, 3)), np.arange(10) % 2)


def test_predicting_other_shapes_than_fitted_is_an_error(fitted_cnn):
    with pytest.raises(activelab.InvalidInputError, match="fitted on"):
        fitted_cnn.predict_proba(np.zeros((3, 1, 16, 16)))


def test_flattened_rgb_rows_are_read_channels_last():
    """A PIL/NumPy image (H, W, 3) flattened row by row gives the same model input as the
    (3, H, W) array."""
    rng = np.random.default_rng(0)
    imgs = rng.random((30, 6, 6, 3)).astype(np.float32)
    y = np.arange(30) % 2
    est = TorchClassifier("cnn", epochs=1, random_state=0).fit(imgs.transpose(0, 3, 1, 2), y)
    np.testing.assert_allclose(est.predict_proba(imgs.reshape(30, -1)),
                               est.predict_proba(imgs.transpose(0, 3, 1, 2)), rtol=1e-6)


def test_activelab_run_with_the_cnn(tmp_path, monkeypatch):
    """`activelab run --model cnn` on digits (8×8 images as 64 columns) end to end (the
    registry's CNN with 2 epochs, to keep the test short)."""
    from activelab.cli import main
    from activelab.models import registry

    monkeypatch.setitem(registry._MODELS, "cnn",
                        lambda: TorchClassifier("cnn", epochs=2, random_state=0))

    out = tmp_path / "cnn"
    code = main(["run", "--dataset", "digits", "--model", "cnn", "--strategy", "random,bald",
                 "--initial", "20", "--batch-size", "10", "--rounds", "1", "--seeds", "0",
                 "--out", str(out)])
    assert code == 0
    import json

    runs = json.loads((out / "results.json").read_text())["runs"]
    assert {r["strategy"] for r in runs} == {"random", "bald"}
    assert all(r["labels"] == [20, 30] for r in runs)
