"""Leases with more than one annotator per item (k = 2): never the same annotator twice on an
item, never more annotators on it (labels plus unexpired leases) than it needs, no item lost.

Two tests: annotators in threads label, skip and undo concurrently (SQLite and PostgreSQL) while a
checker reads the leases and the log in one statement, again and again; and hypothesis runs
sequences of next / label / skip / undo / lease expiry against a brute-force model of which items
are open for whom (SQLite)."""

from __future__ import annotations

import random
import threading
import uuid
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, insert, select, text, update

from activelab.service.auth import Principal, add_annotator
from activelab.service.db import utcnow
from activelab.service.errors import ServiceError
from activelab.service.labellog import record_label, record_skip, record_undo
from activelab.service.leases import held_lease, lease_next
from activelab.service.overlap import Overlap
from activelab.service.project import Project
from activelab.service.queries import item_states
from activelab.service.runtime import open_store
from activelab.service.settings import write_settings
from activelab.service.tables import Event, Item, Lease, QueueEntry

LABELS = ["a", "b"]
N_ITEMS, N_ANNOTATORS = 24, 6
POLICY = Overlap(2, 0.6, 5)  # about 60 % of the items need two labels


@pytest.fixture
def pool_store(tmp_path, db_url):
    from activelab.service import init_project

    from ._data import make_table

    init_project(tmp_path / "p", data=make_table(tmp_path / "pool.csv", n=N_ITEMS), labels="a,b")
    store = open_store(Project.open(tmp_path / "p"), db_url)
    write_settings(store, {"annotations_per_item": POLICY.annotations_per_item,
                           "overlap_fraction": POLICY.overlap_fraction,
                           "overlap_seed": POLICY.overlap_seed})
    yield store
    store.dispose()


def _snapshot(store):
    """Unexpired leases and the whole log, from one statement (one snapshot on PostgreSQL)."""
    with store.read() as s:
        rows = s.execute(text(
            "SELECT 'lease', item_idx, annotator_id, NULL, NULL FROM leases WHERE expires_at > :now "
            "UNION ALL SELECT kind, item_idx, annotator_id, id, target_event_id FROM events"),
            {"now": utcnow()}).all()
    leases = [(idx, who) for kind, idx, who, _, _ in rows if kind == "lease"]
    events = [r for r in rows if r[0] != "lease"]
    undone = {target for kind, _, _, _, target in events if kind == "undo"}
    live = [(kind, idx, who) for kind, idx, who, ev_id, _ in events if ev_id not in undone]
    return leases, live


def _violations(store, needed: dict[int, int]) -> list[str]:
    leases, live = _snapshot(store)
    out = []
    for idx, need in needed.items():
        labels = [who for kind, i, who in live if i == idx and kind == "label"]
        voters = set(labels)
        holders = [who for i, who in leases if i == idx]
        if len(labels) != len(voters):
            out.append(f"item {idx}: an annotator labeled it twice {sorted(labels)}")
        if voters & set(holders):
            out.append(f"item {idx}: leased to {sorted(voters & set(holders))}, who labeled it")
        if len(voters) + len(holders) > need:
            out.append(f"item {idx} needs {need}: {len(voters)} labels + leases {holders}")
    return out


def test_concurrent_annotators_with_two_per_item(pool_store):
    store = pool_store
    with store.read() as s:
        keys = dict(s.execute(select(Item.idx, Item.overlap_key)).all())
    needed = {idx: POLICY.needed(key) for idx, key in keys.items()}
    assert 8 <= sum(n == 2 for n in needed.values()) <= 20
    with store.write() as s:  # a ranked queue for half of the pool; the rest is found anywhere
        s.execute(insert(QueueEntry), [{"item_idx": i, "rank": r, "score": None, "run_id": None}
                                       for r, i in enumerate(sorted(keys)[::2])])
    people = [Principal(add_annotator_id(store, f"ann{i}"), f"ann{i}", False)
              for i in range(N_ANNOTATORS)]
    errors: list[str] = []
    stop = threading.Event()
    start = threading.Barrier(N_ANNOTATORS + 1)

    def annotate(me: Principal, seed: int) -> None:
        rng = random.Random(seed)
        mine: set[int] = set()  # items I labeled or skipped (live)
        try:
            start.wait()
            while True:
                got = lease_next(store, me.id, 600)
                if got is None:
                    return
                if got.item_idx in mine:
                    errors.append(f"{me.name} got item {got.item_idx} again")
                    return
                roll = rng.random()
                if roll < 0.12:
                    record_skip(store, me, got.item_id, uuid.uuid4().hex)
                    mine.add(got.item_idx)
                    continue
                record_label(store, me, got.item_id, rng.choice(LABELS), uuid.uuid4().hex, LABELS)
                mine.add(got.item_idx)
                if roll > 0.9:  # take it back: the item comes back to me
                    out = record_undo(store, me, uuid.uuid4().hex, 600)
                    assert out.item_idx == got.item_idx
                    mine.discard(got.item_idx)
                    if held_lease(store, me.id, got.item_idx) is None:
                        errors.append(f"{me.name}: item {got.item_idx} not leased back on undo")
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(f"{me.name}: {type(exc).__name__}: {exc}")

    def check() -> None:
        start.wait()
        while not stop.is_set():
            errors.extend(_violations(store, needed))

    checker = threading.Thread(target=check)
    threads = [threading.Thread(target=annotate, args=(p, i)) for i, p in enumerate(people)]
    checker.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    stop.set()
    checker.join(30)
    assert not errors, errors[:5]
    assert not _violations(store, needed)
    # no item lost: each has the labels it needs, or every other annotator skipped it
    leases, live = _snapshot(store)
    assert leases == []
    for idx, need in needed.items():
        voters = {who for kind, i, who in live if i == idx and kind == "label"}
        skippers = {who for kind, i, who in live if i == idx and kind == "skip"} - voters
        assert len(voters) == need or len(voters) + len(skippers) == N_ANNOTATORS, (idx, voters,
                                                                                      skippers)
    with store.read() as s:
        states = item_states(s)
    assert {idx for idx, stt in states.items() if stt.status == "pending"} == {
        idx for idx, need in needed.items()
        if len({w for k, i, w in live if i == idx and k == "label"}) < need}


def add_annotator_id(store, name: str) -> int:
    from activelab.service.tables import Annotator

    add_annotator(store, name)
    with store.read() as s:
        return s.scalar(select(Annotator.id).where(Annotator.name == name))


# -- sequences against a brute-force model (SQLite) ---------------------------------------------

N_SMALL, PEOPLE = 4, 3
ops = st.lists(st.tuples(st.sampled_from(["next", "label", "skip", "undo", "expire"]),
                         st.integers(0, PEOPLE - 1), st.sampled_from(LABELS)),
               min_size=1, max_size=30)


class Model:
    """The rules, written out: a log of (kind, item, who) and who holds which lease."""

    def __init__(self, needed):
        self.needed = needed
        self.log: list[list] = []  # [kind, item, who, live]
        self.leases: dict[tuple[int, int], bool] = {}  # (item, who) -> unexpired

    def live(self, kind, item=None, who=None):
        return [e for e in self.log if e[3] and e[0] == kind and (item is None or e[1] == item)
                and (who is None or e[2] == who)]

    def open_for(self, item, who) -> bool:
        voters = {e[2] for e in self.live("label", item)}
        others = {w for (i, w), valid in self.leases.items() if i == item and valid and w != who}
        return (who not in voters and not self.live("skip", item, who)
                and len(voters) + len(others) < self.needed[item])


@pytest.fixture(scope="module")
def small_store(tmp_path_factory):
    from activelab.service import init_project

    from ._data import make_table

    root = tmp_path_factory.mktemp("k2")
    init_project(root / "p", data=make_table(root / "pool.csv", n=N_SMALL), labels="a,b")
    store = open_store(Project.open(root / "p"))
    write_settings(store, {"annotations_per_item": 2, "overlap_fraction": 1.0})
    ids = [add_annotator_id(store, f"p{i}") for i in range(PEOPLE)]
    yield store, ids
    store.dispose()


@settings(max_examples=30, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=ops)
def test_sequences_follow_the_rules(small_store, operations):
    store, ids = small_store
    with store.write() as s:
        s.execute(delete(Lease))
        s.execute(update(Event).values(target_event_id=None))
        s.execute(delete(Event))
        items = dict(s.execute(select(Item.idx, Item.item_id)).all())
    model = Model({idx: 2 for idx in items})
    held: dict[int, int] = {}  # person -> item leased by the last next
    for kind, p, label in operations:
        who = Principal(ids[p], f"p{p}", False)
        if kind == "next":
            got = lease_next(store, who.id, 600)
            mine = [i for (i, w), valid in model.leases.items() if w == who.id and valid
                    and who.id not in {e[2] for e in model.live("label", i)}]
            if mine:  # a lease I hold comes back first
                assert got is not None and got.item_idx in mine
            elif got is None:
                assert not any(model.open_for(i, who.id) for i in items)
            else:
                assert model.open_for(got.item_idx, who.id), (got.item_idx, model.log)
            if got is not None:
                model.leases[(got.item_idx, who.id)] = True
                held[p] = got.item_idx
        elif kind in ("label", "skip") and p in held:
            item = held.pop(p)
            valid = model.leases.get((item, who.id), False)
            try:
                if kind == "label":
                    record_label(store, who, items[item], label, uuid.uuid4().hex, LABELS)
                else:
                    record_skip(store, who, items[item], uuid.uuid4().hex)
            except ServiceError:  # refused: only without a valid lease
                assert not valid
                continue
            assert valid
            model.log.append([kind, item, who.id, True])
            model.leases.pop((item, who.id), None)
        elif kind == "undo":
            mine = [e for e in model.log if e[2] == who.id and e[3]]
            try:
                out = record_undo(store, who, uuid.uuid4().hex, 600)
            except ServiceError:
                assert not mine
                continue
            target = mine[-1]
            assert out.item_idx == target[1]
            target[3] = False
            if model.open_for(target[1], who.id):
                model.leases[(target[1], who.id)] = True
        elif kind == "expire":
            with store.write() as s:
                s.execute(update(Lease).values(expires_at=utcnow() - timedelta(seconds=1)))
            model.leases = {key: False for key in model.leases}
        # the state derived by SQL is the model's
        with store.read() as s:
            states = item_states(s)
            db_leases = {(i, w) for i, w in s.execute(
                select(Lease.item_idx, Lease.annotator_id).where(Lease.expires_at > utcnow()))}
        assert db_leases == {key for key, valid in model.leases.items() if valid}
        for idx in items:
            votes = {e[2]: e for e in model.live("label", idx)}
            got = states.get(idx)
            assert set(got.votes if got else {}) == set(votes)
            assert len(votes) <= 2
