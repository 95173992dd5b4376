"""The state derived from the event log (SQL) equals a brute-force replay of the log, for any
sequence of labels, relabels, skips and undos (hypothesis)."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete

from activelab.service.auth import add_annotator
from activelab.service.db import utcnow
from activelab.service.progress import labels_over_time
from activelab.service.project import Project
from activelab.service.queries import annotator_count, current_labels
from activelab.service.runtime import open_store
from activelab.service.tables import Event

N_ITEMS, N_ANNOTATORS, LABELS = 4, 3, ("red", "blue")

ops = st.lists(
    st.one_of(
        st.tuples(st.just("label"), st.integers(0, N_ANNOTATORS - 1), st.integers(0, N_ITEMS - 1),
                  st.sampled_from(LABELS)),
        st.tuples(st.just("skip"), st.integers(0, N_ANNOTATORS - 1), st.integers(0, N_ITEMS - 1),
                  st.none()),
        st.tuples(st.just("undo"), st.integers(0, N_ANNOTATORS - 1), st.none(), st.none()),
    ),
    max_size=25,
)


def replay(operations):
    """Brute force: the log as records, each undo targeting its annotator's latest live event."""
    log, undone = [], set()
    for kind, who, item, label in operations:
        if kind == "undo":
            mine = [e for e in log if e["who"] == who and e["kind"] != "undo" and e["id"] not in undone]
            if not mine:
                continue
            target = mine[-1]
            undone.add(target["id"])
            log.append(dict(id=len(log) + 1, kind="undo", who=who, item=target["item"], label=None,
                            target=target["id"]))
            continue
        if kind == "label" and any(e["item"] == item and e["kind"] in ("label", "relabel")
                                   and e["id"] not in undone for e in log):
            kind = "relabel"
        log.append(dict(id=len(log) + 1, kind=kind, who=who, item=item, label=label, target=None))
    live = [e for e in log if e["kind"] in ("label", "relabel") and e["id"] not in undone]
    current = {}
    for e in live:
        current[e["item"]] = e
    return log, current, live


@pytest.fixture(scope="module")
def log_store(image_project_template, tmp_path_factory):
    import shutil

    root = tmp_path_factory.mktemp("log") / "proj"
    shutil.copytree(image_project_template, root)
    store = open_store(Project.open(root))
    for a in range(N_ANNOTATORS):
        add_annotator(store, f"ann{a}")
    yield store
    store.dispose()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=ops)
def test_sql_derivation_matches_replay(log_store, operations):
    store = log_store
    log, expected, live = replay(operations)
    with store.write() as s:
        s.execute(delete(Event))
        first = None
        for e in log:
            ev = Event(request_id=f"r{e['id']}-{id(log)}", kind=e["kind"], item_idx=e["item"],
                       annotator_id=e["who"] + 1, label=e["label"], created_at=utcnow(),
                       target_event_id=None if e["target"] is None else first + e["target"] - 1)
            s.add(ev)
            s.flush()
            if first is None:
                first = ev.id
    with store.read() as s:
        got = current_labels(s)
        counts = {a: annotator_count(s, a + 1) for a in range(N_ANNOTATORS)}
        rows = s.execute(Event.__table__.select().order_by(Event.id)).all()
    assert {idx: ev.label for idx, ev in got.items()} == {i: e["label"] for i, e in expected.items()}
    assert {idx: ev.annotator_id - 1 for idx, ev in got.items()} == {i: e["who"] for i, e in expected.items()}
    for a in range(N_ANNOTATORS):  # items an annotator's live labels cover
        assert counts[a] == len({e["item"] for e in live if e["who"] == a})
    series = labels_over_time([(r.id, r.kind, r.item_idx, r.target_event_id, r.created_at) for r in rows])
    assert (series[-1]["labeled"] if series else 0) == len(expected)
