"""Command-line usage errors print the usage line and one message (exit 2), never a traceback;
`--version` prints the version (issue 16)."""

from __future__ import annotations

import pytest

from activelab import __version__
from activelab.cli import main


def test_version(capsys):
    assert main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"activelab {__version__}"


@pytest.mark.parametrize("args, message", [
    (["run", "--bogus"], "No such option: --bogus"),
    (["frobnicate"], "No such command 'frobnicate'"),
    (["run", "--rounds", "abc"], "Invalid value for '--rounds'"),
    (["strategies", "extra"], "unexpected extra argument(s) (extra)"),
])
def test_usage_errors_are_short(capsys, args, message):
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err and "Usage: activelab" in err
    assert "Traceback" not in err and "╭" not in err and len(err.strip().splitlines()) <= 5


def test_service_entry_point_usage_errors(capsys):
    pytest.importorskip("fastapi")
    from activelab.service.commands import main as service_main

    assert service_main(["frob"]) == 2
    err = capsys.readouterr().err
    assert "No such command 'frob'" in err and "Traceback" not in err
