"""Matcher benchmark: the live ClaimIndex against the naive rapidfuzz scan (SPEC, Performance).

A synthetic store of N statements over generated agency and topic names in English,
Dutch, French and German, then M reports streamed through the live matcher (BM25 +
rapidfuzz, blocked by the report's agency and topic, as the pipeline uses it) and
through the baseline a user would write: `rapidfuzz.process.extract` of each report
sentence over every stored statement. Recall counts the baseline's matches (score at
or above the cutoff, about the report's agency and topic) that the live matcher also
returns in its top k, or displaces only by k statements that the baseline's own scorer
rates at least as high (ties); `recall_strict` counts literal membership. For big N
the baseline runs on a subsample of the reports (`baseline_reports`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import resource
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from importlib.resources import files
from pathlib import Path
from typing import Any

import httpx
import numpy as np
from rapidfuzz import fuzz, process, utils

from bot.core.matching import ClaimDoc, ClaimIndex
from bot.tools.lean_client import Answer, Connection

# The word lists the generator draws from (cities, regions, national agencies, topics in
# each language, sentence templates, filler, months, names) are data: bench_words.json.
_WORDS = json.loads(files("bot.tools").joinpath("bench_words.json").read_text("utf-8"))
_LANGUAGES = ("en", "nl", "fr", "de")
_CITIES: tuple[str, ...] = tuple(_WORDS["cities"])
_REGIONS: tuple[str, ...] = tuple(_WORDS["regions"])
_NATIONAL: tuple[str, ...] = tuple(_WORDS["national"])
_TOPICS: tuple[tuple[str, ...], ...] = tuple(tuple(names) for names in _WORDS["topics"])
"""Each topic's name in every language of `_LANGUAGES`, in that order."""
_TEMPLATES: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in _WORDS["templates"].items()}
_FILLER: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in _WORDS["filler"].items()}
_MONTHS: dict[str, tuple[str, ...]] = {k: tuple(v) for k, v in _WORDS["months"].items()}
_GIVEN: tuple[str, ...] = tuple(_WORDS["given"])
_FAMILY: tuple[str, ...] = tuple(_WORDS["family"])


@dataclass(frozen=True, slots=True)
class _Pair:
    agency: str
    topic: int
    language: str


def _agencies() -> list[str]:
    names = list(_NATIONAL)
    for city in _CITIES:
        names += [f"{city} Police", f"Politie {city}", f"Police de {city}", f"Polizei {city}"]
    for region in _REGIONS:
        names += [
            f"Landeskriminalamt {region}",
            f"Regionale recherche {region}",
            f"Police judiciaire {region}",
        ]
    return names


class _Corpus:
    """Seeded generator of statements and reports over Zipf-popular agencies and topics."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.agencies = _agencies()
        self.agency_weights = [1.0 / (rank + 1) ** 0.8 for rank in range(len(self.agencies))]
        self.topic_weights = [1.0 / (rank + 1) ** 0.8 for rank in range(len(_TOPICS))]

    def pair(self) -> _Pair:
        rng = self.rng
        agency = rng.choices(self.agencies, self.agency_weights)[0]
        topic = rng.choices(range(len(_TOPICS)), self.topic_weights)[0]
        return _Pair(agency, topic, rng.choice(_LANGUAGES))

    def statement(self, pair: _Pair) -> str:
        rng = self.rng
        language = pair.language
        return rng.choice(_TEMPLATES[language]).format(
            agency=pair.agency,
            topic=_TOPICS[pair.topic][_LANGUAGES.index(language)],
            speaker=f"{rng.choice(_GIVEN)} {rng.choice(_FAMILY)}",
            day=rng.randint(1, 28),
            month=rng.choice(_MONTHS[language]),
            year=rng.randint(2012, 2025),
            count=rng.randint(2, 999),
            place=rng.choice(_CITIES),
        )

    def report(self, pair: _Pair, earlier: str | None) -> list[str]:
        """Return a report's sentences: a retold earlier statement, a new one, filler."""
        rng = self.rng
        sentences = [self.statement(pair)]
        if earlier is not None:
            words = earlier.split()
            if len(words) > 6:
                del words[rng.randrange(1, len(words) - 1)]
            sentences.append(" ".join(words))
        sentences += rng.sample(_FILLER[pair.language], 3)
        rng.shuffle(sentences)
        return sentences


def _rss_mb() -> float:
    status = Path("/proc/self/status")
    if status.is_file():
        for line in status.read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _baseline_budget(claims: int, reports: int) -> int:
    """Reports the baseline scans: all of them up to ~2e7 sentence-statement pairs."""
    return max(1, min(reports, 20_000_000 // max(claims * 5, 1)))


def run_bench(
    claims: int,
    reports: int,
    seed: int = 0,
    *,
    k: int = 10,
    cutoff: float = 90.0,
    baseline_reports: int | None = None,
) -> dict[str, float | int | str]:
    """Benchmark the live matcher against the naive rapidfuzz scan; return the figures."""
    if claims < 1 or reports < 1:
        raise ValueError("claims and reports must be at least 1")
    corpus = _Corpus(seed)
    pairs = [corpus.pair() for _ in range(claims)]
    texts = [corpus.statement(pair) for pair in pairs]
    topic_names = [names[0] for names in _TOPICS]

    started = time.perf_counter()
    index = ClaimIndex()
    index.add_many(
        ClaimDoc(str(slot), text, pair.agency, topic_names[pair.topic])
        for slot, (pair, text) in enumerate(zip(pairs, texts, strict=True))
    )
    build_s = time.perf_counter() - started

    by_block: dict[tuple[str, int], list[int]] = {}
    for slot, pair in enumerate(pairs):
        by_block.setdefault((pair.agency, pair.topic), []).append(slot)
    stream: list[tuple[_Pair, list[str]]] = []
    for _ in range(reports):
        pair = corpus.pair()
        block = by_block.get((pair.agency, pair.topic))
        earlier = texts[corpus.rng.choice(block)] if block else None
        stream.append((pair, corpus.report(pair, earlier)))

    latencies: list[float] = []
    live: list[list[set[str]]] = []
    for pair, sentences in stream:
        started = time.perf_counter()
        found = [
            {
                hit.doc_id
                for hit in index.search(s, k, agency=pair.agency, topic=topic_names[pair.topic])
            }
            for s in sentences
        ]
        latencies.append(time.perf_counter() - started)
        live.append(found)
    live_s = sum(latencies)
    rss_mb = _rss_mb()

    sampled = min(baseline_reports or _baseline_budget(claims, reports), reports)
    processed = [utils.default_process(text) for text in texts]
    started = time.perf_counter()
    baseline_hits = [
        [
            process.extract(
                utils.default_process(sentence),
                processed,
                scorer=fuzz.WRatio,
                processor=None,
                limit=k,
                score_cutoff=cutoff,
            )
            for sentence in sentences
        ]
        for _pair, sentences in stream[:sampled]
    ]
    baseline_s = time.perf_counter() - started
    expected = matched = strict = 0
    for (pair, sentences), hits, found in zip(stream, baseline_hits, live, strict=False):
        for sentence, sentence_hits, sentence_found in zip(sentences, hits, found, strict=True):
            query = utils.default_process(sentence)
            live_scores = [fuzz.WRatio(query, processed[int(doc)]) for doc in sentence_found]
            for _text, score, slot in sentence_hits:
                stored = pairs[slot]
                if stored.agency != pair.agency or stored.topic != pair.topic:
                    continue
                expected += 1
                returned = str(slot) in sentence_found
                strict += returned
                # A match displaced by k live results that the baseline's own scorer
                # rates at least as high was lost to a tie, not missed.
                matched += returned or sum(s >= score for s in live_scores) >= k
    del processed

    reports_per_s = reports / live_s if live_s else float("inf")
    baseline_per_s = sampled / baseline_s if baseline_s else float("inf")
    millis = np.asarray(latencies) * 1000.0
    return {
        "claims": claims,
        "reports": reports,
        "reports_per_s": round(reports_per_s, 1),
        "baseline_reports_per_s": round(baseline_per_s, 3),
        "speedup": round(reports_per_s / baseline_per_s, 1),
        "recall_vs_baseline": round(matched / expected, 4) if expected else 1.0,
        "recall_strict": round(strict / expected, 4) if expected else 1.0,
        "p50_ms": round(float(np.percentile(millis, 50)), 3),
        "p99_ms": round(float(np.percentile(millis, 99)), 3),
        "rss_mb": round(rss_mb, 1),
        "baseline_reports": sampled,
        "baseline_matches": expected,
        "build_s": round(build_s, 2),
        "k": k,
        "cutoff": cutoff,
        "baseline": "rapidfuzz.process.extract(WRatio, default_process) over every statement",
    }


# The write API while analysing (issue 16): `denialwatch run` as a real process on loopback.

API_TOKEN = "bench-token-0123456789"
"""The bench service's own write token (it listens on loopback only, for the run)."""


def api_stream(dev_dir: Path, count: int) -> list[dict[str, object]]:
    """`count` report documents: the dev stream, read where it lies, repeated under new ids.

    Each copy gets its own id, URL (the store keeps one report per URL) and numbered
    title, so every post is stored, read and analysed, and copies contradict earlier ones
    as the originals do.
    """
    originals = [
        json.loads(line)
        for line in (dev_dir / "reports.jsonl").read_text("utf-8").splitlines()
        if line.strip()
    ]
    stream: list[dict[str, object]] = []
    for i in range(count):
        document = dict(originals[i % len(originals)])
        document["id"] = f"{document['id']}-bench-{i}"
        # A numbered title makes each copy a text of its own, read again as 600
        # different reports would be, not once as a re-sent wire copy is.
        document["title"] = f"{document.get('title', '')} ({i})"
        if document.get("url"):
            document["url"] = f"{document['url']}?dw-bench={i}"
        stream.append(document)
    return stream


def service_env(home: str, url: str, dev_dir: Path, workers: int | None) -> dict[str, str]:
    """The environment of a benchmarked `denialwatch run`: this one's, less any
    DENIALWATCH_/SLACK_/MATRIX_ setting, plus a database, the dev watchlist and a token."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DENIALWATCH_", "SLACK_", "MATRIX_"))
    }
    env.update(
        {
            "DENIALWATCH_DATABASE_URL": url,
            "DENIALWATCH_API_TOKEN": API_TOKEN,
            "DENIALWATCH_WATCHLIST": str(dev_dir / "watchlist.json"),
            "DENIALWATCH_LOG_FORMAT": "json",
            "DENIALWATCH_MATRIX_STORE": f"{home}/matrix-store",
        }
    )
    if workers is not None:
        env["DENIALWATCH_WORKERS"] = str(workers)
    return env


def spawn_service(env: dict[str, str], home: str, name: str) -> tuple[subprocess.Popen[bytes], str]:
    """Start `denialwatch run` on a free loopback port, its log in `home/name.log`."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    env = dict(env, DENIALWATCH_HTTP_PORT=str(port))
    with open(f"{home}/{name}.log", "w") as log_file:
        service = subprocess.Popen(
            [sys.executable, "-m", "bot.entry.cli", "run"],
            env=env,
            cwd=home,
            stdout=subprocess.DEVNULL,
            stderr=log_file,
        )
    return service, f"http://127.0.0.1:{port}"


def stop_process(child: subprocess.Popen[Any], timeout_s: float = 30.0) -> None:
    """Stop a spawned process (a benchmarked service, a test's homeserver): SIGTERM,
    then SIGKILL after `timeout_s`; nothing when it has already ended."""
    child.terminate()
    try:
        child.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()


def wait_for_service(
    service: subprocess.Popen[bytes],
    base: str,
    ready: Callable[[httpx.Client], bool],
    *,
    limit_s: float = 60.0,
    every_s: float = 0.2,
) -> None:
    """Poll `ready` every `every_s` until it holds; raise if the service exits first or
    `limit_s` passes. A request that fails counts as not ready yet."""
    deadline = time.monotonic() + limit_s
    with httpx.Client(base_url=base, timeout=5) as client:
        while True:
            if service.poll() is not None:
                raise RuntimeError("the service exited at start")
            try:
                if ready(client):
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the service was not ready within {limit_s:g} s")
            time.sleep(every_s)


@contextmanager
def running_service(
    env: dict[str, str], home: str, name: str, bench: str
) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    """Run `denialwatch run` (`spawn_service`) for the block and stop it after; a
    failure inside is raised again as "`bench` failed" with the tail of the service log."""
    service, base = spawn_service(env, home, name)
    try:
        yield service, base
    except Exception:
        tail = Path(f"{home}/{name}.log").read_text()[-2000:]
        raise RuntimeError(f"{bench} failed; service log tail:\n{tail}") from None
    finally:
        stop_process(service)


def run_api_bench(
    dev_dir: Path,
    *,
    reports: int = 600,
    clients: int = 20,
    workers: int = 0,
    database_url: str | None = None,
    timeout_s: float = 600.0,
    source: tuple[Path, ...] = (),
    client: str = "lean",
) -> dict[str, float | int | str]:
    """Post `reports` dev reports from `clients` concurrent clients to `denialwatch run`.

    `source`: folders put first on the service's PYTHONPATH, e.g. another tree of this
    project (an earlier commit's `git archive`), to compare it with this one in one run.
    `client`: `lean` (`bot.tools.lean_client`, one keep-alive connection per client) or
    `httpx` (an `httpx.AsyncClient` pool, which costs the shared cores more CPU).

    Measures each 202's latency and the time from the first post until the backlog is
    empty (every report analysed). `workers` is DENIALWATCH_WORKERS (0: in-process).
    Without `database_url`, a fresh SQLite file in a temporary folder.
    """
    dev_dir = dev_dir.resolve()  # the service runs in a folder of its own
    documents = api_stream(dev_dir, reports)
    with tempfile.TemporaryDirectory(prefix="dw-api-bench-") as home:
        url = database_url or f"sqlite:///{home}/dw.db"
        env = service_env(home, url, dev_dir, workers)
        if source:
            env["PYTHONPATH"] = os.pathsep.join(str(path.resolve()) for path in source)
        with running_service(env, home, "service", "API bench") as (service, base):
            # Up, and with every worker process started, before the burst.
            wait_for_service(service, base, lambda client: _workers(client) >= workers)
            figures = asyncio.run(_drive_api(base, documents, clients, timeout_s, client))
    return {
        "mode": f"workers={workers}" if workers else "in-process",
        "database": "postgresql" if database_url else "sqlite",
        "client": client,
        "clients": clients,
        "reports": reports,
        **figures,
    }


def _workers(client: httpx.Client) -> float:
    return _gauge(client.get("/metrics").text, "denialwatch_analysis_workers")


async def _drive_api(
    base: str, documents: list[dict[str, object]], clients: int, timeout_s: float, client: str
) -> dict[str, float | int | str]:
    if client not in ("lean", "httpx"):
        raise ValueError(f"client is lean or httpx, not {client!r}")
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as pool:
        queue: asyncio.Queue[dict[str, object]] = asyncio.Queue()
        for document in documents:
            queue.put_nowait(document)
        latencies: list[float] = []
        throttled = 0
        headers = {"Authorization": f"Bearer {API_TOKEN}"}

        async def via_pool(document: dict[str, object]) -> Answer:
            return _answer(await pool.post("/api/v1/reports", json=document, headers=headers))

        async def one_client() -> None:
            nonlocal throttled
            async with contextlib.AsyncExitStack() as stack:
                post: Callable[[dict[str, object]], Awaitable[Answer]] = via_pool
                if client == "lean":
                    connection = await stack.enter_async_context(Connection(base))
                    post = partial(connection.post_json, "/api/v1/reports", headers=headers)
                while not queue.empty():
                    document = queue.get_nowait()
                    while True:
                        started = time.perf_counter()
                        answer = await post(document)
                        if answer.status == 429:
                            throttled += 1
                            await asyncio.sleep(float(answer.headers.get("retry-after", "1")))
                            continue
                        if answer.status != 202:
                            raise RuntimeError(f"POST answered {answer.status}: {answer.text}")
                        latencies.append(time.perf_counter() - started)
                        break

        burst_started = time.perf_counter()
        await asyncio.gather(*(one_client() for _ in range(clients)))
        posted_s = time.perf_counter() - burst_started
        max_backlog = 0.0
        while True:
            metrics = (await pool.get("/metrics")).text
            backlog = _gauge(metrics, "denialwatch_analysis_backlog")
            max_backlog = max(max_backlog, backlog)
            if backlog == 0:
                break
            if time.perf_counter() - burst_started > timeout_s:
                raise RuntimeError(f"{backlog:g} reports still unanalysed after {timeout_s:g} s")
            await asyncio.sleep(0.1)
        analysed_s = time.perf_counter() - burst_started
    millis = np.asarray(latencies) * 1000.0
    return {
        "p50_ms": round(float(np.percentile(millis, 50)), 1),
        "p99_ms": round(float(np.percentile(millis, 99)), 1),
        "max_ms": round(float(millis.max()), 1),
        "posted_s": round(posted_s, 2),
        "all_analysed_s": round(analysed_s, 2),
        "analysed_per_s": round(len(documents) / analysed_s, 1),
        "throttled": throttled,
    }


def _answer(response: httpx.Response) -> Answer:
    return Answer(response.status_code, dict(response.headers), response.content)


def _gauge(metrics: str, name: str) -> float:
    for line in metrics.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise ValueError(f"{name} missing from /metrics")
