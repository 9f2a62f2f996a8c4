"""``ingesthost serve`` with real Node shippers from npm: the official
client's bulk helper (``@elastic/elasticsearch``) and pino logging through
``pino-elasticsearch`` (which ships with the 8.x client's bulk helper).

The packages are installed once per machine (pinned versions, npm's
ordinary client) into a cache directory outside the repository; the scripts
the tests run are ``tests/node/*.js``. Without ``node``/``npm`` the tests
fail: they are part of the suite, not optional.

Every document is accounted for: the kept ones, modified by the pipeline, in
the target index (noida-db); the failed ones in the failure file and seen by
the client as errors (500 ``fail_processor_exception``); the dropped ones
nowhere but the server's drop count.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Any, Iterator

import pytest

from es_fixtures import ES_HEADERS, RecordedES, Reply, Request, ok_items, bulk_reply, running_noida
from es_server import NoidaServer
from test_serve import Served, indexed, serve, target

NODE_SCRIPTS = Path(__file__).resolve().parent / "node"

#: Exact versions (checked with ``npm view``): the 9.x client needs Node >= 20
#: from 9.4 on, >= 22 from 9.5 on; pino-elasticsearch 8.1 brings its own
#: ``@elastic/elasticsearch`` ^8.13 (8.19.x), so both client majors are exercised.
NPM_PACKAGES = ("@elastic/elasticsearch@9.4.3", "pino@9.14.0", "pino-elasticsearch@8.1.0")

#: drops n % 10 == 0, fails n % 7 == 0 (when not dropped), renames ``kind``,
#: adds ``label``, routes category ``r`` to ``<index>-routed``.
PIPELINE = """\
processors:
  - drop: {if: "ctx.n % 10 == 0"}
  - fail: {message: "n is a multiple of 7", tag: sevens, if: "ctx.n % 7 == 0"}
  - rename: {field: kind, target_field: category}
  - set: {field: label, value: "doc-{{n}}"}
  - set: {field: _index, value: "{{_index}}-routed", if: "ctx.category == 'r'"}
"""


# -- the npm packages ----------------------------------------------------------


def _cache_dir() -> Path:
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    digest = hashlib.sha256(" ".join(NPM_PACKAGES).encode()).hexdigest()[:12]
    return base / "ingesthost-tests" / f"node-{digest}"


def _installed_version(modules: Path, package: str) -> str | None:
    try:
        return json.loads((modules / package / "package.json").read_text())["version"]
    except (OSError, ValueError, KeyError):
        return None


def _check_pins(modules: Path) -> None:
    for spec in NPM_PACKAGES:
        name, _, version = spec.rpartition("@")
        found = _installed_version(modules, name)
        assert found == version, f"{name}: {found} installed in {modules}, {version} pinned"


@pytest.fixture(scope="session")
def node_modules() -> Path:
    """The pinned packages' ``node_modules``, installed on first use."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.fail("node and npm are required by tests/test_serve_node.py (Node.js >= 20 with npm on PATH)")
    version = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30).stdout.strip()
    if int(version.lstrip("v").split(".")[0]) < 20:
        pytest.fail(f"tests/test_serve_node.py needs Node.js >= 20 ({NPM_PACKAGES[0]}), found {version}")
    final = _cache_dir()
    modules = final / "node_modules"
    if (final / "complete").is_file():
        _check_pins(modules)
        return modules
    final.parent.mkdir(parents=True, exist_ok=True)
    staging = final.parent / f"{final.name}.{os.getpid()}.tmp"
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    (staging / "package.json").write_text('{"name": "ingesthost-node-tests", "private": true}\n')
    try:
        done = subprocess.run(
            [npm, "install", "--no-audit", "--no-fund", "--no-progress", "--loglevel=error", *NPM_PACKAGES],
            cwd=staging, capture_output=True, text=True, timeout=600,
        )
    except subprocess.TimeoutExpired:
        shutil.rmtree(staging, ignore_errors=True)
        pytest.fail(f"npm install {' '.join(NPM_PACKAGES)} took more than 600 s")
    if done.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        pytest.fail(f"npm install {' '.join(NPM_PACKAGES)} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    _check_pins(staging / "node_modules")
    (staging / "complete").write_text(" ".join(NPM_PACKAGES) + "\n")
    try:
        staging.rename(final)
    except OSError:  # another session installed it meanwhile
        shutil.rmtree(staging, ignore_errors=True)
        if not (final / "complete").is_file():
            raise
    _check_pins(modules)
    return modules


def run_node(modules: Path, script: str, *arguments: str, timeout: float = 60) -> dict[str, Any]:
    """Run ``tests/node/<script>`` and return the JSON report it prints."""
    env = {**os.environ, "NODE_PATH": str(modules), "NODE_OPTIONS": ""}
    try:
        done = subprocess.run(["node", str(NODE_SCRIPTS / script), *arguments],
                              capture_output=True, text=True, env=env, timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        raise AssertionError(f"{script} did not finish in {timeout} s: {exc.stderr!r}") from None
    assert done.returncode == 0, f"{script} exited {done.returncode}: {done.stderr[-3000:]}"
    lines = done.stdout.strip().splitlines()
    assert lines, f"{script} printed nothing; stderr: {done.stderr[-3000:]}"
    return json.loads(lines[-1])


# -- the server ------------------------------------------------------------------


@pytest.fixture(scope="module")
def noida() -> Iterator[NoidaServer]:
    yield from running_noida()


def serve_node_pipeline(work: Path, noida: NoidaServer) -> Served:
    (work / "pipelines").mkdir(parents=True, exist_ok=True)
    (work / "pipelines" / "node.yml").write_text(PIPELINE)
    return serve(work, "--forward", f"es://127.0.0.1:{noida.port}", "--default-pipeline", "node")


def expected(ns: range) -> tuple[set[int], set[int], set[int], set[int]]:
    """(kept in the index, routed to ``-routed``, dropped, failed) values of n."""
    dropped = {n for n in ns if n % 10 == 0}
    failed = {n for n in ns if n % 7 == 0 and n % 10}
    kept = set(ns) - dropped - failed
    routed = {n for n in kept if n % 5 == 1}
    return kept - routed, routed, dropped, failed


def stats(served: Served) -> dict[str, Any]:
    with urllib.request.urlopen(served.url + "/_ingesthost/stats", timeout=30) as answer:
        return json.loads(answer.read())


def failure_records(served: Served, index: str) -> list[dict]:
    path = served.work / "failures.ndjson"
    if not path.exists():
        return []
    return [r for r in map(json.loads, path.read_text().splitlines()) if r["action"]["_index"] == index]


def check_documents(es: Any, index: str, documents: dict[str, dict], ns: set[int], category: str) -> None:
    """Each kept document once, as the pipeline left it."""
    by_n = sorted(doc["n"] for doc in documents.values())
    assert by_n == sorted(ns), f"{index}: n values differ from the kept ones"
    for doc in documents.values():
        assert doc["category"] == category and "kind" not in doc
        assert doc["label"] == f"doc-{doc['n']}"


# -- the tests ---------------------------------------------------------------------


def test_node_bulk_helper_sees_drops_failures_and_modified_documents(
    tmp_path: Path, noida: NoidaServer, node_modules: Path
) -> None:
    served = serve_node_pipeline(tmp_path, noida)
    try:
        count = 300
        report = run_node(node_modules, "bulk_helper.js", served.url, "node-bulk", str(count), "2000")
        after = stats(served)
    finally:
        served.stop()
    assert "error" not in report, report.get("error")
    assert report["client"] == NPM_PACKAGES[0].rpartition("@")[2]
    # The client's product check (X-Elastic-Product) passed, and GET / told it a version at least its own.
    assert report["info"]["tagline"] == "You Know, for Search"
    assert report["info"]["version"] == report["client"]
    kept, routed, dropped, failed = expected(range(count))

    # What the client saw: 201 for each kept document, 200 noop for each dropped one, onDrop with 500 for each failed one.
    successes = {item["id"]: (item["status"], item["result"]) for item in report["successes"]}
    assert len(report["successes"]) == len(successes)
    assert successes == {**{f"d{n}": (201, "created") for n in kept | routed},
                         **{f"d{n}": (200, "noop") for n in dropped}}
    assert {drop["id"] for drop in report["drops"]} == {f"d{n}" for n in failed}
    assert len(report["drops"]) == len(failed)
    for drop in report["drops"]:
        assert drop["status"] == 500 and drop["type"] == "fail_processor_exception", drop
        assert drop["reason"] == "n is a multiple of 7" and drop["n"] % 7 == 0 and drop["retried"] is False
    assert report["stats"] == {"total": count, "successful": len(kept | routed | dropped), "failed": len(failed),
                               "retry": 0, "aborted": False}

    # What landed: the kept documents, modified, each once; routed ones in their own index.
    es = target(noida)
    main, moved = indexed(es, "node-bulk"), indexed(es, "node-bulk-routed")
    assert set(main) == {f"d{n}" for n in kept} and set(moved) == {f"d{n}" for n in routed}
    check_documents(es, "node-bulk", main, kept, "a")
    check_documents(es, "node-bulk-routed", moved, routed, "r")
    # The failed ones in the failure file, as sent; the dropped ones nowhere but the count.
    records = failure_records(served, "node-bulk")
    assert sorted(r["action"]["_id"] for r in records) == sorted(f"d{n}" for n in failed)
    assert all(r["document"] == {"n": r["document"]["n"], "kind": "a" if r["document"]["n"] % 5 != 1 else "r"}
               for r in records)
    assert all(r["error"]["processor_tag"] == "sevens" for r in records)
    assert after["documents"]["dropped"] == len(dropped)
    assert after["documents"]["failed"] == len(failed)
    assert after["documents"]["forwarded"] == len(kept | routed)


@pytest.fixture(scope="module")
def pino_run(tmp_path_factory: pytest.TempPathFactory, noida: NoidaServer, node_modules: Path) -> dict[str, Any]:
    """One pino run of 140 lines through pino-elasticsearch; what it reported and what landed where."""
    served = serve_node_pipeline(tmp_path_factory.mktemp("pino"), noida)
    try:
        report = run_node(node_modules, "pino_logs.js", served.url, "node-pino", "140")
        after = stats(served)
    finally:
        served.stop()
    es = target(noida)
    return {"report": report, "stats": after, "count": 140, "es": es,
            "main": indexed(es, "node-pino"), "moved": indexed(es, "node-pino-routed"),
            "failures": failure_records(served, "node-pino")}


def test_pino_elasticsearch_logs_are_all_accounted_for(pino_run: dict[str, Any]) -> None:
    report, count = pino_run["report"], pino_run["count"]
    kept, routed, dropped, failed = expected(range(count))
    assert report["unknown"] == []
    # pino-elasticsearch's 'insertError' for each failed line, carrying the bulk helper's onDrop: status 500.
    assert sorted(e["n"] for e in report["insertErrors"]) == sorted(failed)
    assert all(e["status"] == 500 and e["type"] == "fail_processor_exception" for e in report["insertErrors"])
    # Each kept line once (no _id: the target chose them), modified; pino's own fields kept.
    check_documents(pino_run["es"], "node-pino", pino_run["main"], kept, "a")
    check_documents(pino_run["es"], "node-pino-routed", pino_run["moved"], routed, "r")
    for doc in [*pino_run["main"].values(), *pino_run["moved"].values()]:
        assert doc["msg"] == f"line {doc['n']}" and doc["level"] == 30 and doc["service"] == "node-test"
    assert sorted(r["document"]["n"] for r in pino_run["failures"]) == sorted(failed)
    assert all(r["action"]["_id"] is None and r["document"]["msg"] == f"line {r['document']['n']}"
               for r in pino_run["failures"])
    assert pino_run["stats"]["documents"]["dropped"] == len(dropped)
    assert pino_run["stats"]["documents"]["forwarded"] == len(kept | routed)
    assert pino_run["stats"]["documents"]["received"] == count


def test_pino_elasticsearch_completes_without_error(pino_run: dict[str, Any]) -> None:
    """pino-elasticsearch's bulk helper refreshes the index when it is done
    (``refreshOnCompletion``): ``_refresh`` is passed on to the target, so its
    ``insert`` event comes and no ``error`` does."""
    report = pino_run["report"]
    assert report["errors"] == []
    kept, routed, dropped, failed = expected(range(pino_run["count"]))
    assert report["inserts"] == [{"successful": len(kept | routed | dropped), "failed": len(failed), "total": pino_run["count"]}]


def test_node_client_refuses_a_server_without_the_product_header(node_modules: Path) -> None:
    """The control for the product check: the same script against a server
    that answers as Elasticsearch but without ``X-Elastic-Product`` fails, so
    a passing run against ingesthost means the check passed."""
    plain = {key: value for key, value in ES_HEADERS.items() if key != "X-Elastic-Product"}

    def answer(request: Request) -> Reply:
        if request.path.split("?")[0].endswith("/_bulk"):
            reply = bulk_reply(ok_items(request))
            return Reply(reply.status, reply.body, dict(plain))
        return Reply(200, {"name": "n", "cluster_name": "c", "version": {"number": "9.4.3"}, "tagline": "You Know, for Search"},
                     dict(plain))

    with RecordedES(answer) as fake:
        started = time.monotonic()
        report = run_node(node_modules, "bulk_helper.js", fake.url, "x", "5")
    assert report["error"]["name"] == "ProductNotSupportedError", report
    assert time.monotonic() - started < 30
