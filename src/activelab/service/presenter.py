"""Response bodies: a leased item and a log outcome, as the JSON API shows them
(`NextOut`, `EventOut`), with the plain-words reason an item was chosen."""

from __future__ import annotations

from urllib.parse import quote

from .auth import Principal
from .labellog import Outcome
from .leases import Leased
from .progress import iso
from .queries import annotator_count
from .schemas import EventOut, NextOut
from .tables import Run


class Presenter:
    """Turns leases and outcomes into response schemas for one runtime (its items and labels);
    remembers the retrain runs it has explained."""

    def __init__(self, runtime) -> None:
        self.runtime = runtime
        self._runs: dict[int, Run] = {}

    def run(self, run_id: int | None) -> Run | None:
        if run_id is None:
            return None
        if run_id not in self._runs:
            with self.runtime.store.read() as s:
                run = s.get(Run, run_id)
            if run is None:
                return None
            self._runs[run_id] = run
        return self._runs[run_id]

    def next_out(self, who: Principal, leased: Leased | None) -> NextOut:
        with self.runtime.store.read() as s:
            count = annotator_count(s, who.id)
        common = {"labels": self.runtime.labels, "annotator": who.name, "annotator_count": count}
        if leased is None:
            return NextOut(done=True, why="Nothing left to label for you: every item is labeled, "
                                          "skipped by you, or leased to someone else.", **common)
        item = self.runtime.items[leased.item_idx]
        out = NextOut(
            done=False, item_id=item["item_id"], kind=item["kind"], score=leased.score,
            rank=None if leased.rank is None else leased.rank + 1,
            why=self.why(leased), lease_expires_at=iso(leased.expires_at), **common,
        )
        if item["kind"] == "image":
            out.content_url = "/api/content?item_id=" + quote(item["item_id"], safe="")
        elif item["kind"] == "text":
            out.text = item["text"]
        else:
            out.fields = item["fields"]
        return out

    def why(self, leased: Leased) -> str:
        run = self.run(leased.run_id)
        if leased.rank is None and leased.resumed:
            return ("Still yours from before: the model has re-ranked the queue since you were "
                    "given this item, so it has no rank in the current queue.")
        if leased.rank is None or run is None:
            return ("Random pick: every queued item is labeled, skipped by you or leased to "
                    "someone else; the model is re-ranking.")
        if leased.score is None:
            return ("Random pick: no model yet — once items of at least two classes are "
                    "labeled, the strategy ranks the rest.")
        return (f"Chosen by {run.strategy}: score {leased.score:.3f}, rank {leased.rank + 1} in "
                f"the queue of model #{run.id} (trained on {run.n_labels} labels).")

    def event_out(self, who: Principal, out: Outcome) -> EventOut:
        with self.runtime.store.read() as s:
            count = annotator_count(s, who.id)
        return EventOut(event_id=out.event_id, kind=out.kind, item_id=out.item_id, label=out.label,
                        duplicate=out.duplicate, annotator_count=count)
