"""Small data sets made on the spot: PNG images, CSV/Parquet tables, JSONL text."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

COLORS = {"red": (205, 50, 45), "blue": (40, 70, 200)}


def make_images(folder: Path, n: int = 40, seed: int = 0, size: int = 24) -> Path:
    """`n` noisy red or blue squares with a pale shape, as red/NNN.png and blue/NNN.png."""
    from PIL import Image, ImageDraw

    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(n):
        name = "red" if i % 2 == 0 else "blue"
        base = np.array(COLORS[name], dtype=np.int16)
        noise = rng.integers(-30, 31, size=(size, size, 3))
        arr = np.clip(base + noise, 0, 255).astype(np.uint8)
        img = Image.fromarray(arr)
        draw = ImageDraw.Draw(img)
        a, b = sorted(rng.integers(2, size - 2, size=2))
        draw.ellipse([a, a, b + 1, b + 1], outline=(240, 240, 240))
        (folder / name).mkdir(exist_ok=True)
        img.save(folder / name / f"{i:03d}.png")
    return folder


def truth_of_image(item_id: str) -> str:
    return item_id.split("/")[0]


def make_table(path: Path, n: int = 60, seed: int = 0, with_id: bool = True) -> Path:
    """Two Gaussian blobs in 3 numeric columns; label in the (ignored) `truth` text column."""
    import pandas as pd

    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    X = rng.normal(size=(n, 3)) + y[:, None] * 3.0
    df = pd.DataFrame({"f1": X[:, 0], "f2": X[:, 1], "f3": X[:, 2]})
    if with_id:
        df.insert(0, "id", [f"r{i:04d}" for i in range(n)])
    if path.suffix == ".parquet":
        df.to_parquet(path)
    else:
        df.to_csv(path, index=False)
    return path


def make_jsonl(path: Path, n: int = 40, with_id: bool = True) -> Path:
    topics = {
        "sport": ["match", "goal", "team", "score", "league", "coach"],
        "science": ["atom", "cell", "experiment", "theory", "energy", "lab"],
    }
    rng = np.random.default_rng(1)
    with path.open("w", encoding="utf-8") as fh:
        for i in range(n):
            topic = "sport" if i % 2 == 0 else "science"
            words = rng.choice(topics[topic], size=8).tolist()
            obj = {"text": " ".join(words)}
            if with_id:
                obj["id"] = f"doc-{i}"
            fh.write(json.dumps(obj) + "\n")
    return path
