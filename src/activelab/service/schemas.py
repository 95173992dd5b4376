"""Request and response bodies of the JSON API (they make the OpenAPI schema).

Request bodies are strict: JSON numbers for integers, JSON strings for strings (``true`` or
``"7"`` for an integer is a 422, not a silent 1 or 7), and no string holds a control
character or a lone surrogate (PostgreSQL cannot store NUL; the others corrupt exports).

Refusals have two bodies: `ErrorOut` (``{"detail"}``: 401, 403, 404, 405, 409, 413) and
`ValidationErrorOut` (``{"detail", "errors": [{"loc", "msg"}]}``: every 422). A project's label
set is known only at run time: fields typed `Label` are marked (`ENUM_MARK`) and shown as an
enum of it in the OpenAPI document (`contract.py`), as are the strategies and models a setting
takes; validation stays the app's own (`LabelError`, 422 too).
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    model_validator,
)
from pydantic_core import PydanticCustomError

from .project import MAX_LABELS
from .settings import LIMITS

_CONTROL = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")


def _no_control(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("must not contain control characters (NUL, tab, newline, ...) "
                         "or lone surrogates")
    return value


TEXT_MARK = "x-activelab-text"
"""Marks a `Name`: the OpenAPI document shows its rule as a `pattern` (unless the field has a
stricter pattern, or an enum)."""
TEXT_PATTERN = r"^[^\u0000-\u001f\u007f]*$"  # lone surrogates: no regex dialect spells them

Name = Annotated[str, AfterValidator(_no_control), Field(json_schema_extra={TEXT_MARK: True})]
"""A one-line string of a request: ids, labels, names."""

RequestId = Annotated[
    str,  # the pattern refuses control characters too (and, unlike Name, shows in the schema)
    Field(min_length=8, max_length=100, pattern=r"^[A-Za-z0-9._:-]+$",
          description="Client-generated id (e.g. a UUID); a retry with the same id is not "
                      "counted twice."),
]
ItemId = Annotated[Name, Field(min_length=1, max_length=512, description="Stable item id.")]

ENUM_MARK = "x-activelab-enum"
"""Marks a field whose values are a set known at run time: "labels", "strategies", "models"."""
Label = Annotated[str, Field(json_schema_extra={ENUM_MARK: "labels"})]
"""One of the project's labels (an enum of them in the OpenAPI document)."""
RANGE_MARK = "x-activelab-range"
"""Marks a regression answer: the OpenAPI document shows the project's range (if any) as its
``minimum`` and ``maximum``."""


def _finite_number(not_a_number: str, not_finite: str):
    """A validator taking a JSON number (not a bool or a string) that is finite, with these
    messages: regression answers and stream features say what each is."""

    def check(value):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise PydanticCustomError("number_type", not_a_number)
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        if not math.isfinite(number):
            raise PydanticCustomError("finite_number", not_finite)
        return number

    return check


# A regression answer is a JSON number, finite (the range is the app's check, `LabelError`).
_a_number = _finite_number(
    "must be a JSON number such as 12.5 (not a string, true/false or null)",
    "must be a finite number: NaN and infinity are not answers (skip the item if it cannot be "
    "measured)")


Value = Annotated[float, BeforeValidator(_a_number), Field(json_schema_extra={RANGE_MARK: True})]


class ErrorOut(BaseModel):
    """A refusal: what went wrong and how to fix it."""

    detail: str


class ErrorLocation(BaseModel):
    loc: list[str | int] = Field(description='Where: e.g. ["body", "label"] or ["query", "item_id"].')
    msg: str


class ValidationErrorOut(BaseModel):
    """A request that is not well-formed (422): one line for people, and each error."""

    detail: str
    errors: list[ErrorLocation]


class MessageOut(BaseModel):
    """An accepted request's news (e.g. 202: retraining started)."""

    detail: str


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


def _refuse(field: str, message: str):
    """A model check (before the fields): a body holding `field` is refused with `message`."""

    def check(data):
        if isinstance(data, dict) and field in data:
            raise PydanticCustomError("wrong_task", message)
        return data

    return model_validator(mode="before")(check)


class LabelIn(_In):
    item_id: ItemId
    label: Annotated[Name, Field(min_length=1, max_length=100, json_schema_extra={ENUM_MARK: "labels"})]
    request_id: RequestId

    _one_label = _refuse("labels", "this project gives each item one label: send `label`, a "
                                   "label name, not `labels` (which multilabel projects take)")
    _not_a_number = _refuse("value", "this project gives each item one label: send `label`, a "
                                     "label name, not `value` (which regression projects take)")


LabelName = Annotated[Name, Field(min_length=1, max_length=100, json_schema_extra={ENUM_MARK: "labels"})]


class LabelsIn(_In):
    """A multilabel project's answer: the set of labels that apply (``[]``: none of them)."""

    item_id: ItemId
    labels: Annotated[list[LabelName], Field(max_length=MAX_LABELS, json_schema_extra={
        "uniqueItems": True}, description="Every label that applies to the item, each once, in "
                                          "any order; [] when none does (not a skip).")]
    request_id: RequestId

    _a_set = _refuse("label", "this is a multilabel project: send `labels`, the list of labels "
                              "that apply ([] for none of them), not `label`")
    _not_a_number = _refuse("value", "this is a multilabel project: send `labels`, the list of "
                                     "labels that apply, not `value` (which regression projects "
                                     "take)")


_A_NUMBER = ("this is a regression project: send `value`, the item's number (e.g. 12.5), not "
             "`{}`")


class ValueIn(_In):
    """A regression project's answer: the item's number."""

    item_id: ItemId
    value: Annotated[Value, Field(description=(
        "The item's number: finite (no NaN or infinity), and within the project's range when it "
        "has one (minimum and maximum here)."))]
    request_id: RequestId

    _no_label = _refuse("label", _A_NUMBER.format("label"))
    _no_labels = _refuse("labels", _A_NUMBER.format("labels"))


class SkipIn(_In):
    item_id: ItemId
    request_id: RequestId


class UndoIn(_In):
    request_id: RequestId


def _within(key: str):
    """An integer setting inside its limits (`settings.LIMITS`), or None to leave it as is."""
    lo, hi = LIMITS[key]
    return Annotated[int, Field(ge=lo, le=hi, description=f"An integer from {lo} to {hi}, written "
                                "as one: 7, not 7.0 (JSON Schema cannot tell them apart).")] | None


class SettingsIn(_In):
    lease_seconds: _within("lease_seconds") = None
    retrain_every: _within("retrain_every") = None
    queue_size: _within("queue_size") = None
    strategy: Annotated[Name, Field(max_length=100, json_schema_extra={ENUM_MARK: "strategies"})] | None = None
    model: Annotated[Name, Field(max_length=100, json_schema_extra={ENUM_MARK: "models"})] | None = None
    annotations_per_item: _within("annotations_per_item") = None
    overlap_fraction: Annotated[float, Field(ge=0, le=1, description=(
        "The share of items that need annotations_per_item labels (the others need one), "
        "chosen from each item's id and overlap_seed."))] | None = None
    overlap_seed: _within("overlap_seed") = None


class SettingsOut(BaseModel):
    lease_seconds: int
    retrain_every: int
    queue_size: int
    strategy: str
    model: str
    annotations_per_item: int = Field(description="Labels, from different annotators, that an "
                                                  "item chosen for overlap needs.")
    overlap_fraction: float = Field(description="The share of items chosen for overlap.")
    overlap_seed: int = Field(description="Chooses which items (with their ids).")


class LabelAddIn(_In):
    label: Annotated[Name, Field(description=(
        "The label to add at the end of the set (surrounding spaces are dropped): 1-100 "
        "characters, no comma; refused when already in the set, in any case. (The app checks "
        "the length, to say what is wrong in words.)"))]


class LabelAdditionOut(BaseModel):
    label: str
    code: int = Field(description="The label's position in the set: its class in the model.")
    added_by: str
    added_at: str


class LabelSetOut(BaseModel):
    """The label set now (it only grows, so its labels may be newer than this document's enum),
    and the labels added after init: who added each, and when."""

    labels: list[str]
    additions: list[LabelAdditionOut]


class AnnotatorOut(BaseModel):
    name: str
    is_admin: bool
    state: Literal["active", "expired", "revoked"]
    created_at: str
    expires_at: str | None = Field(description="When the token stops working (None: never).")
    revoked_at: str | None


class InvitationIn(_In):
    name: Annotated[Name, Field(description=(
        "Annotator name: 1-100 letters, digits, spaces or . _ @ -, starting with a letter or "
        "digit. A new name creates the annotator; an existing one keeps their role."))]
    admin: bool = Field(False, description="A new annotator is an admin.")
    expires: Annotated[Name, Field(max_length=40, description=(
        "When the code is refused: Nd, Nh or Nm from now (e.g. 7d), or an ISO date or "
        "date-time (UTC unless it has an offset)."))] = "7d"


class InvitationOut(BaseModel):
    """A one-time sign-in code: shown this once, only its hash is stored."""

    code: str
    name: str
    is_admin: bool
    new_annotator: bool
    expires_at: str


class RevokeIn(_In):
    name: Annotated[Name, Field(max_length=100, description="The annotator's name.")]


class PredictionOut(BaseModel):
    label: Label
    probability: float = Field(ge=0, le=1)


class TermOut(BaseModel):
    """A term of the TF-IDF vocabulary (a word, or two words in a row, lower-cased) and how far
    it pushed a linear model towards its predicted label."""

    term: str = Field(description='As the vectorizer saw it: e.g. "goal" or "penalty kick".')
    weight: float = Field(gt=0, description="The term's tf-idf value in this item times the "
                                            "model's coefficient for the predicted label.")


class NextOut(BaseModel):
    """The leased item (or `done: true` when nothing is left for this annotator)."""

    done: bool
    item_id: str | None = None
    kind: Literal["image", "text", "row"] | None = None
    content_url: str | None = Field(None, description="Where to GET an image item's file.")
    text: str | None = None
    fields: dict[str, Any] | None = None
    score: float | None = Field(None, description="The strategy's score (higher = more informative).")
    rank: int | None = None
    why: str = ""
    prediction: list[PredictionOut] | None = Field(
        None, description="The model's top classes for the item, most probable first (None "
                          "before the first model, or for an item picked outside the queue).")
    highlights: list[TermOut] | None = Field(
        None, description="The terms that drove the predicted label (`prediction[0]`), strongest "
                          "first, at most 5: only when the features are TF-IDF and the model is "
                          "linear (None otherwise, and where `prediction` is None).")
    lease_expires_at: str | None = None
    labels: list[Label]
    annotator: str
    annotator_count: int


class EventOut(BaseModel):
    event_id: int
    kind: str
    item_id: str
    label: Label | None
    duplicate: bool = Field(description="True when this request_id was already recorded.")
    annotator_count: int


class MultilabelNextOut(NextOut):
    """The leased item of a multilabel project: label it with the set of labels that apply."""

    task: Literal["multilabel"] = "multilabel"
    label_probabilities: list[PredictionOut] | None = Field(
        None, description="The model's probability that each label applies, in label-set order "
                          "(None before the first model, or for an item picked outside the "
                          "queue).")


class LabelsEventOut(EventOut):
    """A write to a multilabel project's log (`label` is always None there)."""

    labels: list[Label] | None = Field(description="The labels given, in label-set order ([]: "
                                                   "none of them; None for a skip or an undo).")


class RegressionNextOut(NextOut):
    """The leased item of a regression project: answer it with a number."""

    task: Literal["regression"] = "regression"
    unit: str = Field("", description='Shown beside the number (e.g. "kg"; "" for none).')
    value_range: list[float] | None = Field(
        None, min_length=2, max_length=2, description="[min, max] every answer must fall in "
                                                      "(None: any finite number).")
    predicted_value: float | None = Field(
        None, description="The model's prediction for the item (None before the first model, or "
                          "for an item picked outside the queue).")
    predicted_std: float | None = Field(
        None, ge=0, description="The model's predictive standard deviation, when it has one "
                                "(the gp model).")


class ValueEventOut(EventOut):
    """A write to a regression project's log (`label` is always None there)."""

    value: float | None = Field(description="The number given (None for a skip or an undo).")


class ValueUndoOut(ValueEventOut):
    undone_event_id: int
    undone_kind: Literal["label", "relabel", "skip"] = Field(
        description="What was undone: a label, a relabel or a skip.")
    undone_value: float | None = Field(description="The number taken back (None for a skip).")
    next: RegressionNextOut


class LabelsUndoOut(LabelsEventOut):
    undone_event_id: int
    undone_kind: Literal["label", "relabel", "skip"] = Field(
        description="What was undone: a label, a relabel or a skip.")
    undone_labels: list[Label] | None = Field(description="The labels taken back (None for a "
                                                          "skip).")
    next: MultilabelNextOut


class UndoOut(EventOut):
    undone_event_id: int
    undone_kind: Literal["label", "relabel", "skip"] = Field(
        description="What was undone: a label, a relabel or a skip.")
    undone_label: Label | None = Field(description="The label taken back (None for a skip).")
    next: NextOut


class StatsOut(BaseModel):
    items: int
    labeled: int
    unlabeled: int
    skipped: int
    per_class: dict[Label, int]
    per_annotator: dict[str, int]
    active_leases: int
    queue_size: int
    last_run: dict[str, Any] | None


class EstimateOut(BaseModel):
    """The model's accuracy on the unlabeled pool, estimated from the labels alone
    (`activelab.estimate.estimate_accuracy`), with its interval."""

    accuracy: float | None
    low: float | None
    high: float | None
    confidence: float = Field(description="Level of the interval (0.9).")
    n_labels: int
    method: str
    reliable: bool
    reason: str = Field("", description="Why the estimate should not be trusted yet, if so.")


class StopVerdictOut(BaseModel):
    stop: bool
    reason: str
    fired_at: int | None = Field(None, description="Labels at which the rule first said stop.")


class ForecastTargetOut(BaseModel):
    target: float
    more_labels: int | None = Field(description="More labels to reach the target (None: not "
                                                "expected to get there).")
    low: int | None
    high: int | None
    reason: str


class ForecastOut(BaseModel):
    """The fitted learning curve of the estimates and how far the next targets are."""

    method: str | None = None
    plateau: float | None = None
    plateau_low: float | None = None
    plateau_high: float | None = None
    targets: list[ForecastTargetOut]
    reason: str = ""


class InsightsOut(BaseModel):
    """After the newest retrain: the accuracy estimate, each stopping rule's verdict (stabilizing
    predictions, overall uncertainty, max-confidence, forecast gain) and the forecast."""

    run: int
    n_labels: int
    at: str | None
    estimate: EstimateOut | None
    stopping: dict[str, StopVerdictOut]
    forecast: ForecastOut | None
    note: str = ""


class ProgressOut(BaseModel):
    labels_over_time: list[dict[str, Any]]
    learning_curve: list[dict[str, Any]]
    queue_scores: list[dict[str, Any]]
    runs: list[dict[str, Any]]
    per_class: dict[Label, int]
    insights: InsightsOut | None = Field(None, description="None before the first retrain.")


class VoteOut(BaseModel):
    annotator: str
    label: Label
    at: str


class DecisionOut(BaseModel):
    label: Label
    by: str
    at: str
    kind: Literal["review", "relabel"] = Field(
        description="review: from the review queue; relabel: an admin relabeled another's label.")


class ReviewItemOut(BaseModel):
    """An item as the reviewer sees it: its content, each annotator's label, the decision if
    any, and its current label by the rule (`status`)."""

    item_id: str
    kind: Literal["image", "text", "row"]
    content_url: str | None = Field(None, description="Where to GET an image item's file.")
    text: str | None = None
    fields: dict[str, Any] | None = None
    needed: int = Field(description="How many annotators' labels the item needs.")
    votes: list[VoteOut] = Field(description="Each annotator's label, in the order they gave it.")
    decision: DecisionOut | None
    label: Label | None = Field(description="The current label (None while the annotators tie).")
    status: Literal["labeled", "agreed", "majority", "reviewed", "unresolved", "pending"]


class ReviewListOut(BaseModel):
    """Items for the review queue: `open` — annotators disagree and no one has decided (ties
    first); `reviewed` — decided; `all` — every item with two labels or a decision."""

    state: Literal["open", "reviewed", "all"]
    total: int = Field(description="How many items are in this state (the list holds at most "
                                   "`limit`).")
    items: list[ReviewItemOut]


class ReviewIn(_In):
    item_id: ItemId
    label: Annotated[Name, Field(min_length=1, max_length=100, json_schema_extra={ENUM_MARK: "labels"})]
    request_id: RequestId


class ReviewOut(BaseModel):
    """A review written (or undone): the event, and the item after it."""

    event_id: int
    kind: Literal["review", "undo"]
    item_id: str
    label: Label | None = Field(description="The decision (None for an undo).")
    duplicate: bool = Field(description="True when this request_id was already recorded.")
    undone_event_id: int | None = None
    item: ReviewItemOut


class PairAgreementOut(BaseModel):
    a: str
    b: str
    items: int = Field(description="Items both annotators labeled.")
    observed: float = Field(ge=0, le=1, description="Share of those items they gave the same label.")
    cohen_kappa: float | None = Field(description="None when undefined (both used one label only).")


class LabelAgreementOut(BaseModel):
    label: Label
    pairs: int = Field(description="Pairs of labels of one item in which at least one is this label.")
    agreement: float | None = Field(description="Share of those pairs in which both are this label.")


class AgreementOut(BaseModel):
    """Inter-annotator agreement over the items two or more annotators labeled (each
    annotator's current label of each item)."""

    items: int = Field(description="Items with labels from two or more annotators.")
    pairs: int = Field(description="Pairs of those labels that share an item.")
    observed: float | None = Field(description="Share of those pairs that agree.")
    krippendorff_alpha: float | None = Field(description="Krippendorff's alpha (nominal), any "
                                                         "number of labels per item.")
    fleiss_kappa: float | None = Field(description="Fleiss' kappa, when every such item has the "
                                                   "same number of labels.")
    note: str = ""
    per_pair: list[PairAgreementOut] = Field(description="Cohen's kappa of each two annotators.")
    per_label: list[LabelAgreementOut]
    confusion: dict[Label, dict[Label, int]] = Field(
        description="Pairs of labels given to the same item by two annotators: confusion[a][b] "
                    "= confusion[b][a] counts the pairs of a and b.")
    statuses: dict[str, int] = Field(description="Items per status of their current label.")
    open_reviews: int = Field(description="Items in the review queue (state open).")


class MeOut(BaseModel):
    name: str
    is_admin: bool
    annotator_count: int
    project: str
    labels: list[Label]
    task: Literal["classification", "multilabel", "regression", "stream"] = Field(
        "classification", description="What an answer is: one label, a set of labels, or a "
                                      "number; stream: one label, for the items a stream "
                                      "selector asked about as they arrived.")


class LoginIn(_In):
    """A bearer token or a one-time invitation code, exactly one."""

    token: Annotated[Name, Field(min_length=1, max_length=200)] | None = None
    code: Annotated[Name, Field(min_length=1, max_length=200)] | None = None

    @model_validator(mode="after")
    def _one_of(self):
        if (self.token is None) == (self.code is None):
            raise ValueError("send exactly one of token and code")
        return self


# -- stream projects (stream_service.py) -------------------------------------------------------


# A stream item's feature is a finite JSON number.
_a_feature = _finite_number(
    "each feature must be a JSON number (not a string, true/false or null)",
    "each feature must be a finite number: NaN and infinity are not features (impute or drop "
    "them before sending the item)")


Feature = Annotated[float, BeforeValidator(_a_feature)]


def stream_item_in(dim: int) -> type[BaseModel]:
    """The body of ``POST /api/stream/items`` for a project whose items have `dim` features
    (the width is in the document: minItems = maxItems = dim)."""

    class StreamItemIn(_In):
        """One arriving item: the learner decides at once whether to ask for its label."""

        item_id: ItemId
        features: Annotated[list[Feature], Field(
            min_length=dim, max_length=dim,
            description=f"The item's {dim} features: finite numbers, in the project's order.")]
        text: Annotated[str | None, Field(
            None, max_length=100_000,
            description="What the labeling page shows (default: the features).")] = None
        request_id: RequestId

    return StreamItemIn


class StreamDecisionOut(BaseModel):
    """The learner's decision on an arriving item (a retry answers the stored one)."""

    item_id: str
    seq: int = Field(description="The item's position in the stream (0-based, arrival order).")
    queried: bool = Field(description="Whether the item's label is asked for (it joins the "
                                      "labeling queue).")
    reason: Literal["rule", "cold_start", "budget"] = Field(
        description="rule: the selector decided; cold_start: no model yet, so the label is "
                    "bought while the budget allows; budget: the budget refused.")
    utility: float | None = Field(description="The selector's score (None at cold start).")
    predicted_label: Label | None = Field(description="The learner's label before seeing this "
                                                      "item's (None before any label).")
    probabilities: dict[str, float] | None = Field(
        description="Each label's probability (None until labels of two classes were learned).")
    items_seen: int
    labels_spent: int
    budget: float = Field(description="The labeling rate: labels_spent ≤ budget·items_seen + 1.")
    duplicate: bool = Field(description="True when this item was already decided (a retry).")


class StreamStatusOut(BaseModel):
    """The stream's counts and the learner's prequential accuracy."""

    items_seen: int
    labels_spent: int
    budget: float
    ceiling: float = Field(description="budget·items_seen + 1, the most labels that may be spent.")
    labels_learned: int
    labeled: int = Field(description="Queried items labeled so far.")
    prequential_n: int = Field(description="Labeled items that had a prediction when they arrived.")
    prequential_accuracy: float | None = Field(
        description="Test-then-train accuracy: the share of labeled items whose label the learner "
                    "predicted when they arrived (only labeled items count).")
    selector: str
    model: str
