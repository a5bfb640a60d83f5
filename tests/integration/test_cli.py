"""The command line on the development stream and on bad input."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from bot.core.domain import Reason
from bot.core.extraction import Extractor
from bot.core.language.resources import load_lexicons, load_vocabulary
from bot.entry.cli import main
from bot.inputs.loading import read_reports, read_watchlist
from tests.running import run_cli, service_env

pytestmark = pytest.mark.shared


def _subset(data_dir: Path, tmp_path: Path, ids: list[str]) -> Path:
    path = tmp_path / "reports.jsonl"
    lines = [
        line
        for line in (data_dir / "dev" / "reports.jsonl").read_text().splitlines()
        if json.loads(line)["id"] in ids
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_dev_stream_meets_precision_and_recall_floor(
    data_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(
        ["eval", str(data_dir / "dev"), "--json", "--min-precision", "0.9", "--min-recall", "0.9"]
    )
    result = json.loads(capsys.readouterr().out)
    assert result["precision"] >= 0.9 and result["recall"] >= 0.9, result["errors"]
    assert code == 0
    assert set(result) == {
        "watch",
        "precision",
        "recall",
        "f1",
        "alerts",
        "correct",
        "gold_reports",
        "errors",
    }


def test_eval_exits_1_below_a_minimum(data_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval", str(data_dir / "dev"), "--min-precision", "1.01"]) == 1


def test_brussels_times_seed_contradicts_the_federal_police_denial(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reports = _subset(data_dir, tmp_path, ["dev-01", "dev-06"])
    code = main(
        ["replay", str(reports), "--watchlist", str(data_dir / "dev" / "watchlist.json"), "--json"]
    )
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert code == 0
    [alert] = lines
    assert alert["report_id"] == "dev-06" and alert["contradicts"] == "dev-01"
    assert alert["kind"] == "denial_contradicted"
    assert alert["agency"] == "Belgian Federal Police" and alert["topic"] == "Clearview AI"
    assert "never used Clearview AI" in alert["earlier_quote"]
    assert alert["new_quote"] and 0 < alert["score"] <= 1
    assert set(alert) == {
        "report_id",
        "contradicts",
        "kind",
        "agency",
        "topic",
        "score",
        "new_quote",
        "earlier_quote",
    }


def test_dutch_seed_disputes_the_leaked_record_and_hedges_are_no_statement(
    data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    reports = _subset(data_dir, tmp_path, ["dev-09", "dev-11"])
    main(
        ["replay", str(reports), "--watchlist", str(data_dir / "dev" / "watchlist.json"), "--json"]
    )
    [alert] = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert (alert["report_id"], alert["contradicts"], alert["kind"]) == (
        "dev-11",
        "dev-09",
        "denial_disputes_record",
    )
    extractor = Extractor(
        read_watchlist(data_dir / "dev" / "watchlist.json"), load_lexicons(), load_vocabulary()
    )
    [seed] = [r for r in read_reports(reports) if r.id == "dev-11"]
    extraction = extractor.extract(seed)
    hedges = [d.detail for d in extraction.decisions if d.reason is Reason.HEDGE]
    assert any("cannot be ruled out" in detail for detail in hedges)
    assert not any("cannot be ruled out" in s.quote for s in extraction.statements)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"id": "a", "published": "2020-01-01", "text": "x"}\n{not json\n', ":2: malformed JSON"),
        ('{"id": "a", "published": "2020-01-01", "text": ""}\n', "no text"),
        (
            '{"id": "a", "published": "2020-01-01", "language": "tlh", "text": "x"}\n',
            "not supported",
        ),
        ('{"id": "a", "published": "yesterday", "text": "x"}\n', "ISO date"),
    ],
    ids=["malformed-json", "empty-text", "unknown-language", "bad-date"],
)
def test_bad_input_gets_one_error_line_and_nonzero_exit(
    tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text(content)
    done = run_cli("replay", str(path), "--json")
    assert done.returncode == 2
    assert done.stdout == ""
    [line] = done.stderr.strip().splitlines()
    assert message in line


def test_missing_file_is_one_clear_line(tmp_path: Path) -> None:
    done = run_cli("replay", str(tmp_path / "nope"))
    assert done.returncode == 2
    assert done.stderr.strip() == f"denialwatch: error: {tmp_path / 'nope'}: no such file"


def test_bad_setting_stops_start_up_with_one_line_naming_the_variable(tmp_path: Path) -> None:
    env = service_env(tmp_path, {"DENIALWATCH_HTTP_PORT": "eighty"})
    done = run_cli("run", env=env, cwd=tmp_path)
    assert done.returncode == 2
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("denialwatch: error: DENIALWATCH_HTTP_PORT:")


def test_import_keeps_good_rows_and_names_bad_lines(tmp_path: Path) -> None:
    env = service_env(tmp_path)
    reports = tmp_path / "in.jsonl"
    reports.write_text(
        '{"id": "a", "published": "2020-01-01", "text": "The Met said it never used PimEyes."}\n'
        "{broken\n"
        '{"id": "b", "published": "2020-01-02", "text": ""}\n'
    )
    claims = tmp_path / "in.csv"
    claims.write_text(
        "agency,topic,polarity,quote,date\n"
        "Metropolitan Police,PimEyes,denies,We never used it,2020-01-01\n"
        "Metropolitan Police,PimEyes,perhaps,Hmm,2020-02-01\n"
        "Metropolitan Police,PimEyes,affirms,Officers did use it,2021-05-01\n"
    )

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return run_cli(*args, env=env, cwd=tmp_path)

    done = cli("claims", "import", str(reports))
    assert done.returncode == 0
    assert done.stdout.strip() == "imported 1 rows, skipped 2, 0 contradictions"
    assert f"{reports}:2: skipped: malformed JSON" in done.stderr
    assert f"{reports}:3: skipped: report has no text" in done.stderr
    done = cli("claims", "import", str(claims))
    assert done.stdout.strip() == "imported 2 rows, skipped 1, 1 contradictions"
    assert f"{claims}:3: skipped" in done.stderr
    listed = cli("claims", "list", "--json").stdout.splitlines()
    assert [json.loads(line)["polarity"] for line in listed] == ["denies", "affirms"]


def test_eval_reports_the_share_of_alerts_editors_confirmed(tmp_path: Path, data_dir: Path) -> None:
    from datetime import UTC, datetime

    from bot.core.domain import AlertKey, Channel, ChannelId
    from bot.core.records import FeedbackRecord, Verdict
    from bot.entry.config import load_settings
    from bot.entry.service import open_store

    env = service_env(tmp_path)
    store = open_store(load_settings(env, env_file=None))
    desk = Channel("slack", ChannelId("C1"))
    confirmed, rejected = Verdict.CONFIRMED, Verdict.FALSE_ALARM
    for verdict in (confirmed, confirmed, confirmed, rejected):
        store.add_feedback(
            FeedbackRecord(AlertKey("a|b"), desk, "U1", verdict, datetime(2026, 1, 1, tzinfo=UTC))
        )
    done = run_cli("eval", str(data_dir / "dev"), "--feedback", "--json", env=env, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    feedback = json.loads(done.stdout)["editor_feedback"]
    assert feedback == {"confirmed": 3, "false_alarm": 1, "confirmed_share": 0.75}


def test_read_only_commands_create_merge_and_write_nothing(tmp_path: Path, data_dir: Path) -> None:
    import hashlib

    watchlist = data_dir / "dev" / "watchlist.json"
    env = service_env(
        tmp_path,
        {"DENIALWATCH_WATCHLIST": str(watchlist), "DENIALWATCH_FETCH_ALLOW_HOSTS": "127.0.0.1:9"},
    )
    database = tmp_path / "dw.db"
    read_only = (
        ("feeds", "list"),
        ("claims", "list"),
        ("claims", "export"),
        ("claims", "search", "clearview"),
        ("watch", "list"),
    )
    for args in read_only:
        done = run_cli(*args, env=env, cwd=tmp_path)
        assert done.returncode == 0, (args, done.stderr)
        assert done.stdout.strip() in ("", "no match"), args
    assert not database.exists()

    added = run_cli("feeds", "add", "http://127.0.0.1:9/rss", env=env, cwd=tmp_path)
    assert added.returncode == 0, added.stderr
    before = hashlib.sha256(database.read_bytes()).hexdigest()
    for args in read_only:
        assert run_cli(*args, env=env, cwd=tmp_path).returncode == 0, args
    assert hashlib.sha256(database.read_bytes()).hexdigest() == before
    # DENIALWATCH_WATCHLIST is merged by the service and by analysing commands only.
    assert run_cli("watch", "list", env=env, cwd=tmp_path).stdout == ""
    listed = run_cli("feeds", "list", env=env, cwd=tmp_path).stdout
    assert listed.startswith("1\thttp://127.0.0.1:9/rss")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql+psycopg://dw:s3cret-pw@127.0.0.1:1/dw", "Connection refused"),
        ("postgresql+psycopg://dw:s3cret-pw@127.0.0.1:notaport/dw", "malformed URL"),
        ("sqlite:////proc/no-such-dir/dw.db", "unable to open database file"),
    ],
    ids=["unreachable", "bad-port", "unopenable-sqlite"],
)
@pytest.mark.parametrize("command", [["claims", "list"], ["run"]])
def test_database_errors_are_one_line_naming_the_setting_without_the_password(
    tmp_path: Path, url: str, expected: str, command: list[str]
) -> None:
    env = service_env(tmp_path, {"DENIALWATCH_DATABASE_URL": url, "DENIALWATCH_HTTP_PORT": "0"})
    done = run_cli(*command, env=env, cwd=tmp_path)
    assert done.returncode == 2
    lines = [line for line in done.stderr.splitlines() if not line.startswith("{")]
    assert len(lines) == 1, done.stderr[-2000:]
    assert "DENIALWATCH_DATABASE_URL" in lines[0] and expected in lines[0]
    assert "s3cret-pw" not in done.stderr and "Traceback" not in done.stderr


def test_a_claim_under_an_alias_in_another_language_contradicts_the_canonical_denial(
    tmp_path: Path, data_dir: Path
) -> None:
    env = service_env(tmp_path, {"DENIALWATCH_WATCHLIST": str(data_dir / "dev" / "watchlist.json")})
    denial = run_cli(
        "claims", "add", "Belgian Federal Police", "Clearview AI", "denies",
        "The force has never used Clearview AI.", "--date", "2020-02-28",
        env=env, cwd=tmp_path,
    )  # fmt: skip
    assert denial.returncode == 0, denial.stderr
    for agency, topic in (("federale politie", "clearview"), ("police fédérale", "Clearview")):
        added = run_cli(
            "claims", "add", agency, topic, "affirms", f"{agency} used {topic}.",
            "--date", "2021-10-29", env=env, cwd=tmp_path,
        )  # fmt: skip
        assert added.returncode == 0, added.stderr
        assert added.stdout.startswith("recorded Belgian Federal Police affirms Clearview AI")
        assert "contradicts 1 earlier statement" in added.stdout


@pytest.mark.parametrize("mode", ["agencies", "topics"])
@pytest.mark.parametrize(
    ("earlier", "later"), [("dev-01", "dev-06"), ("dev-09", "dev-11")], ids=["be", "nl"]
)
def test_both_seed_cases_alert_with_a_reduced_watchlist(
    data_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    earlier: str,
    later: str,
    mode: str,
) -> None:
    """A newsroom that watches only the agencies, or only the topics, still gets both."""
    from dataclasses import asdict

    from bot.core.domain import watch_mode

    reduced = watch_mode(read_watchlist(data_dir / "dev" / "watchlist.json"), mode)
    watchlist = tmp_path / "watchlist.json"
    watchlist.write_text(
        json.dumps(
            {
                "agencies": [asdict(a) for a in reduced.agencies],
                "topics": [asdict(t) for t in reduced.topics],
            }
        )
    )
    reports = _subset(data_dir, tmp_path, [earlier, later])
    assert main(["replay", str(reports), "--watchlist", str(watchlist), "--json"]) == 0
    alerts = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(a["report_id"], a["contradicts"]) for a in alerts] == [(later, earlier)]
