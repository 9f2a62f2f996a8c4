"""Precompiled module artifacts: our header around a runtime's serialized module.

``Module.deserialize`` (wasmer's and wasmtime's alike) trusts its input
completely: a truncated payload can crash the process inside it, and a
flipped byte can load silently and run wrong machine code. So every artifact
carries a header of ours, and :func:`parse_artifact` and
:func:`check_compatible` check all of it (format, runtime and its version,
engine, target, CPU features, size and SHA-256 of the payload) before the
runtime sees a byte. The checksum catches accidents, not attackers: an artifact is native
code, so it must come from a build you trust.

Layout: ``MAGIC`` (8 bytes), header length (u32 little-endian), the header
as JSON (UTF-8), then the payload (``Module.serialize()`` output).
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import os
import struct
import tempfile
import platform
from pathlib import Path

from typing import Any

from .errors import IngestHostError

MAGIC = b"IHWASMA\x00"
FORMAT_VERSION = 1
MAX_HEADER = 64 * 1024
ENGINES = ("universal", "native")
#: The suffix ``ingesthost compile`` suggests: ``.ihu`` (universal) / ``.ihn`` (native).
SUFFIXES = {"universal": ".ihu", "native": ".ihn"}

# CPU feature names as wasmer spells them -> as /proc/cpuinfo spells them.
_CPUINFO_FLAGS = {
    "sse2": "sse2",
    "sse3": "pni",
    "ssse3": "ssse3",
    "sse4.1": "sse4_1",
    "sse4.2": "sse4_2",
    "popcnt": "popcnt",
    "avx": "avx",
    "bmi": "bmi1",
    "bmi2": "bmi2",
    "avx2": "avx2",
    "avx512dq": "avx512dq",
    "avx512vl": "avx512vl",
    "lzcnt": "abm",
}
KNOWN_CPU_FEATURES = tuple(_CPUINFO_FLAGS)


class ArtifactError(IngestHostError):
    """An artifact that must not be loaded: damaged, or built for another host."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"refusing artifact {path}: {problem}")
        self.path = path
        self.problem = problem


def host_triple() -> str:
    """This host as a target triple (``x86_64-unknown-linux-gnu``), spelled as wasmer does."""
    machine = platform.machine().lower()
    machine = {"amd64": "x86_64", "arm64": "aarch64"}.get(machine, machine)
    system = platform.system()
    if system == "Linux":
        libc = platform.libc_ver()[0]
        return f"{machine}-unknown-linux-{'gnu' if libc in ('glibc', '') else 'musl'}"
    if system == "Darwin":
        return f"{machine}-apple-darwin"
    if system == "Windows":
        return f"{machine}-pc-windows-msvc"
    return f"{machine}-unknown-{system.lower()}"


def host_cpu_features() -> tuple[str, ...]:
    """The wasmer-relevant CPU features of this machine (x86_64 Linux; empty elsewhere).

    wasmer compiles for the host's features when no target is given, so an
    artifact records them and refuses to load on a CPU lacking any of them
    (running it there would die on an illegal instruction).
    """
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="ascii", errors="replace")
    except OSError:
        return ()
    flags: set[str] = set()
    for line in text.splitlines():
        if line.startswith("flags"):
            flags.update(line.partition(":")[2].split())
            break
    return tuple(name for name, flag in _CPUINFO_FLAGS.items() if flag in flags)


@dataclasses.dataclass(frozen=True)
class ArtifactHeader:
    compiler: str
    engine: str
    target: str
    cpu_features: tuple[str, ...]
    source_sha256: str
    payload_sha256: str
    payload_size: int
    #: The runtime that serialized the payload, and its version: only the same loads it.
    runtime: str
    runtime_version: str
    format: int = FORMAT_VERSION
    created_by: str = "ingesthost"

    def to_json(self) -> bytes:
        data = dataclasses.asdict(self)
        data["cpu_features"] = list(self.cpu_features)
        return json.dumps(data, sort_keys=True).encode("utf-8")

    @classmethod
    def from_json(cls, raw: bytes, path: str) -> "ArtifactHeader":
        try:
            data = json.loads(raw.decode("utf-8"))
            if not isinstance(data, dict):
                raise ValueError("not an object")
            if "runtime" not in data and "wasmer_version" in data:  # written before wasmtime was added
                data["runtime"], data["runtime_version"] = "wasmer", data["wasmer_version"]
            fields = {f.name for f in dataclasses.fields(cls)}
            missing = fields - set(data)
            if missing:
                raise ValueError(f"missing {', '.join(sorted(missing))}")
            data = {k: v for k, v in data.items() if k in fields}
            data["cpu_features"] = tuple(data["cpu_features"])
            header = cls(**data)
        except (UnicodeDecodeError, ValueError, TypeError) as exc:
            raise ArtifactError(path, f"unreadable header ({exc})") from None
        return header


def encode_artifact(header: ArtifactHeader, payload: bytes) -> bytes:
    head = header.to_json()
    return MAGIC + struct.pack("<I", len(head)) + head + payload


def make_artifact(
    module: Any,
    source: bytes,
    *,
    compiler: str,
    engine: str,
    runtime: str,
    runtime_version: str,
    target: str | None = None,
    cpu_features: tuple[str, ...] | None = None,
) -> bytes:
    """Serialize ``module`` (compiled from ``source`` by ``runtime``) with our header."""
    payload = module.serialize()
    header = ArtifactHeader(
        compiler=compiler,
        engine=engine,
        target=target or host_triple(),
        cpu_features=tuple(sorted(host_cpu_features() if cpu_features is None else cpu_features)),
        source_sha256=hashlib.sha256(source).hexdigest(),
        payload_sha256=hashlib.sha256(payload).hexdigest(),
        payload_size=len(payload),
        runtime=runtime,
        runtime_version=runtime_version,
    )
    return encode_artifact(header, payload)


def is_artifact(data: bytes) -> bool:
    return data[: len(MAGIC)] == MAGIC


def parse_artifact(data: bytes, path: str) -> tuple[ArtifactHeader, bytes]:
    """Split and check the integrity of an artifact (not yet its fit for this host)."""
    if not is_artifact(data):
        raise ArtifactError(path, "not an ingesthost artifact (bad magic)")
    if len(data) < len(MAGIC) + 4:
        raise ArtifactError(path, "truncated before its header")
    (head_len,) = struct.unpack_from("<I", data, len(MAGIC))
    start = len(MAGIC) + 4
    if head_len > MAX_HEADER or start + head_len > len(data):
        raise ArtifactError(path, "truncated or corrupt header")
    header = ArtifactHeader.from_json(data[start : start + head_len], path)
    payload = data[start + head_len :]
    if header.format != FORMAT_VERSION:
        raise ArtifactError(
            path, f"artifact format {header.format}, this ingesthost reads format {FORMAT_VERSION}: recompile it"
        )
    if len(payload) != header.payload_size:
        raise ArtifactError(
            path, f"payload is {len(payload)} bytes, the header says {header.payload_size}: truncated or padded"
        )
    if hashlib.sha256(payload).hexdigest() != header.payload_sha256:
        raise ArtifactError(path, "payload checksum mismatch: the artifact was altered or damaged")
    return header, payload


def check_compatible(header: ArtifactHeader, path: str, runtime: str, runtime_version: str) -> None:
    """Refuse artifacts built by another runtime or version, or for another
    engine kind, target or CPU, than ``runtime`` at ``runtime_version``."""
    if header.runtime != runtime:
        raise ArtifactError(
            path,
            f"built by the {header.runtime} runtime, and this processor runs on {runtime}: an artifact "
            f"loads only in the runtime that compiled it (run it with --runtime {header.runtime}, or "
            f"recompile it with `ingesthost compile --runtime {runtime}`)",
        )
    if header.runtime_version != runtime_version:
        raise ArtifactError(
            path,
            f"built by {runtime} {header.runtime_version}, this host runs {runtime} {runtime_version}: recompile it",
        )
    if header.engine not in ENGINES:
        raise ArtifactError(path, f"unknown engine [{header.engine}]")
    triple = host_triple()
    if header.target != triple:
        raise ArtifactError(path, f"built for target {header.target}, this host is {triple}")
    missing = sorted(set(header.cpu_features) - set(host_cpu_features()))
    if missing:
        raise ArtifactError(path, f"needs CPU features this host lacks: {', '.join(missing)}")


def write_atomic(path: Path, data: bytes) -> None:
    """Write via a temporary file and rename, so readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as stream:
            stream.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
