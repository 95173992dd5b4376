"""The `init`, `export` and `token` commands (through the service's own Typer app, and through
the main `activelab` CLI); errors are one line and a non-zero exit."""

from __future__ import annotations

import json

import pytest
from activelab.service.commands import main

from ._data import make_table


class Result:
    def __init__(self, exit_code, stdout, stderr):
        self.exit_code, self.stdout, self.stderr = exit_code, stdout, stderr
        self.output = stdout + stderr


@pytest.fixture
def run(capsys):
    def invoke(*args):
        capsys.readouterr()
        code = main([str(a) for a in args])
        out = capsys.readouterr()
        return Result(code, out.out, out.err)

    return invoke


def test_init_token_export(run, tmp_path, image_dir):
    proj = tmp_path / "p"
    r = run("init", proj, "--data", image_dir, "--task", "classification", "--labels", "red,blue",
            "--strategy", "entropy", "--model", "logreg")
    assert r.exit_code == 0, r.output
    assert "created project 'p'" in r.stdout and "40 items" in r.stdout
    r = run("token", "add", proj, "alice", "--admin")
    assert r.exit_code == 0
    token = r.stdout.strip().splitlines()[-1]
    assert token.startswith("al_") and len(token) > 40
    from activelab.service.auth import authenticate
    from activelab.service.project import Project
    from activelab.service.runtime import open_store

    store = open_store(Project.open(proj))
    try:
        who = authenticate(store, token)
        assert who.name == "alice" and who.is_admin
        with store.engine.connect() as conn:
            stored = [row[0] for row in conn.exec_driver_sql("SELECT token_hash FROM annotators")]
        assert token not in stored and len(stored[0]) == 64  # only the hash is kept
    finally:
        store.dispose()
    r = run("token", "add", proj, "bob")
    assert r.exit_code == 0 and r.stdout.strip().splitlines()[-1].startswith("al_")
    r = run("token", "list", proj)
    assert "alice\tadmin" in r.stdout and "bob\tannotator" in r.stdout and "al_" not in r.stdout
    r = run("token", "revoke", proj, "bob")
    assert r.exit_code == 0 and "bob\trevoked" in run("token", "list", proj).stdout
    r = run("export", proj)
    assert r.exit_code == 0 and r.stdout == "item_id,label,annotator,labeled_at,event_id,status\n"
    r = run("export", proj, "--format", "jsonl", "--history", "--out", tmp_path / "h.jsonl")
    assert r.exit_code == 0 and (tmp_path / "h.jsonl").read_text() == ""


def test_export_after_labeling(run, tmp_path):
    from activelab.service.auth import Principal, add_annotator
    from activelab.service.labellog import record_label
    from activelab.service.leases import lease_next
    from activelab.service.project import Project
    from activelab.service.runtime import open_store

    proj = tmp_path / "p"
    assert run("init", proj, "--data", make_table(tmp_path / "t.csv"), "--labels", "a,b").exit_code == 0
    store = open_store(Project.open(proj))
    try:
        add_annotator(store, "ann")
        leased = lease_next(store, 1, 600)
        record_label(store, Principal(1, "ann", False), leased.item_id, "b", "req-000001", ["a", "b"])
    finally:
        store.dispose()
    r = run("export", proj, "--format", "jsonl")
    row = json.loads(r.stdout)
    assert row["item_id"] == leased.item_id and row["label"] == "b" and row["annotator"] == "ann"
    assert row["status"] == "labeled"


@pytest.mark.parametrize("args,message", [
    (["init", "{p}", "--data", "{missing}", "--labels", "a,b"], "does not exist"),
    (["init", "{p}", "--data", "{images}", "--labels", "a"], "at least two"),
    (["serve", "{missing}"], "is not an activelab project"),
    (["export", "{missing}"], "is not an activelab project"),
    (["token", "add", "{missing}", "x"], "is not an activelab project"),
    (["serve", "{p0}", "--db", "postgresql://nobody@127.0.0.1:1/x"], "cannot open the database"),
])
def test_errors_are_one_line(run, tmp_path, image_dir, args, message):
    p0 = tmp_path / "p0"
    assert run("init", p0, "--data", image_dir, "--labels", "red,blue").exit_code == 0
    subst = {"p": tmp_path / "p", "p0": p0, "missing": tmp_path / "missing", "images": image_dir}
    r = run(*[a.format(**subst) for a in args])
    assert r.exit_code == 2
    lines = r.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and message in lines[0], r.stderr
    assert "Traceback" not in r.output


def test_duplicate_annotator_and_bad_name(run, tmp_path, image_dir):
    proj = tmp_path / "p"
    run("init", proj, "--data", image_dir, "--labels", "red,blue")
    assert run("token", "add", proj, "alice").exit_code == 0
    r = run("token", "add", proj, "alice")
    assert r.exit_code == 2 and "already exists" in r.stderr
    r = run("token", "add", proj, "../etc")
    assert r.exit_code == 2 and "not allowed" in r.stderr
    r = run("export", proj, "--format", "xml")
    assert r.exit_code == 2 and "--format" in r.stderr


def test_serve_refuses_a_bad_thread_count(run, tmp_path, image_dir):
    proj = tmp_path / "p"
    assert run("init", proj, "--data", image_dir, "--labels", "red,blue").exit_code == 0
    for bad in ("0", "1025", "many"):
        r = run("serve", proj, "--threads", bad)
        assert r.exit_code == 2 and "--threads" in r.stderr, r.stderr


def test_main_cli_has_the_service_commands(tmp_path, image_dir, capsys):
    cli = pytest.importorskip("activelab.cli")
    proj = tmp_path / "p"
    assert cli.main(["init", str(proj), "--data", str(image_dir), "--labels", "red,blue"]) == 0
    capsys.readouterr()
    assert cli.main(["token", "add", str(proj), "carol", "--admin"]) == 0
    out = capsys.readouterr().out
    assert out.strip().splitlines()[-1].startswith("al_")
    assert cli.main(["export", str(tmp_path / "nope")]) != 0
    err = capsys.readouterr().err
    assert "not an activelab project" in err
