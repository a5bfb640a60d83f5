"""CLI commands that work on the configured database and the running configuration.

Each command opens only what it needs (issue 14 item 8). Read-only commands
(`feeds list`, `claims list|search|export`, `watch list`, `eval --feedback`) open
the database as it is: no migration, no watchlist merge, no writes, no chat
adapters. `claims search` alone builds the claim-search index in memory, because
ranking needs statistics over every statement. Commands that write migrate
first; those that analyse also merge `DENIALWATCH_WATCHLIST`, as the service does.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path

from bot.app.clock import SystemClock
from bot.app.command_service import claim_report, describe_analysis, record_claim
from bot.app.ingestion import Ingestion
from bot.app.pipeline import Pipeline
from bot.app.ports import Store
from bot.core.domain import (
    Agency,
    AgencyName,
    Polarity,
    Report,
    ReportId,
    StatementRole,
    Topic,
    TopicName,
    Watchlist,
)
from bot.core.names import vet_name
from bot.entry import heap
from bot.entry.config import load_settings
from bot.entry.documents import contradiction_summary, statement_document
from bot.entry.logs import configure_logging
from bot.entry.progress import progress
from bot.entry.service import (
    NotSetUp,
    build_ingestion,
    build_pipeline,
    build_search,
    build_service,
    merge_configured_watchlist,
    open_store,
    open_store_read_only,
    subscribe_console,
)
from bot.inputs.fetching import FetchError, SafeFetcher, redact_credentials
from bot.inputs.loading import InputError, read_text, read_watchlist
from bot.inputs.reports import ReportError, parse_report


def _read_store() -> Store:
    """The database for a read-only command, or one line saying it is not there yet."""
    try:
        return open_store_read_only(load_settings())
    except NotSetUp as error:
        raise InputError(f"{error}: run `denialwatch db upgrade` (or start the service)") from None


def _store() -> Store:
    """The database for a command that writes: migrated first."""
    return open_store(load_settings())


def _analysing() -> tuple[Store, Pipeline, Ingestion]:
    """What a command that analyses text needs: the configured watchlist and pipeline."""
    settings = load_settings()
    store = open_store(settings)
    merge_configured_watchlist(settings, store)
    if not (settings.slack_enabled or settings.matrix_enabled):
        subscribe_console(store)
    clock = SystemClock()
    return store, build_pipeline(settings, store, clock), build_ingestion(settings, store, clock)


def event_loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop's event loop where it is installed (a dependency): the HTTP app answers
    with less CPU per request; else asyncio's own."""
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def run(args: argparse.Namespace) -> int:
    settings = load_settings()
    configure_logging(settings.log_format)
    import structlog

    structlog.get_logger("denialwatch").info("settings", **settings.described())
    try:
        with heap.building():
            service = build_service(settings)
        service.settle_heap = True
        heap.settle()
        with asyncio.Runner(loop_factory=event_loop_factory()) as runner:
            runner.run(service.run())
    except (RuntimeError, ValueError) as error:
        # A chat platform refused our credentials at start: one line, not a traceback.
        raise InputError(
            str(error).splitlines()[0] if str(error) else type(error).__name__
        ) from None
    return 0


def worker(args: argparse.Namespace) -> int:
    """Analyse stored reports until SIGTERM: one more worker beside `denialwatch run`."""
    from bot.entry.workers import serve_worker

    settings = load_settings()
    configure_logging(settings.log_format)
    import structlog

    structlog.get_logger("denialwatch").info("settings", **settings.described())
    serve_worker(settings)
    return 0


def check(args: argparse.Namespace) -> int:
    _, pipeline, ingestion = _analysing()
    text = sys.stdin.read() if args.text == "-" else args.text
    if not text.strip():
        raise InputError("nothing to check: the text is empty")
    if text.strip().startswith(("http://", "https://")) and " " not in text.strip():
        try:
            report = asyncio.run(ingestion.read_url(text.strip()))
        except ValueError as error:
            raise InputError(f"cannot read {text.strip()[:200]}: {error}") from None
    else:
        report = Report(ReportId("check"), date.today(), source="cli", text=text)
    analysis = pipeline.check(report)
    if args.json:
        print(
            json.dumps(
                {
                    "language": analysis.language,
                    "statements": [statement_document(s) for s in analysis.statements],
                    "contradictions": [contradiction_summary(c) for c in analysis.contradictions],
                    "decisions": [
                        {
                            "reason": str(d.reason),
                            "agency": d.agency,
                            "topic": d.topic,
                            "detail": d.detail,
                        }
                        for d in analysis.decisions
                    ],
                },
                ensure_ascii=False,
            )
        )
    else:
        print(describe_analysis(analysis))
    return 0


def claims_add(args: argparse.Namespace) -> int:
    store, pipeline, _ = _analysing()
    try:
        published = date.fromisoformat(args.date) if args.date else date.today()
    except ValueError:
        raise InputError(f"--date is not an ISO date: {args.date}") from None
    polarity = Polarity(args.polarity)
    report = claim_report(
        args.agency, args.topic, polarity, args.quote, published, source=args.source, url=args.url
    )
    statement, found = record_claim(store, pipeline, report, args.agency, args.topic, polarity)
    print(
        f"recorded {statement.agency} {args.polarity} {statement.topic}"
        + (f"; contradicts {found} earlier statement(s)" if found else "")
    )
    return 0


def claims_list(args: argparse.Namespace) -> int:
    store = _read_store()
    statements = [s for s in store.all_statements() if s.role is StatementRole.PRIMARY]
    for s in sorted(statements, key=lambda s: (s.published, s.report_id)):
        if args.json:
            print(json.dumps(statement_document(s), ensure_ascii=False))
        else:
            print(
                f"{s.published} {s.agency} {s.polarity} {s.topic} [{s.report_id}] "
                f"\u201c{s.quote[:120]}\u201d"
            )
    return 0


def claims_search(args: argparse.Namespace) -> int:
    settings = load_settings()
    search = build_search(settings, _read_store(), writable=False)
    hits = search.search(" ".join(args.words), args.limit)
    if not hits:
        print("no match")
    for statement, score in hits:
        print(
            f"{score:.3f} {statement.published} {statement.agency} {statement.polarity} "
            f"{statement.topic}: \u201c{statement.quote[:120]}\u201d"
        )
    return 0


def claims_import(args: argparse.Namespace) -> int:
    """Import reports (JSONL) through the pipeline, or claims (CSV: agency,topic,polarity,quote)."""
    store, pipeline, _ = _analysing()
    path = Path(args.file)
    good = bad = found = 0
    if path.suffix.lower() == ".csv":
        rows = list(csv.DictReader(read_text(path).splitlines()))
        with progress(len(rows), f"importing {path.name}") as tick:
            found, good, bad = _import_claims(store, pipeline, path, rows, tick)
    else:
        lines = read_text(path).splitlines()
        with progress(len(lines), f"importing {path.name}") as tick:
            for number, line in enumerate(lines, start=1):
                tick(number)
                if not line.strip():
                    continue
                try:
                    report = parse_report(json.loads(line))
                except json.JSONDecodeError as error:
                    bad += 1
                    print(
                        f"{path}:{number}: skipped: malformed JSON ({error.msg})", file=sys.stderr
                    )
                    continue
                except ReportError as error:
                    bad += 1
                    print(f"{path}:{number}: skipped: {error}", file=sys.stderr)
                    continue
                analysis = pipeline.ingest(report)
                good += 1
                found += len(analysis.contradictions) if analysis else 0
    print(f"imported {good} rows, skipped {bad}, {found} contradictions")
    return 1 if bad and not good else 0


def _import_claims(
    store: Store,
    pipeline: Pipeline,
    path: Path,
    rows: list[dict[str, str]],
    tick: Callable[[int], None],
) -> tuple[int, int, int]:
    """Record claims from CSV rows; return (contradictions, good rows, bad rows)."""
    good = bad = found = 0
    for number, row in enumerate(rows, start=2):
        tick(number - 1)
        try:
            polarity = Polarity((row.get("polarity") or "").strip().lower())
            agency, topic = row["agency"].strip(), row["topic"].strip()
            quote = row["quote"].strip()
            published = date.fromisoformat(
                (row.get("date") or "").strip() or date.today().isoformat()
            )
            if not (agency and topic and quote):
                raise ValueError("agency, topic and quote are required")
        except (KeyError, ValueError, AttributeError) as error:
            bad += 1
            print(f"{path}:{number}: skipped: {error}", file=sys.stderr)
            continue
        report = claim_report(
            agency,
            topic,
            polarity,
            quote,
            published,
            source=(row.get("source") or "import").strip(),
            url=(row.get("url") or "").strip(),
            report_id=f"csv-{path.stem}-{number}",
        )
        found += record_claim(store, pipeline, report, agency, topic, polarity)[1]
        good += 1
    return found, good, bad


def claims_export(args: argparse.Namespace) -> int:
    for statement in _read_store().all_statements():
        print(json.dumps(statement_document(statement), ensure_ascii=False))
    return 0


def watch(args: argparse.Namespace) -> int:
    store = _store()
    current = store.watchlist()
    try:
        name, aliases = vet_name(
            args.name,
            args.aka,
            [*(a.name for a in current.agencies), *(t.name for t in current.topics)],
        )
    except ValueError as error:
        raise InputError(str(error)) from None
    if args.kind == "agency":
        entries = Watchlist(agencies=(Agency(AgencyName(name), args.country.upper(), aliases),))
    else:
        entries = Watchlist(topics=(Topic(TopicName(name), aliases),))
    store.merge_watchlist(entries)
    print(f"watching {args.kind} {name}")
    return 0


def watching(args: argparse.Namespace) -> int:
    watchlist = _read_store().watchlist()
    for agency in watchlist.agencies:
        print(
            f"agency {agency.name}"
            + (f" ({agency.country})" if agency.country else "")
            + (f" aka {', '.join(agency.aliases)}" if agency.aliases else "")
        )
    for topic in watchlist.topics:
        print(f"topic {topic.name}" + (f" aka {', '.join(topic.aliases)}" if topic.aliases else ""))
    return 0


def watch_load(args: argparse.Namespace) -> int:
    store = _store()
    loaded = read_watchlist(Path(args.file))
    store.merge_watchlist(loaded)
    print(f"loaded {len(loaded.agencies)} agencies and {len(loaded.topics)} topics")
    return 0


def feeds_add(args: argparse.Namespace) -> int:
    settings = load_settings()
    if not 1 <= args.every <= 10080:
        raise InputError("--every must be between 1 and 10080 minutes")
    try:
        # Refused before the database is even opened, let alone a connection made.
        SafeFetcher(allow_hosts=settings.allow_hosts).check_url(args.url)
    except FetchError as error:
        raise InputError(f"refused {redact_credentials(args.url[:200])}: {error}") from None
    feed = open_store(settings).add_feed(args.url, args.every)
    print(f"feed {feed.id} added: {feed.url} every {feed.every_minutes} min")
    return 0


def feeds_list(args: argparse.Namespace) -> int:
    for feed in _read_store().feeds():
        print(
            f"{feed.id}\t{feed.url}\tevery {feed.every_minutes} min"
            + (f"\tlast error: {feed.last_error}" if feed.last_error else "")
        )
    return 0


def feeds_remove(args: argparse.Namespace) -> int:
    if not _store().remove_feed(args.id):
        raise InputError(f"no feed {args.id}")
    print(f"feed {args.id} removed")
    return 0


def db_upgrade(args: argparse.Namespace) -> int:
    settings = load_settings()
    open_store(settings)
    print("database is up to date")
    return 0
