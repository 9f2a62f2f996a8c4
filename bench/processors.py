"""Per-processor speed: each built-in processor next to the same edit in plain Python.

    .venv/bin/python bench/processors.py [--docs 10000] [--rounds 5] [--only grok,date] [--default-gc]

For each built-in processor (set, remove, rename, lowercase, uppercase,
trim, split, join, gsub, html_strip, urldecode, append, convert, bytes, json,
dot_expander, sort, fingerprint, kv, dissect, foreach, date, grok,
community_id, csv, uri_parts) two variants turn the same NDJSON lines into
output lines:

* ingesthost: a one-processor pipeline (``Pipeline.from_definition``) through
  ``Pipeline.run`` in this process, the path of ``ingesthost process
  --isolation none`` (orjson parses and serialises there);
* Python: ``orjson.loads`` per line, a plain function making the same edit on
  the dict, ``orjson.dumps``: what someone would write by hand without
  ingesthost.

Before timing, both variants run on every document and must give equal
documents, so each pair really is the same edit on the same data. The
documents (``--docs``, ~1000 bytes, fixed seed) hold a field for every
processor; each processor touches its own fields only. Next to the pairs:
the orjson floor (loads + dumps, no edit) and the empty pipeline, so that
the edit itself can be read off (``edit us`` = variant minus its floor:
ingesthost minus the empty pipeline, Python minus orjson alone; it can come
out slightly negative for the cheapest edits, which is noise).

Variants run interleaved, round after round (in a shuffled order, the same
for a given round number), and medians are reported: the machine may be
shared, so ratios from one run mean more than the absolute figures.
``speed vs Python`` is ingesthost's docs/s over Python's (below 1: slower).
The process collects garbage as the CLI does
(``ingesthost.process_settings``) unless ``--default-gc``. A run on demand,
not a test: nothing here runs in CI.
"""

from __future__ import annotations

import argparse
import base64
import csv
import hashlib
import html
import io
import ipaddress
import os
import random
import re
import statistics
import struct
import sys
import time
import urllib.parse
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from ingesthost import Pipeline
from ingesthost.process_settings import tune_garbage_collector

Edit = Callable[[dict[str, Any]], None]

# -- the documents ---------------------------------------------------------------------------

USERS = ["Alice", "BOB", "Carol", "dave", "Erin", "FRANK"]
METHODS = ["get", "post", "put", "delete"]
WORDS = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"]
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
UNITS = ["b", "kb", "mb", "gb"]


def make_docs(count: int, seed: int = 7) -> list[dict[str, Any]]:
    """``count`` documents with a field for each processor; values vary per document."""
    rng = random.Random(seed)
    docs = []
    for i in range(count):
        ip = f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
        server = f"192.168.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
        method = rng.choice(METHODS).upper()
        path = f"/api/{rng.choice(WORDS)}/{rng.randint(1, 99999)}"
        status = rng.choice([200, 200, 201, 301, 404, 500])
        size = rng.randint(100, 99999)
        stamp = (f"{rng.randint(1, 28):02d}/{rng.choice(MONTHS)}/2026:{rng.randint(0, 23):02d}:"
                 f"{rng.randint(0, 59):02d}:{rng.randint(0, 59):02d} +0{rng.randint(0, 5)}00")
        tags = rng.sample(WORDS, 4)
        docs.append({
            "user": {"name": rng.choice(USERS) + str(i % 97)},
            "http": {"method": method.lower(), "status_text": str(status)},
            "padded": "  " + rng.choice(WORDS) + " " + rng.choice(WORDS) + "   ",
            "csv": ",".join(rng.sample(WORDS, 5)),
            "tags": tags,
            "url": {"path": path, "query": urllib.parse.quote_plus(f"q={rng.choice(WORDS)} & x/{i}")},
            "snippet": f"<span>Hello <b>{rng.choice(USERS)}</b> &amp; <i>{rng.choice(WORDS)}</i></span>",
            "size_text": f"{rng.randint(1, 900)}{rng.choice(UNITS)}",
            "payload": orjson.dumps({"id": i, "ok": rng.random() < 0.9, "score": round(rng.random(), 3)}).decode(),
            "labels.env": rng.choice(["prod", "staging", "dev"]),
            "numbers": [rng.randint(0, 1000) for _ in range(6)],
            "kvtext": f"a={rng.randint(0, 9)} b={rng.choice(WORDS)} c={rng.randint(100, 999)}",
            "access": f'{ip} - - [{stamp}] "{method} {path} HTTP/1.1" {status} {size}',
            "ts": stamp,
            "message": f"{ip} {method} {path}?page={rng.randint(1, 9)} {size} {rng.random() * 10:.3f}",
            "source": {"ip": ip, "port": rng.randint(1024, 65535)},
            "destination": {"ip": server, "port": rng.choice([80, 443, 8080])},
            "network": {"transport": "tcp"},
            "remove_me": rng.choice(WORDS),
            "rename_me": rng.randint(0, 10**6),
            # csv and uri_parts: made from the values above (no more draws, so the other fields stay as they were)
            "row": f'{ip},"{stamp}",{method},{path},{status},{size}',
            "referrer": f"https://shop.example.com:8443{path}/page{i % 7}.html?ref={method.lower()}&n={i}#top",
        })
    return docs


# -- the edits, as a processor and in plain Python --------------------------------------------------


def _set(doc: dict[str, Any]) -> None:
    doc["event"] = {"kind": "bench"}


def _remove(doc: dict[str, Any]) -> None:
    del doc["remove_me"]


def _rename(doc: dict[str, Any]) -> None:
    doc["renamed"] = doc.pop("rename_me")


def _lowercase(doc: dict[str, Any]) -> None:
    doc["user"]["name"] = doc["user"]["name"].lower()


def _uppercase(doc: dict[str, Any]) -> None:
    doc["http"]["method"] = doc["http"]["method"].upper()


def _trim(doc: dict[str, Any]) -> None:
    doc["padded"] = doc["padded"].strip()


def _split(doc: dict[str, Any]) -> None:
    doc["csv"] = doc["csv"].split(",")


def _join(doc: dict[str, Any]) -> None:
    doc["tags_text"] = "|".join(doc["tags"])


_DIGITS = re.compile(r"/[0-9]+")


def _gsub(doc: dict[str, Any]) -> None:
    url = doc["url"]
    url["path"] = _DIGITS.sub("/:id", url["path"])


_TAG = re.compile(r"<[^>]*>")


def _html_strip(doc: dict[str, Any]) -> None:
    doc["snippet"] = html.unescape(_TAG.sub("", doc["snippet"]))  # inline tags only: no line breaks


def _urldecode(doc: dict[str, Any]) -> None:
    url = doc["url"]
    url["query"] = urllib.parse.unquote_plus(url["query"])


def _append(doc: dict[str, Any]) -> None:
    doc["tags"].append("bench")


def _convert(doc: dict[str, Any]) -> None:
    http = doc["http"]
    http["status"] = int(http["status_text"])


_SIZE = re.compile(r"([0-9]+)([a-z]+)")
_UNIT = {"b": 1, "kb": 1024, "mb": 1024**2, "gb": 1024**3}


def _bytes(doc: dict[str, Any]) -> None:
    number, unit = _SIZE.fullmatch(doc["size_text"]).groups()  # type: ignore[union-attr]
    doc["size"] = int(number) * _UNIT[unit]


def _json(doc: dict[str, Any]) -> None:
    doc["payload"] = orjson.loads(doc["payload"])


def _dot_expander(doc: dict[str, Any]) -> None:
    doc["labels"] = {"env": doc.pop("labels.env")}


def _sort(doc: dict[str, Any]) -> None:
    doc["numbers"].sort()


def _fingerprint(doc: dict[str, Any]) -> None:
    data = b"\x00" + doc["source"]["ip"].encode() + b"\x00" + doc["user"]["name"].encode()
    doc["fingerprint"] = base64.b64encode(hashlib.sha1(data).digest()).decode()


def _kv(doc: dict[str, Any]) -> None:
    doc["kv"] = dict(pair.split("=", 1) for pair in doc["kvtext"].split(" "))


_ACCESS = re.compile(r'(\S+) (\S+) (\S+) \[([^\]]*)\] "(\S+) (\S+) HTTP/(\S+)" (\S+) (\S+)')
_ACCESS_FIELDS = ("clientip", "ident", "auth", "timestamp", "verb", "request", "httpversion", "status", "size")


def _dissect(doc: dict[str, Any]) -> None:
    match = _ACCESS.fullmatch(doc["access"])
    assert match is not None
    doc.update(zip(_ACCESS_FIELDS, match.groups()))


def _foreach(doc: dict[str, Any]) -> None:
    doc["tags"] = [tag.upper() for tag in doc["tags"]]


def _date(doc: dict[str, Any]) -> None:
    parsed = datetime.strptime(doc["ts"], "%d/%b/%Y:%H:%M:%S %z").astimezone(timezone.utc)
    doc["@timestamp"] = parsed.strftime("%Y-%m-%dT%H:%M:%S.") + f"{parsed.microsecond // 1000:03d}Z"


_GROK = re.compile(r"(?P<client>[0-9.]+) (?P<verb>\w+) (?P<request>\S+) (?P<bytes>[0-9]+) (?P<took>[0-9.]+)")


def _grok(doc: dict[str, Any]) -> None:
    match = _GROK.match(doc["message"])
    assert match is not None
    doc["client"] = match["client"]
    doc["verb"] = match["verb"]
    doc["request"] = match["request"]
    doc["bytes"] = int(match["bytes"])
    doc["took"] = float(match["took"])


_PROTOCOLS = {"tcp": 6, "udp": 17}


def _community_id(doc: dict[str, Any]) -> None:
    source, destination = doc["source"], doc["destination"]
    src = ipaddress.ip_address(source["ip"]).packed
    dst = ipaddress.ip_address(destination["ip"]).packed
    sport, dport = source["port"], destination["port"]
    if (src, sport) > (dst, dport):
        src, dst, sport, dport = dst, src, dport, sport
    proto = _PROTOCOLS[doc["network"]["transport"].lower()]
    data = b"\x00\x00" + src + dst + struct.pack("!BBHH", proto, 0, sport, dport)
    doc["network"]["community_id"] = "1:" + base64.b64encode(hashlib.sha1(data).digest()).decode()


_ROW_FIELDS = ("row_client", "row_time", "row_verb", "row_path", "row_status", "row_size")


def _csv(doc: dict[str, Any]) -> None:
    doc.update(zip(_ROW_FIELDS, next(csv.reader([doc["row"]]))))


def _uri_parts(doc: dict[str, Any]) -> None:
    text = doc["referrer"]
    parts = urllib.parse.urlsplit(text)
    netloc = parts.netloc.rpartition("@")[2]
    host, _, port = netloc.partition(":")
    path = parts.path
    url: dict[str, Any] = {"scheme": parts.scheme, "domain": host, "path": path}
    last = path[path.rfind("/"):]
    if "." in last:
        url["extension"] = last[last.rfind(".") + 1:]
    if port:
        url["port"] = int(port)
    if parts.query:
        url["query"] = parts.query
    if parts.fragment:
        url["fragment"] = parts.fragment
    url["original"] = text
    doc["referrer_url"] = url


#: name -> (the processor, the same edit in plain Python).
CASES: dict[str, tuple[dict[str, Any], Edit]] = {
    "set": ({"set": {"field": "event.kind", "value": "bench"}}, _set),
    "remove": ({"remove": {"field": "remove_me"}}, _remove),
    "rename": ({"rename": {"field": "rename_me", "target_field": "renamed"}}, _rename),
    "lowercase": ({"lowercase": {"field": "user.name"}}, _lowercase),
    "uppercase": ({"uppercase": {"field": "http.method"}}, _uppercase),
    "trim": ({"trim": {"field": "padded"}}, _trim),
    "split": ({"split": {"field": "csv", "separator": ","}}, _split),
    "join": ({"join": {"field": "tags", "separator": "|", "target_field": "tags_text"}}, _join),
    "gsub": ({"gsub": {"field": "url.path", "pattern": "/[0-9]+", "replacement": "/:id"}}, _gsub),
    "html_strip": ({"html_strip": {"field": "snippet"}}, _html_strip),
    "urldecode": ({"urldecode": {"field": "url.query"}}, _urldecode),
    "append": ({"append": {"field": "tags", "value": "bench"}}, _append),
    "convert": ({"convert": {"field": "http.status_text", "type": "integer", "target_field": "http.status"}}, _convert),
    "bytes": ({"bytes": {"field": "size_text", "target_field": "size"}}, _bytes),
    "json": ({"json": {"field": "payload"}}, _json),
    "dot_expander": ({"dot_expander": {"field": "labels.env"}}, _dot_expander),
    "sort": ({"sort": {"field": "numbers"}}, _sort),
    "fingerprint": ({"fingerprint": {"fields": ["user.name", "source.ip"]}}, _fingerprint),
    "kv": ({"kv": {"field": "kvtext", "field_split": " ", "value_split": "=", "target_field": "kv"}}, _kv),
    "dissect": ({"dissect": {"field": "access", "pattern":
                 '%{clientip} %{ident} %{auth} [%{timestamp}] "%{verb} %{request} HTTP/%{httpversion}" %{status} %{size}'}},
                _dissect),
    "foreach": ({"foreach": {"field": "tags", "processor": {"uppercase": {"field": "_ingest._value"}}}}, _foreach),
    "date": ({"date": {"field": "ts", "formats": ["dd/MMM/yyyy:HH:mm:ss Z"], "timezone": "UTC"}}, _date),
    "grok": ({"grok": {"field": "message", "patterns":
              ["%{IP:client} %{WORD:verb} %{NOTSPACE:request} %{NUMBER:bytes:int} %{NUMBER:took:float}"]}}, _grok),
    "community_id": ({"community_id": {}}, _community_id),
    "csv": ({"csv": {"field": "row", "target_fields": list(_ROW_FIELDS)}}, _csv),
    "uri_parts": ({"uri_parts": {"field": "referrer", "target_field": "referrer_url"}}, _uri_parts),
}


# -- running ---------------------------------------------------------------------------------------


def python_variant(edit: Edit) -> Callable[[list[bytes]], None]:
    """loads, the edit, dumps: the hand-written path."""

    def run(lines: list[bytes]) -> None:
        out = io.BytesIO()
        write, loads, dumps, newline = out.write, orjson.loads, orjson.dumps, orjson.OPT_APPEND_NEWLINE
        for line in lines:
            doc = loads(line)
            edit(doc)
            write(dumps(doc, option=newline))

    return run


def floor(lines: list[bytes]) -> None:
    """loads and dumps only."""
    python_variant(lambda doc: None)(lines)


def pipeline_variant(pipeline: Pipeline, lines: list[bytes]) -> Callable[[list[bytes]], None]:
    """``Pipeline.run`` in this process over the whole input (NDJSON bytes in and out;
    the input joined once, outside the timing, as a file would be read)."""
    data = b"\n".join(lines) + b"\n"
    count = len(lines)

    def run(_lines: list[bytes]) -> None:
        out = io.BytesIO()
        summary = pipeline.run(io.BytesIO(data), out, io.BytesIO(), source="bench")
        assert summary.written == count, summary

    return run


def check_same(name: str, pipeline: Pipeline, edit: Edit, docs: list[dict[str, Any]]) -> None:
    """Both variants give equal documents on every input (else the figures compare different edits)."""
    for index, doc in enumerate(docs):
        by_python = orjson.loads(orjson.dumps(doc))
        edit(by_python)
        by_pipeline = pipeline.process(doc)
        if by_pipeline != by_python:
            raise SystemExit(f"{name}: document {index} differs:\n  ingesthost {by_pipeline}\n  python     {by_python}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=10000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--only", default="", help="comma-separated processor names (default: all)")
    parser.add_argument("--default-gc", action="store_true", help="keep CPython's collector settings")
    args = parser.parse_args()
    names = [n for n in args.only.split(",") if n] or list(CASES)
    unknown = [n for n in names if n not in CASES]
    if unknown:
        parser.error(f"unknown processor(s) {', '.join(unknown)}; known: {', '.join(CASES)}")
    if not args.default_gc:
        tune_garbage_collector()

    docs = make_docs(args.docs)
    lines = [orjson.dumps(doc) for doc in docs]
    pipelines = {name: Pipeline.from_definition({"processors": [CASES[name][0]]}, cache=False) for name in names}
    empty = Pipeline.from_definition({"processors": []}, cache=False)
    for name in names:
        check_same(name, pipelines[name], CASES[name][1], docs)

    variants: dict[tuple[str, str], Callable[[list[bytes]], None]] = {
        ("floor", "python"): floor,
        ("floor", "ingesthost"): pipeline_variant(empty, lines),
    }
    for name in names:
        variants[(name, "ingesthost")] = pipeline_variant(pipelines[name], lines)
        variants[(name, "python")] = python_variant(CASES[name][1])
    timings: dict[tuple[str, str], list[float]] = {key: [] for key in variants}
    started = time.perf_counter()
    order = list(variants)
    for round_number in range(args.rounds):
        random.Random(round_number).shuffle(order)  # no variant always first, or always after another
        for key in order:
            run = variants[key]
            start = time.perf_counter()
            run(lines)
            timings[key].append(time.perf_counter() - start)
    elapsed = time.perf_counter() - started
    us = {key: statistics.median(values) / args.docs * 1e6 for key, values in timings.items()}

    size = sum(len(line) for line in lines) / len(lines)
    print(f"{args.docs} documents of ~{size:.0f} bytes, {args.rounds} rounds interleaved (shuffled), medians "
          f"({elapsed:.0f} s); Pipeline.run in this process vs orjson + a Python function; "
          f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}")
    floor_py, floor_ih = us[("floor", "python")], us[("floor", "ingesthost")]
    print(f"floors: orjson loads+dumps {1e6 / floor_py:,.0f} docs/s ({floor_py:.2f} us/doc); "
          f"empty pipeline {1e6 / floor_ih:,.0f} docs/s ({floor_ih:.2f} us/doc)")
    print()
    print(f"| {'processor':12} | {'ingesthost docs/s':>17} | {'Python docs/s':>13} | {'speed vs Python':>17} "
          f"| {'edit us: ingesthost':>19} | {'edit us: Python':>15} |")
    print(f"|{'-' * 14}|{'-' * 18}:|{'-' * 14}:|{'-' * 18}:|{'-' * 20}:|{'-' * 16}:|")
    for name in names:
        ih, py = us[(name, "ingesthost")], us[(name, "python")]
        print(f"| {name:12} | {1e6 / ih:17,.0f} | {1e6 / py:13,.0f} | {py / ih:16.2f}x "
              f"| {ih - floor_ih:19.2f} | {py - floor_py:15.2f} |")
    for pipeline in (*pipelines.values(), empty):
        pipeline.close()


if __name__ == "__main__":
    main()
