"""The denialwatch command line."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bot.core.domain import WatchMode, watch_mode
from bot.entry.config import SettingsError, load_settings
from bot.entry.documents import contradiction_document
from bot.entry.progress import progress
from bot.entry.replay import replay
from bot.inputs.loading import InputError, read_reports, read_watchlist
from bot.tools.evaluation import read_gold, score


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    handler: Callable[[argparse.Namespace], int] = args.handler
    try:
        return handler(args)
    except (InputError, SettingsError) as error:
        print(f"denialwatch: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (| head): stop quietly, as Unix tools do.
        sys.stderr.close()
        return 141
    except Exception as error:
        line = _database_problem(error)
        if line is None:
            raise
        print(f"denialwatch: error: {line}", file=sys.stderr)
        return 2


def _database_problem(error: Exception) -> str | None:
    """One line for a database failure (DatabaseUnavailable or a driver error), else None."""
    from storage.errors import DatabaseUnavailable, describe

    if isinstance(error, DatabaseUnavailable):
        return str(error)
    try:
        url = load_settings().database_url
    except SettingsError:
        return None
    return describe(error, url)


def _cmd_replay(args: argparse.Namespace) -> int:
    reports = read_reports(Path(args.reports))
    watchlist = _watchlist(args.watchlist, Path(args.reports).parent / "watchlist.json")
    count = 0
    with progress(len(reports), "replaying", not args.json) as tick:
        for contradiction in replay(reports, watchlist, tick):
            count += 1
            doc = contradiction_document(contradiction)
            if args.json:
                print(json.dumps(doc, ensure_ascii=False))
            else:
                print(_describe(doc))
    if not args.json:
        print(f"{len(reports)} reports replayed, {count} contradictions", file=sys.stderr)
    return 0


def _cmd_pages_link(args: argparse.Namespace) -> int:
    from dataclasses import replace
    from datetime import UTC, datetime, timedelta

    from bot.entry.pages.signing import agency_path
    from bot.entry.service import page_signer

    signer = page_signer(load_settings())
    if signer is None:
        raise InputError("pages are off: set DENIALWATCH_PUBLIC_URL and DENIALWATCH_WEB_SECRET")
    if args.days is not None:
        if not 0 < args.days <= 3660:
            raise InputError("--days must be between 0 and 3660")
        signer = replace(signer, lifetime=timedelta(days=args.days))
    path = agency_path(args.agency) if args.agency else "/"
    print(signer.link(path, datetime.now(UTC)))
    return 0


def _describe(doc: dict[str, Any]) -> str:
    return (
        f"{doc['report_id']} contradicts {doc['contradicts']}: {doc['kind']} "
        f"[{doc['agency']} · {doc['topic']}] score {doc['score']:.2f}\n"
        f"  earlier: {_clip(doc['earlier_quote'])}\n"
        f"  new:     {_clip(doc['new_quote'])}"
    )


def _clip(text: str, limit: int = 200) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _watchlist(path: str | None, beside: Path) -> Any:
    from bot.core.domain import Watchlist

    if path:
        return read_watchlist(Path(path))
    if beside.exists():
        return read_watchlist(beside)
    settings = load_settings()
    if settings.watchlist_path:
        return read_watchlist(settings.watchlist_path)
    return Watchlist()


def _cmd_eval(args: argparse.Namespace) -> int:
    directory = Path(args.directory)
    reports = read_reports(directory / "reports.jsonl")
    watchlist = watch_mode(read_watchlist(directory / "watchlist.json"), args.watch)
    gold = read_gold(directory / "gold.jsonl")
    alerts = [
        (c.new.report_id, c.earlier.report_id, str(c.kind)) for c in replay(reports, watchlist)
    ]
    result = score(alerts, gold)
    document = {"watch": args.watch, **result.document()}
    if args.feedback:
        document["editor_feedback"] = _editor_feedback()
    if args.json:
        print(json.dumps(document, ensure_ascii=False))
    else:
        print(
            f"watch {args.watch}  precision {result.precision:.3f}  recall {result.recall:.3f}  "
            f"f1 {result.f1:.3f}  ({result.correct}/{result.alerts} alerts correct, "
            f"{result.gold_reports} gold reports)"
        )
        for error in result.errors:
            print("  " + " ".join(f"{k}={v}" for k, v in error.items()))
        if args.feedback:
            fb = document["editor_feedback"]
            print(
                f"editors: {fb['confirmed']} confirmed, {fb['false_alarm']} not a "
                f"contradiction, confirmed share {fb['confirmed_share']}"
            )
    below = (args.min_precision is not None and result.precision < args.min_precision) or (
        args.min_recall is not None and result.recall < args.min_recall
    )
    return 1 if below else 0


def _editor_feedback() -> dict[str, Any]:
    """Count the editors' verdicts on live alerts in the configured database."""
    from bot.core.records import Verdict
    from bot.entry.service import NotSetUp, open_store_read_only

    try:
        store = open_store_read_only(load_settings())
    except NotSetUp as error:
        raise InputError(f"{error}: run `denialwatch db upgrade`") from None
    verdicts = [f.verdict for f in store.feedback()]
    confirmed = verdicts.count(Verdict.CONFIRMED)
    rejected = verdicts.count(Verdict.FALSE_ALARM)
    judged = confirmed + rejected
    return {
        "confirmed": confirmed,
        "false_alarm": rejected,
        "confirmed_share": round(confirmed / judged, 4) if judged else None,
    }


def _cmd_eval_retrieval(args: argparse.Namespace) -> int:
    from bot.tools.retrieval_eval import evaluate_retrieval

    directory = Path(args.directory)
    if not directory.is_dir():
        raise InputError(f"{directory}: no such directory")
    result = evaluate_retrieval(directory, split=args.split)
    if args.json:
        print(json.dumps(result))
    else:
        print(
            f"MAP@5 {result['map@5']:.4f}  MRR {result['mrr']:.4f}  P@1 {result['p@1']:.4f}  "
            f"({result['queries']} queries, split {args.split})"
        )
    return 0


def _cmd_bench(args: argparse.Namespace) -> int:
    from bot.tools.bench import run_bench

    result = run_bench(args.claims, args.reports)
    print(
        json.dumps(result)
        if args.json
        else "\n".join(f"{key:>24}: {value}" for key, value in result.items())
    )
    return 0


def _service_command(name: str) -> Callable[[argparse.Namespace], int]:
    def run(args: argparse.Namespace) -> int:
        from bot.entry import operations

        handler: Callable[[argparse.Namespace], int] = getattr(operations, name)
        return handler(args)

    return run


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="denialwatch", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run the service: HTTP app, scheduler, chat adapters")
    run.set_defaults(handler=_service_command("run"))

    worker = sub.add_parser(
        "worker",
        help="analyse stored reports (one more analysis process beside `run`) until stopped",
    )
    worker.set_defaults(handler=_service_command("worker"))

    rep = sub.add_parser("replay", help="replay a JSONL stream of reports")
    rep.add_argument("reports")
    rep.add_argument("--watchlist")
    rep.add_argument("--json", action="store_true")
    rep.set_defaults(handler=_cmd_replay)

    ev = sub.add_parser("eval", help="score a labelled stream (reports, watchlist, gold)")
    ev.add_argument("directory")
    ev.add_argument(
        "--watch",
        choices=[m.value for m in WatchMode],
        default=WatchMode.BOTH.value,
        help="score with the watchlist's agencies only, topics only, or both",
    )
    ev.add_argument("--json", action="store_true")
    ev.add_argument("--min-precision", type=float)
    ev.add_argument("--min-recall", type=float)
    ev.add_argument(
        "--feedback",
        action="store_true",
        help="also report the editors' verdicts on live alerts in the configured database",
    )
    ev.set_defaults(handler=_cmd_eval)

    er = sub.add_parser("eval-retrieval", help="CheckThat!-2020 claim retrieval (MAP@5)")
    er.add_argument("directory")
    er.add_argument("--split", default="test", choices=["train", "dev", "test"])
    er.add_argument("--json", action="store_true")
    er.set_defaults(handler=_cmd_eval_retrieval)

    check = sub.add_parser("check", help="statements in a text or URL and what they contradict")
    check.add_argument("text", help="the text, a URL, or - for standard input")
    check.add_argument("--json", action="store_true")
    check.set_defaults(handler=_service_command("check"))

    claims = sub.add_parser("claims", help="the claim store")
    claims_sub = claims.add_subparsers(dest="action", required=True)
    add = claims_sub.add_parser("add", help="record a statement by hand")
    add.add_argument("agency")
    add.add_argument("topic")
    add.add_argument("polarity", choices=["denies", "affirms"])
    add.add_argument("quote")
    add.add_argument("--url", default="")
    add.add_argument("--source", default="manual")
    add.add_argument("--date")
    add.set_defaults(handler=_service_command("claims_add"))
    lst = claims_sub.add_parser("list")
    lst.add_argument("--json", action="store_true")
    lst.set_defaults(handler=_service_command("claims_list"))
    search = claims_sub.add_parser("search")
    search.add_argument("words", nargs="+")
    search.add_argument("--limit", type=int, default=10)
    search.set_defaults(handler=_service_command("claims_search"))
    imp = claims_sub.add_parser("import", help="import reports (JSONL) or claims (CSV/JSONL)")
    imp.add_argument("file")
    imp.set_defaults(handler=_service_command("claims_import"))
    exp = claims_sub.add_parser("export", help="export stored statements as JSONL")
    exp.set_defaults(handler=_service_command("claims_export"))

    pages = sub.add_parser("pages", help="evidence pages")
    pages_sub = pages.add_subparsers(dest="action", required=True)
    link = pages_sub.add_parser("link", help="print a signed link to the index or an agency page")
    link.add_argument("--agency", help="link to this agency's page instead of the index")
    link.add_argument("--days", type=float, help="valid for this many days (default: the setting)")
    link.set_defaults(handler=_cmd_pages_link)

    watch = sub.add_parser("watch", help="add an agency or topic to the watchlist")
    watch_sub = watch.add_subparsers(dest="kind", required=True)
    agency = watch_sub.add_parser("agency")
    agency.add_argument("name")
    agency.add_argument("--country", default="")
    agency.add_argument("--aka", action="append", default=[])
    agency.set_defaults(handler=_service_command("watch"))
    topic = watch_sub.add_parser("topic")
    topic.add_argument("name")
    topic.add_argument("--aka", action="append", default=[])
    topic.set_defaults(handler=_service_command("watch"))
    listing = watch_sub.add_parser("list")
    listing.set_defaults(handler=_service_command("watching"))
    load = watch_sub.add_parser("load", help="merge a watchlist file")
    load.add_argument("file")
    load.set_defaults(handler=_service_command("watch_load"))

    feeds = sub.add_parser("feeds", help="news feeds polled by the service")
    feeds_sub = feeds.add_subparsers(dest="action", required=True)
    fadd = feeds_sub.add_parser("add")
    fadd.add_argument("url")
    fadd.add_argument("--every", type=int, default=15, help="minutes between polls")
    fadd.set_defaults(handler=_service_command("feeds_add"))
    feeds_sub.add_parser("list").set_defaults(handler=_service_command("feeds_list"))
    frm = feeds_sub.add_parser("remove")
    frm.add_argument("id", type=int)
    frm.set_defaults(handler=_service_command("feeds_remove"))

    db = sub.add_parser("db", help="database maintenance")
    db_sub = db.add_subparsers(dest="action", required=True)
    db_sub.add_parser("upgrade", help="apply migrations").set_defaults(
        handler=_service_command("db_upgrade")
    )

    bench = sub.add_parser("bench", help="matcher throughput against the naive baseline")
    bench.add_argument("--claims", type=int, default=10_000)
    bench.add_argument("--reports", type=int, default=200)
    bench.add_argument("--json", action="store_true")
    bench.set_defaults(handler=_cmd_bench)
    return parser


if __name__ == "__main__":
    raise SystemExit(main())
