"""Selection from pools that live in files or beyond one machine: `query_pool` runs a
strategy's algorithm over `ShardWorker`s on the local or the Ray backend (`activelab.backends`),
with the same picks as in memory for the exact strategies (`support.SUPPORT`)."""

from ..backends.ray import release
from .query import query_pool, select_rows
from .support import REFUSED, SUPPORT, describe, support_for

__all__ = ["REFUSED", "SUPPORT", "describe", "query_pool", "release", "select_rows", "support_for"]
