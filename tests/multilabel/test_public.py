"""The public surface is exactly __all__, and `import activelab` leaves the package unloaded."""

from __future__ import annotations

import subprocess
import sys

import activelab.multilabel as ml


def test_all_names_exist_and_are_public():
    assert len(set(ml.__all__)) == len(ml.__all__)
    for name in ml.__all__:
        assert hasattr(ml, name), name
    public = {n for n in vars(ml) if not n.startswith("_")}
    modules = {"context", "datasets", "loop", "models", "scores", "simulate", "strategies", "annotations"}
    assert public - modules == set(ml.__all__)


def test_import_activelab_does_not_import_multilabel():
    code = "import sys, activelab; print('activelab.multilabel' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
