"""Deep-model speed: MC-dropout BALD and `embed`, each against a plain PyTorch floor.

What the user waits for is the selection *including* the model's stochastic passes, so the
activelab side is `activelab.propose(strategy="bald")` end to end with a fitted `TorchClassifier`
(posterior samples, BALD scores, top-k). The floor is the least any implementation must do:
the same network's T dropout-on forward passes over the pool, batched, with softmax — plain
PyTorch, no activelab. Both run in this process on the same data; the ratio activelab / floor
is the overhead (target ≤ 1.3).

`embed` throughput: sentence embeddings (`activelab.embed(texts, "sentence")`, model loaded
beforehand) against SentenceTransformer.encode on the same model, and the self-supervised
encoder's inference (`activelab.embeddings.simclr.encode`) against the plain backbone forward.

    python benchmarks/torch_speed.py [--n 100000] [--passes 20] [--repeats 3] [--quick]

Writes benchmarks/results/torch_speed.json and prints a table.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS, machine, write_json  # noqa: E402


def _images(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Fashion-MNIST when installed (repeated to n rows), else structured random 28×28 images."""
    try:
        from activelab.experiments import load_dataset

        X, y = load_dataset("fashion_mnist")
        reps = -(-n // X.shape[0])
        X = np.tile(X, (reps, 1))[:n].reshape(-1, 1, 28, 28).astype(np.float32)
        return X, np.tile(y, reps)[:n]
    except Exception:  # noqa: BLE001 -- the dataset is optional here
        rng = np.random.default_rng(seed)
        y = rng.integers(0, 10, n)
        X = rng.random((n, 1, 28, 28), dtype=np.float32) * 0.3
        X[np.arange(n), 0, y + 9, 4:24] += 0.7  # a class-dependent bar
        return X, y


def floor_seconds(net, X: np.ndarray, passes: int, batch: int, seed: int) -> float:
    """T dropout-on forward passes over X, one batch at a time (batch norm in eval), softmax,
    into one float32 array."""
    import torch
    from torch import nn

    net.eval()
    drop = [m for m in net.modules() if isinstance(m, nn.modules.dropout._DropoutNd)]
    for m in drop:
        m.train()
    torch.manual_seed(seed)
    t0 = time.perf_counter()
    out = np.empty((passes, X.shape[0], 10), dtype=np.float32)
    with torch.no_grad():
        for start in range(0, X.shape[0], batch):
            b = torch.from_numpy(X[start:start + batch])
            for t in range(passes):
                out[t, start:start + b.shape[0]] = torch.softmax(net(b), dim=1).numpy()
    seconds = time.perf_counter() - t0
    for m in drop:
        m.eval()
    return seconds


def embed_speed(n_texts: int, n_images: int, repeats: int) -> dict:
    """Sentence and SSL-inference throughput of activelab vs the plain model call."""
    import torch

    import activelab
    from activelab.embeddings import simclr, text

    rng = np.random.default_rng(0)
    words = np.array("the a patient scan shows lung nodule benign malignant growth tissue image "
                     "report doctor follow up normal no sign of change size left right".split())
    texts = [" ".join(rng.choice(words, rng.integers(8, 40))) for _ in range(n_texts)]
    model = text._load_model()
    model.encode(texts[:256], batch_size=text.DEFAULT_BATCH_SIZE)  # warm-up, charged to nobody
    ours_t, floor_t = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        activelab.embed(texts, method="sentence")
        ours_t.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        model.encode(texts, batch_size=text.DEFAULT_BATCH_SIZE, normalize_embeddings=True,
                     convert_to_numpy=True, show_progress_bar=False)
        floor_t.append(time.perf_counter() - t0)
    images, _ = _images(n_images, seed=0)
    X = torch.from_numpy(images)
    config = simclr.SSLConfig(epochs=1)
    net, _ = simclr.train(X[:2048], config, seed=0)
    ours_i, floor_i = [], []
    for _ in range(repeats):
        t0 = time.perf_counter()
        simclr.encode(net, X, batch_size=1024)
        ours_i.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        with torch.inference_mode():
            for i in range(0, X.shape[0], 1024):
                b = X[i:i + 1024].contiguous(memory_format=torch.channels_last)
                net.backbone((b - net.mean) / net.std).numpy()
        floor_i.append(time.perf_counter() - t0)
    med = statistics.median
    return {
        "sentence": {"n_texts": n_texts, "seconds": ours_t, "floor_seconds": floor_t,
                     "texts_per_s": n_texts / med(ours_t), "ratio": med(ours_t) / med(floor_t)},
        "ssl_inference": {"n_images": n_images, "seconds": ours_i, "floor_seconds": floor_i,
                          "images_per_s": n_images / med(ours_i),
                          "ratio": med(ours_i) / med(floor_i)},
    }


def _print_embed(embed: dict) -> None:
    for key, r in embed.items():
        print(f"embed {key}: ratio {r['ratio']:.2f} vs the plain model call "
              f"({', '.join(f'{k}={v:.0f}' for k, v in r.items() if k.endswith('_per_s'))})")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--passes", type=int, default=20)
    ap.add_argument("--batch-size", type=int, default=10)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="10,000 images, 5 passes, 1 repeat")
    ap.add_argument("--out", type=Path, default=RESULTS / "torch_speed.json")
    ap.add_argument("--only", choices=("bald", "embed"), default=None,
                    help="run one part; the other part's results in --out are kept")
    args = ap.parse_args()
    if args.quick:
        args.n, args.passes, args.repeats = 10_000, 5, 1

    import torch

    import activelab
    from activelab.torch import TorchClassifier

    if args.only == "embed":
        from common import read_json

        result = read_json(args.out) or {"suite": "torch_speed"}
        result["embed"] = embed_speed(500 if args.quick else 5_000, args.n, args.repeats)
        result["embed_machine"] = machine()
        _print_embed(result["embed"])
        write_json(args.out, result)
        return 0
    X, y_true = _images(args.n, seed=0)
    y = np.full(args.n, activelab.UNLABELED)
    seed_rows = np.random.default_rng(0).choice(args.n, 500, replace=False)
    y[seed_rows] = y_true[seed_rows]
    model = TorchClassifier("cnn", epochs=5, predict_batch_size=1024, random_state=0)
    model.fit(X[seed_rows], y_true[seed_rows])
    n_cand = int((y == activelab.UNLABELED).sum())

    ours, floor = [], []
    for r in range(args.repeats):
        t0 = time.perf_counter()
        sel = activelab.propose(X, y, strategy="bald", model=model, batch_size=args.batch_size,
                                mc_samples=args.passes, random_state=r)
        ours.append(time.perf_counter() - t0)
        assert sel.info["posterior"] == "mc_dropout"
        floor.append(floor_seconds(model.module_, X[y == activelab.UNLABELED], args.passes,
                                   1024, seed=r))
    result = {
        "suite": "torch_speed",
        "machine": machine(),
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "n_images": args.n, "n_candidates": n_cand, "image_shape": [1, 28, 28],
        "passes": args.passes, "batch_size": args.batch_size, "repeats": args.repeats,
        "bald_seconds": ours, "floor_seconds": floor,
        "bald_median_s": statistics.median(ours), "floor_median_s": statistics.median(floor),
        "ratio": statistics.median(ours) / statistics.median(floor),
        "target_ratio": 1.3,
    }
    result["meets_target"] = result["ratio"] <= result["target_ratio"]
    if args.only != "bald":
        result["embed"] = embed_speed(500 if args.quick else 5_000, args.n, args.repeats)
        _print_embed(result["embed"])
    write_json(args.out, result)
    print(f"MC-dropout BALD, {n_cand:,} candidates × T={args.passes}: activelab "
          f"{result['bald_median_s']:.2f} s, PyTorch floor {result['floor_median_s']:.2f} s, "
          f"ratio {result['ratio']:.2f} (target ≤ 1.3) -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
