"""What ``ingesthost serve`` is told: where pipelines are, where documents
go, and the limits that keep it bounded against any client."""

from __future__ import annotations

import dataclasses
import hmac
from pathlib import Path

from ..errors import IngestHostError


@dataclasses.dataclass(frozen=True)
class Credentials:
    """Inbound authentication: API keys (``Authorization: ApiKey <key>``, the
    key as the client sends it, base64 of ``id:api_key``) and users for basic
    authentication. Empty: no authentication (the default, with the server
    on 127.0.0.1). Never shown: ``repr`` hides everything."""

    api_keys: tuple[str, ...] = ()
    users: tuple[tuple[str, str], ...] = ()

    @property
    def required(self) -> bool:
        return bool(self.api_keys or self.users)

    def accepts_api_key(self, key: str) -> bool:
        """Constant time in the key's content: every configured key is compared."""
        matched = False
        for known in self.api_keys:
            matched |= hmac.compare_digest(known.encode(), key.encode())
        return matched

    def accepts_user(self, user: str, password: str) -> bool:
        matched = False
        for known_user, known_password in self.users:
            same_user = hmac.compare_digest(known_user.encode(), user.encode())
            same_password = hmac.compare_digest(known_password.encode(), password.encode())
            matched |= same_user & same_password
        return matched

    def __repr__(self) -> str:
        return f"Credentials({len(self.api_keys)} api keys, {len(self.users)} users)"

    @classmethod
    def from_file(cls, path: str) -> "Credentials":
        """Lines ``apikey KEY`` or ``basic USER:PASSWORD``; ``#`` starts a comment."""
        keys: list[str] = []
        users: list[tuple[str, str]] = []
        try:
            text = Path(path).read_text()
        except OSError as exc:
            raise IngestHostError(f"cannot read the credentials file {path}: {exc.strerror or exc}") from None
        for number, line in enumerate(text.splitlines(), 1):
            line = line.split("#", 1)[0].strip()
            if not line:
                continue
            kind, _, value = line.partition(" ")
            value = value.strip()
            if kind == "apikey" and value:
                keys.append(value)
            elif kind == "basic" and ":" in value:
                user, _, password = value.partition(":")
                users.append((user, password))
            else:  # never echo the line: it may hold a secret
                raise IngestHostError(f"{path} line {number}: expected 'apikey KEY' or 'basic USER:PASSWORD'")
        return cls(tuple(keys), tuple(users))


@dataclasses.dataclass(frozen=True)
class ServeSettings:
    """Everything the server needs; the CLI builds it from options."""

    pipelines_dir: str
    #: ``es://HOST:PORT`` (the cluster documents are forwarded to), or None
    #: with ``forward_ndjson`` set.
    forward: str | None = None
    #: A directory: documents appended to ``INDEX.ndjson`` files there.
    forward_ndjson: str | None = None
    #: The pipeline for actions that name none (None: no pipeline).
    default_pipeline: str | None = None
    #: Where documents a pipeline failed go (NDJSON, appended).
    failures: str = "serve.failures.ndjson"
    #: Worker processes per pipeline.
    workers: int = 1
    isolation: str = "process"
    timeout: float | None = None
    #: Largest request body accepted (after decompression too).
    max_body_bytes: int = 100 * 1024 * 1024
    #: Documents being processed at once; beyond that a request gets 429.
    max_in_flight_documents: int = 50_000
    #: Bytes of request bodies held at once (read or decompressed), all
    #: requests together; beyond that a request gets 429 while it is read.
    max_in_flight_bytes: int = 512 * 1024 * 1024
    #: The version ``GET /`` reports when the client's User-Agent names none.
    version: str = "8.17.0"
    credentials: Credentials = Credentials()
    #: Forwarding retries (the sink's rules).
    max_retries: int = 5

    def __post_init__(self) -> None:
        if (self.forward is None) == (self.forward_ndjson is None):
            raise IngestHostError("serve needs one of --forward es://HOST:PORT and --forward-ndjson DIR")
        if min(self.max_body_bytes, self.max_in_flight_documents, self.max_in_flight_bytes, self.workers) < 1:
            raise IngestHostError("--max-body-bytes, --max-in-flight, --max-in-flight-bytes and --workers must be positive")
