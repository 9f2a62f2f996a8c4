"""Where the cluster is, how to authenticate to it, and what went wrong.

Three jobs, all about keeping the cluster's address and credentials
straight:

* :func:`parse_url` turns ``es://HOST:PORT/INDEX`` (``ess://`` for https,
  or a plain ``http(s)://`` URL) into a base URL and an index, refusing a
  bad URL with an error that names the part that is wrong.
* :func:`settings_from` gathers the credentials (arguments, URL userinfo or
  environment variables) into a :class:`ConnectionSettings` whose ``repr``
  shows which kind of credential is set, never its value, and whose
  :meth:`~ConnectionSettings.redact` scrubs any of them out of a message.
* :func:`make_client` builds the official client with the transport's own
  retries off: :mod:`ingesthost.elasticsearch.retry` decides what to retry,
  so that nothing is retried twice over.

The exceptions of the subpackage live here too, because turning a client
error into one of them is where redaction must happen.
"""

from __future__ import annotations

import base64
import binascii
import logging
import os
import re
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Mapping
from urllib.parse import quote, unquote, urlsplit

import elastic_transport
import elasticsearch

from ingesthost.errors import IngestHostError

log = logging.getLogger(__name__)

REDACTED = "[REDACTED]"

#: Environment variables read by :func:`settings_from` (the names the
#: Elastic tools use).
ENV_URL = "ELASTICSEARCH_URL"
ENV_API_KEY = "ELASTIC_API_KEY"
ENV_USERNAME = "ELASTICSEARCH_USERNAME"
ENV_PASSWORD = "ELASTICSEARCH_PASSWORD"
ENV_BEARER_TOKEN = "ELASTICSEARCH_BEARER_TOKEN"
ENV_CA_CERTS = "ELASTICSEARCH_CA_CERTS"

_SCHEMES = {"es": ("http", 9200), "ess": ("https", 443), "http": ("http", 80), "https": ("https", 443)}
# Characters Elasticsearch refuses in an index name ("*" and "," are kept:
# they are multi-target syntax, valid to read from).
_BAD_INDEX_CHARS = set('\\/?"<>| #:')


# --------------------------------------------------------------------------
# errors


class EsError(IngestHostError):
    """Base class of the errors of :mod:`ingesthost.elasticsearch`."""


class EsConfigError(EsError, ValueError):
    """A URL, a credential or an option is unusable; nothing was sent.

    ``part`` names what is wrong ("port", "index", "credentials"...).
    """

    def __init__(self, problem: str, *, part: str) -> None:
        super().__init__(problem)
        self.problem = problem
        self.part = part


class EsURLError(EsConfigError):
    """An Elasticsearch URL cannot be used. ``url`` is shown without userinfo."""

    def __init__(self, url: str, part: str, problem: str) -> None:
        shown = strip_userinfo(url)
        super().__init__(f"bad Elasticsearch URL {shown!r}: {part}: {problem}", part=part)
        self.url = shown


class EsRequestError(EsError):
    """The cluster answered with an error, or could not be reached.

    ``status`` is the HTTP status (None for a connection failure),
    ``error_type`` and ``reason`` are Elasticsearch's ``error.type`` and
    ``error.reason`` (or the transport's exception name and message), all
    already redacted.
    """

    def __init__(self, what: str, *, status: int | None, error_type: str, reason: str) -> None:
        where = f"status {status}" if status is not None else "no response"
        super().__init__(f"{what} failed ({where}, {error_type}): {reason}")
        self.what = what
        self.status = status
        self.error_type = error_type
        self.reason = reason


class EsAuthError(EsRequestError):
    """401/403: the credentials are wrong or lack a privilege. Never retried."""


class ShardFailureError(EsRequestError):
    """A search answered with ``_shards.failed > 0`` or ``timed_out``.

    Its hits are incomplete; reading on would leave a silent gap.
    """


class BulkResponseError(EsRequestError):
    """A ``_bulk`` response that does not match its request (item count or
    operation). Results cannot be attributed to documents, so nothing is
    guessed."""


class ResumeError(EsConfigError):
    """A resume position cannot be honoured safely with these options."""


# --------------------------------------------------------------------------
# redaction

_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@]*@")
_AUTH_HEADER = re.compile(r"(?i)(authorization[\"']?\s*[:=]\s*[\"']?)[^\"',}\r\n]+")


def strip_userinfo(text: str) -> str:
    """Remove ``user:password@`` from every URL in ``text``, and the value of
    any ``Authorization`` header that an error message echoes."""
    text = _USERINFO.sub(lambda m: m.group(1) + REDACTED + "@", text)
    return _AUTH_HEADER.sub(lambda m: m.group(1) + REDACTED, text)


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """Return ``text`` without URL userinfo, Authorization values and any of
    ``secrets`` (longest first, so that a secret containing another one is
    removed whole)."""
    text = strip_userinfo(text)
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text


# --------------------------------------------------------------------------
# URLs


@dataclass(frozen=True)
class Endpoint:
    """A cluster's base URL (scheme, host, port, optional path prefix; never
    userinfo) and the index named in the URL path, if any."""

    base_url: str
    index: str | None


def parse_url(url: str) -> Endpoint:
    """Split an Elasticsearch URL into base URL and index.

    ``es://`` means http and defaults to port 9200; ``ess://`` means https
    and defaults to 443; ``http(s)://`` default to 80/443. The last path
    segment is the index; earlier segments are a path prefix (a cluster
    behind a reverse proxy). Credentials in the userinfo are accepted but
    dropped here: :func:`settings_from` reads them.
    """
    return _parse(url)[0]


def _parse(url: str) -> tuple[Endpoint, str | None, str | None]:
    if not isinstance(url, str) or not url.strip():
        raise EsURLError(str(url), "url", "empty")
    url = url.strip()
    if "://" not in url:
        raise EsURLError(url, "scheme", "missing (expected es://, ess://, http:// or https://)")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        part = "port" if "port" in str(exc).lower() else "host"
        raise EsURLError(url, part, strip_userinfo(str(exc))) from None
    if port == 0:
        raise EsURLError(url, "port", "0 is not a port a cluster listens on")
    scheme = parts.scheme.lower()
    if scheme not in _SCHEMES:
        raise EsURLError(url, "scheme", f"{parts.scheme!r} is not one of es, ess, http, https")
    http_scheme, default_port = _SCHEMES[scheme]
    host = parts.hostname
    if not host:
        raise EsURLError(url, "host", "missing")
    if parts.query:
        raise EsURLError(url, "query", "query strings are not supported; pass options as arguments")
    if parts.fragment:
        raise EsURLError(url, "fragment", "not supported")
    username = unquote(parts.username) if parts.username is not None else None
    password = unquote(parts.password) if parts.password is not None else None
    if username is not None and password is None:
        raise EsURLError(url, "userinfo", "a user name without a password")
    if username == "" and password:
        raise EsURLError(url, "userinfo", "a password without a user name")

    segments = [unquote(s) for s in parts.path.split("/") if s]
    index = segments.pop() if segments else None
    if index is not None:
        problem = index_name_problem(index)
        if problem:
            raise EsURLError(url, "index", problem)
    netloc_host = f"[{host}]" if ":" in host else host
    prefix = "".join("/" + quote(s, safe="") for s in segments)
    base = f"{http_scheme}://{netloc_host}:{port or default_port}{prefix}"
    return Endpoint(base, index), username, password


def index_name_problem(name: str) -> str | None:
    """Why Elasticsearch would refuse ``name`` as an index (or a comma list
    of indices, aliases and wildcard patterns), or None."""
    for position, part in enumerate(name.split(",")):
        if not part:
            return f"{name!r} has an empty name in its comma-separated list"
        if part != part.lower():
            return f"{part!r} must be lowercase"
        bad = sorted(set(part) & _BAD_INDEX_CHARS)
        if bad:
            return f"{part!r} contains {''.join(bad)!r}"
        if part in (".", ".."):
            return f"{part!r} is not a valid index name"
        if part[0] in "_+" or (part[0] == "-" and position == 0):
            return f"{part!r} must not start with {part[0]!r}"
        if len(part.encode("utf-8")) > 255:
            return f"{part[:20]!r}... is longer than 255 bytes"
    return None


# --------------------------------------------------------------------------
# settings


@dataclass(frozen=True, repr=False)
class ConnectionSettings:
    """Everything needed to talk to one cluster.

    At most one kind of credential is set. ``repr`` (and ``str``) name the
    kind and the user name, never a secret.
    """

    base_url: str
    index: str | None = None
    api_key: str | None = None
    username: str | None = None
    password: str | None = None
    bearer_token: str | None = None
    ca_certs: str | None = None
    verify_certs: bool = True
    request_timeout: float = 60.0

    def __post_init__(self) -> None:
        kinds = self.credential_kinds()
        if len(kinds) > 1:
            raise EsConfigError(f"more than one kind of credential given: {', '.join(kinds)}", part="credentials")
        if (self.username is None) != (self.password is None):
            missing = "password" if self.password is None else "user name"
            raise EsConfigError(f"basic authentication needs a user name and a password; the {missing} is missing",
                                part="credentials")
        if self.request_timeout <= 0:
            raise EsConfigError(f"request_timeout must be positive, got {self.request_timeout}", part="request_timeout")

    def credential_kinds(self) -> list[str]:
        """The kinds of credential set: a subset of api_key, basic, bearer."""
        kinds = []
        if self.api_key:
            kinds.append("api_key")
        if self.username is not None or self.password is not None:
            kinds.append("basic")
        if self.bearer_token:
            kinds.append("bearer")
        return kinds

    def secrets(self) -> list[str]:
        """Every string that must not be shown: the secrets themselves and
        the forms they take on the wire (base64 ``user:password``, an API
        key's ``id:key`` halves and encodings, percent-encoding)."""
        out: list[str] = []
        if self.password:
            out += [self.password, quote(self.password, safe="")]
            out.append(base64.b64encode(f"{self.username}:{self.password}".encode()).decode())
        if self.bearer_token:
            out.append(self.bearer_token)
        if self.api_key:
            out += _api_key_forms(self.api_key)
        return out

    def redact(self, text: str) -> str:
        """``text`` without any of this cluster's secrets or URL userinfo."""
        return redact(text, self.secrets())

    def __repr__(self) -> str:
        kinds = self.credential_kinds()
        auth = kinds[0] if kinds else "none"
        if auth == "basic":
            auth = f"basic(user={self.username!r})"
        extra = ""
        if self.ca_certs:
            extra += f", ca_certs={self.ca_certs!r}"
        if not self.verify_certs:
            extra += ", verify_certs=False"
        return (f"ConnectionSettings(base_url={self.base_url!r}, index={self.index!r}, auth={auth}{extra}, "
                f"request_timeout={self.request_timeout})")

    __str__ = __repr__


def _api_key_forms(api_key: str) -> list[str]:
    forms = [api_key]
    if ":" in api_key:
        secret = api_key.partition(":")[2]
        forms += [secret, base64.b64encode(api_key.encode()).decode()]
    else:
        try:
            decoded = base64.b64decode(api_key, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            decoded = ""
        if ":" in decoded:
            forms += [decoded, decoded.partition(":")[2]]
    return [f for f in forms if f]


def settings_from(
    url: str | None = None,
    *,
    api_key: str | None = None,
    username: str | None = None,
    password: str | None = None,
    bearer_token: str | None = None,
    ca_certs: str | None = None,
    insecure: bool = False,
    request_timeout: float = 60.0,
    environ: Mapping[str, str] | None = None,
) -> ConnectionSettings:
    """Build :class:`ConnectionSettings` from arguments and the environment.

    ``url`` falls back to ``ELASTICSEARCH_URL``. Credentials come from one
    place only, so that a stray variable never mixes with what the caller
    chose: the arguments and the URL's userinfo if any of them is given,
    else ``ELASTIC_API_KEY`` / ``ELASTICSEARCH_USERNAME`` +
    ``ELASTICSEARCH_PASSWORD`` / ``ELASTICSEARCH_BEARER_TOKEN``. The CA
    certificate path falls back to ``ELASTICSEARCH_CA_CERTS``.
    ``environ`` defaults to :data:`os.environ` (pass a dict in tests).
    """
    env = os.environ if environ is None else environ
    if url is None:
        url = env.get(ENV_URL)
        if not url:
            raise EsConfigError(f"no Elasticsearch URL given and {ENV_URL} is not set", part="url")
    endpoint, url_user, url_password = _parse(url)

    if url_user is not None and (username is not None or password is not None):
        raise EsConfigError("credentials given both in the URL and as arguments", part="credentials")
    if url_user is not None:
        username, password = url_user, url_password
    explicit = any(v is not None for v in (api_key, username, password, bearer_token))
    if not explicit:
        api_key = env.get(ENV_API_KEY) or None
        username = env.get(ENV_USERNAME) or None
        password = env.get(ENV_PASSWORD) or None
        bearer_token = env.get(ENV_BEARER_TOKEN) or None
    if ca_certs is None:
        ca_certs = env.get(ENV_CA_CERTS) or None
    if ca_certs is not None and not os.path.isfile(ca_certs):
        raise EsConfigError(f"CA certificate file {ca_certs!r} does not exist", part="ca_certs")
    return ConnectionSettings(
        base_url=endpoint.base_url,
        index=endpoint.index,
        api_key=api_key,
        username=username,
        password=password,
        bearer_token=bearer_token,
        ca_certs=ca_certs,
        verify_certs=not insecure,
        request_timeout=request_timeout,
    )


def make_client(settings: ConnectionSettings) -> elasticsearch.Elasticsearch:
    """The official client for ``settings``, with its own retries off.

    ``max_retries=0`` and ``retry_on_timeout=False``: the source and the
    sink retry by themselves, with backoff and per-item decisions the
    transport cannot make; leaving both on would multiply the attempts.
    TLS options only apply to https URLs.
    """
    kwargs: dict[str, Any] = {
        "request_timeout": settings.request_timeout,
        "max_retries": 0,
        "retry_on_timeout": False,
        "retry_on_status": (),
    }
    if settings.api_key:
        kwargs["api_key"] = settings.api_key
    elif settings.username is not None:
        kwargs["basic_auth"] = (settings.username, settings.password)
    elif settings.bearer_token:
        kwargs["bearer_auth"] = settings.bearer_token
    if settings.base_url.startswith("https://"):
        if settings.ca_certs:
            kwargs["ca_certs"] = settings.ca_certs
        if not settings.verify_certs:
            log.warning("TLS certificate verification is off for %s", settings.base_url)
            kwargs["verify_certs"] = False
            kwargs["ssl_show_warn"] = False
    elif settings.ca_certs or not settings.verify_certs:
        log.debug("TLS options ignored: %s is not https", settings.base_url)
    return elasticsearch.Elasticsearch(settings.base_url, **kwargs)


# --------------------------------------------------------------------------
# turning client exceptions into ours


def request_error(
    exc: BaseException, *, what: str, redact: Callable[[str], str] = strip_userinfo
) -> EsRequestError:
    """Our error for a client exception, with every text redacted.

    Only the status, ``error.type`` and ``error.reason`` (plus the first
    root cause and ``caused_by`` reasons when they differ) are kept: never
    the request, its headers or the raw body.
    """
    if isinstance(exc, elasticsearch.ApiError):
        status = exc.meta.status
        error_type, reason = describe_body(exc.body)
        cls = EsAuthError if status in (401, 403) else EsRequestError
        return cls(what, status=status, error_type=redact(error_type), reason=redact(reason))
    if isinstance(exc, elastic_transport.TransportError):
        return EsRequestError(what, status=None, error_type=type(exc).__name__, reason=redact(str(exc.message)))
    return EsRequestError(what, status=None, error_type=type(exc).__name__, reason=redact(str(exc)))


def describe_body(body: object) -> tuple[str, str]:
    """``(error.type, reason)`` out of an Elasticsearch error body (or of
    whatever a proxy sent instead)."""
    if isinstance(body, Mapping):
        error = body.get("error")
        if isinstance(error, Mapping):
            return str(error.get("type", "unknown")), _reasons(error)
        if isinstance(error, str):
            return "error", error
        return "unknown", _clip(str(dict(body)))
    if isinstance(body, (bytes, bytearray)):
        body = body.decode("utf-8", "replace")
    text = str(body or "").strip()
    return "unknown", _clip(text) if text else "(empty body)"


def _reasons(error: Mapping[str, Any]) -> str:
    seen: list[str] = []
    candidates = [error.get("reason")]
    roots = error.get("root_cause")
    if isinstance(roots, list) and roots and isinstance(roots[0], Mapping):
        candidates.append(roots[0].get("reason"))
    caused = error.get("caused_by")
    if isinstance(caused, Mapping):
        candidates.append(caused.get("reason"))
    for reason in candidates:
        if reason and str(reason) not in seen:
            seen.append(str(reason))
    return _clip("; ".join(seen)) if seen else "(no reason given)"


def _clip(text: str, limit: int = 500) -> str:
    return text if len(text) <= limit else text[:limit] + "..."
