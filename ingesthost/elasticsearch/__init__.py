"""Move documents between Python and an Elasticsearch cluster.

A library layer with no knowledge of pipelines: :class:`IndexSource` reads
every document of an index once (point in time + ``search_after``,
optionally sliced and resumable), :class:`BulkSink` writes documents with
``_bulk`` and reports one outcome per document, and :mod:`.connection`
turns a URL and credentials into a client without ever showing a secret.
Works with the official ``elasticsearch`` client 8.13+ and 9.x.
"""

from .connection import (
    BulkResponseError,
    ConnectionSettings,
    Endpoint,
    EsAuthError,
    EsConfigError,
    EsError,
    EsRequestError,
    EsURLError,
    ResumeError,
    ShardFailureError,
    make_client,
    parse_url,
    redact,
    settings_from,
)
from .retry import Backoff
from .sink import BulkItem, BulkSink, DeadLetter, ItemResult, Outcome
from .source import Hit, IndexSource

__all__ = [
    "Backoff",
    "BulkItem",
    "BulkResponseError",
    "BulkSink",
    "ConnectionSettings",
    "DeadLetter",
    "Endpoint",
    "EsAuthError",
    "EsConfigError",
    "EsError",
    "EsRequestError",
    "EsURLError",
    "Hit",
    "IndexSource",
    "ItemResult",
    "Outcome",
    "ResumeError",
    "ShardFailureError",
    "make_client",
    "parse_url",
    "redact",
    "settings_from",
]
