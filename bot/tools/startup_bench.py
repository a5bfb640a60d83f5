"""Start-up benchmark: time and memory to make the claim index ready over N stored statements.

`fill` writes N synthetic statements (the matcher benchmark's generator) into a
database with bulk inserts. `measure` runs one start-up in a fresh process and returns
its figures: `full` is the old start-up (read every statement, build the index in
memory, keep every statement), `cold` the new one without a snapshot (build from the
store by row, write a snapshot), `warm` the new one with the snapshot `cold` left
(map it, catch up). RSS is read after start and again after 200 searches, which
touch the mapped pages a search needs; `peak_mb` is the process's high-water mark.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

from sqlalchemy import create_engine, text

from bot.tools.bench import _TOPICS, _Corpus

SEARCHES = 200


def fill(url: str, count: int, seed: int = 0, batch: int = 20_000) -> None:
    """Insert `count` synthetic statements (migrated, empty database) in bulk."""
    from storage.migrate import upgrade
    from storage.sql_store import rebuild_statement_groups
    from storage.tables import StatementRow

    upgrade(url)
    corpus = _Corpus(seed)
    table = StatementRow.__table__  # type: ignore[attr-defined]  # SQLModel's table
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(table.delete())
        for start in range(0, count, batch):
            rows = []
            for n in range(start, min(count, start + batch)):
                pair = corpus.pair()
                topic = _TOPICS[pair.topic][0]
                rows.append(
                    {
                        "key": f"b{n}:{pair.agency}:{topic}:denies:primary",
                        "report_id": f"b{n}",
                        "agency": pair.agency,
                        "topic": topic,
                        "agency_key": pair.agency.casefold(),
                        "topic_key": topic.casefold(),
                        "polarity": "denies",
                        "quote": corpus.statement(pair),
                        "published": date(2020, 1, 1),
                        "speaker": "",
                        "source": "bench",
                        "url": "",
                        "confidence": 1.0,
                        "role": "primary",
                        "sequence": n,
                        "proposition": "",
                        "wording": "",
                        "alike": _alike(pair.agency, topic),
                    }
                )
            with engine.begin() as conn:
                conn.execute(table.insert(), rows)
        with engine.begin() as conn:
            rebuild_statement_groups(conn)
        if url.startswith("postgresql"):
            with engine.connect() as conn:
                conn.execution_options(isolation_level="AUTOCOMMIT").execute(
                    text("VACUUM ANALYZE statements")
                )
    finally:
        engine.dispose()


def _alike(agency: str, topic: str) -> str:
    """The alike group of a synthetic denial (no proposition, so no wording)."""
    from bot.core.detection import alike_digest
    from bot.core.domain import AgencyName, Polarity, ReportId, Statement, TopicName

    denial = Statement(
        ReportId("b"), AgencyName(agency), TopicName(topic), Polarity.DENIES, "", date(2020, 1, 1)
    )
    return alike_digest(denial, ())


def _status(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return 0.0


def run_once(mode: str, url: str, index_dir: str) -> dict[str, float | int | str]:
    """One start-up in this process (called in a fresh one by `measure`)."""
    from bot.app.claim_search import ClaimSearch, statement_text
    from bot.core.matching import ClaimDoc, ClaimIndex
    from storage.index_files import IndexFiles
    from storage.sql_store import SqlStore

    queries = [_Corpus(7).statement(_Corpus(7).pair()) for _ in range(SEARCHES)]
    started = time.perf_counter()
    store = SqlStore(url)
    if mode == "full":
        statements = store.all_statements()
        index = ClaimIndex()
        index.add_many(ClaimDoc(s.id, statement_text(s), s.agency, s.topic) for s in statements)
        kept: dict[str, object] = {s.id: s for s in statements}
        ready = time.perf_counter() - started
        rss = _status("VmRSS")
        for query in queries:
            [kept[hit.doc_id] for hit in index.search(query, 10)]
        size = len(index)
    else:
        if mode == "cold":
            for old in Path(index_dir).glob("*"):
                if old.is_dir():
                    for f in old.iterdir():
                        f.unlink()
                    old.rmdir()
                else:
                    old.unlink()
        search = ClaimSearch(store, IndexFiles(Path(index_dir)), database=url, settle_seconds=0)
        opened = search.open()
        ready = time.perf_counter() - started
        rss = _status("VmRSS")
        for query in queries:
            search.search(query, 10)
        size = len(search)
        mode = f"{mode} ({opened})"
    searched = time.perf_counter() - started - ready
    store.close()
    return {
        "mode": mode,
        "statements": size,
        "ready_s": round(ready, 2),
        "rss_mb": round(rss, 1),
        "rss_after_search_mb": round(_status("VmRSS"), 1),
        "peak_mb": round(_status("VmHWM"), 1),
        "search_ms": round(searched * 1000 / SEARCHES, 2),
    }


def measure(mode: str, url: str, index_dir: str) -> dict[str, float | int | str]:
    """Run one start-up in a fresh interpreter; its import time is left out of ready_s."""
    code = (
        "import json, sys; from bot.tools.startup_bench import run_once; "
        "print(json.dumps(run_once(*sys.argv[1:])))"
    )
    env = dict(os.environ, PYTHONHASHSEED="0")
    done = subprocess.run(
        [sys.executable, "-c", code, mode, url, index_dir],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    figures: dict[str, float | int | str] = json.loads(done.stdout.strip().splitlines()[-1])
    return figures


if __name__ == "__main__":
    store_url, size, directory = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    began = time.perf_counter()
    fill(store_url, size)
    print(json.dumps({"filled": size, "seconds": round(time.perf_counter() - began, 1)}))
    for how in ("full", "cold", "warm"):
        print(json.dumps(measure(how, store_url, directory)), flush=True)
