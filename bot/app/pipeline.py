"""The one pipeline every way in drives: extract, detect, route, commit."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import timedelta

import structlog

from bot.app.ports import Clock, Store
from bot.core.alerts import DEFAULT_GROUP_WINDOW, route
from bot.core.detection import MIN_SCORE, contradictions_among, record_order
from bot.core.domain import (
    AgencyName,
    AlertKey,
    Analysis,
    Contradiction,
    Decision,
    Reason,
    Report,
    ReportId,
    Statement,
    Watchlist,
    alert_key,
)
from bot.core.extraction import Extraction, Extractor
from bot.core.language.lexicon import Lexicon
from bot.core.language.text import split_sentences
from bot.core.language.vocabulary import Vocabulary
from bot.core.organisations import agency_block
from bot.core.records import AlertRecord, AlikeStatements, AnalysisWrite
from bot.inputs.reports import bounded_report

log = structlog.get_logger("denialwatch.pipeline")

ANALYSIS_BUDGET = timedelta(seconds=30)
"""Wall time one report may take; past it the report is marked `too_costly` and skipped."""
MAX_SENTENCE_WORDS = 400
"""Longer "sentences" (text without punctuation) are analysed in pieces of this many words:
the matching work per sentence grows faster than its length."""
MAX_ATTEMPTS = 5
"""Analyses of one report that may fail before it is set aside with the reason."""


class TooCostly(Exception):
    """A report's analysis ran past its budget; nothing of it was committed."""


class Pipeline:
    """Analyse reports against the store and commit statements, contradictions and outbox."""

    def __init__(
        self,
        store: Store,
        clock: Clock,
        lexicons: Mapping[str, Lexicon],
        vocabulary: Vocabulary,
        *,
        group_window: timedelta = DEFAULT_GROUP_WINDOW,
        min_score: float = MIN_SCORE,
        budget: timedelta = ANALYSIS_BUDGET,
    ) -> None:
        self._store = store
        self._clock = clock
        self._lexicons = lexicons
        self._vocabulary = vocabulary
        self._group_window = group_window
        self._min_score = min_score
        self._extractor: tuple[Watchlist, Extractor] | None = None
        self.budget = budget
        self._failures: dict[ReportId, int] = {}
        self._unreleased: set[ReportId] = set()

    @property
    def store(self) -> Store:
        return self._store

    def extractor(self, watchlist: Watchlist | None = None) -> Extractor:
        """An extractor for `watchlist` (default: the stored one), rebuilt when it changes."""
        if watchlist is None:
            watchlist = self._store.watchlist()
        if self._extractor is None or self._extractor[0] != watchlist:
            self._extractor = (watchlist, Extractor(watchlist, self._lexicons, self._vocabulary))
        return self._extractor[1]

    def ingest(self, report: Report) -> Analysis | None:
        """Store a report and analyse it; None when it was already stored."""
        if not self._store.add_report(report):
            return None
        return self.analyse(report)

    def process_pending(self, limit: int = 50) -> list[Analysis]:
        """Analyse reports stored but not yet analysed (after a crash, or by another intake)."""
        done: list[Analysis] = []
        for report in self.claim(limit):
            analysis = self.analyse_claimed(report)
            if analysis is not None:
                done.append(analysis)
        return done

    def claim(self, limit: int) -> list[Report]:
        """Claim reports to analyse, first giving back claims a failed attempt left behind."""
        if self._unreleased:
            self._store.release_claims(sorted(self._unreleased))
            self._unreleased.clear()
        return self._store.claim_unanalysed(limit)

    def analyse_claimed(self, report: Report, deadline: float | None = None) -> Analysis | None:
        """Analyse a claimed report; on failure give its claim back at once (None).

        A report that keeps failing is set aside after `MAX_ATTEMPTS` with the reason,
        so it cannot hold up the reports behind it; one over budget at once.
        """
        try:
            analysis = self.analyse(report, deadline)
        except TooCostly as error:
            self.skip(report.id, f"too_costly: {error}")
            return None
        except Exception as error:
            attempts = self._failures.get(report.id, 0) + 1
            log.warning(
                "analysis failed", report=report.id, attempt=attempts, error=type(error).__name__
            )
            try:
                if attempts >= MAX_ATTEMPTS:
                    self.skip(report.id, f"analysis_failed: {type(error).__name__}")
                else:
                    self._store.release_claims([report.id])
                    self._failures[report.id] = attempts
            except Exception:
                # The database is away: give the claim back on the next tick instead.
                self._unreleased.add(report.id)
                raise error from None
            return None
        self._failures.pop(report.id, None)
        return analysis

    def release(self, report_ids: Sequence[ReportId]) -> None:
        """Give back claims this process will not work on (stopping, or given up)."""
        try:
            self._store.release_claims(report_ids)
        except Exception:
            self._unreleased.update(report_ids)
            raise

    def skip(self, report_id: ReportId, reason: str) -> None:
        """Set a report aside unanalysed, with the reason where GET /api/v1/reports shows it."""
        log.warning("report skipped", report=report_id, reason=reason)
        self._failures.pop(report_id, None)
        self._store.skip_report(report_id, reason)

    def check(self, report: Report) -> Analysis:
        """Analyse a text against the store without keeping anything."""
        report = bounded(report)
        watchlist = self._store.watchlist()
        extraction, _ = self._extract(report, watchlist)
        contradictions, decisions = self.detect(extraction.statements, watchlist=watchlist)
        return Analysis(
            report,
            extraction.statements,
            tuple(contradictions),
            extraction.decisions + tuple(decisions),
            extraction.language,
        )

    def analyse(self, report: Report, deadline: float | None = None) -> Analysis:
        """Extract statements, find contradictions, and commit them with their deliveries.

        `deadline` (a `time.monotonic()` instant, default now + budget) is checked before
        anything is committed: a report past it raises TooCostly and leaves no trace.
        """
        started = time.monotonic()
        if deadline is None:
            deadline = started + self.budget.total_seconds()
        # One read of the watchlist for the whole analysis: each read is a transaction of
        # its own, and the report is read and judged against one watchlist throughout.
        watchlist = self._store.watchlist()
        # The last sequence number, read before detection looks at stored statements.
        extraction, taken = self._extract(bounded(report), watchlist)
        statements = extraction.statements
        contradictions, decisions = self.detect(statements, watchlist=watchlist)
        if time.monotonic() > deadline:
            raise TooCostly(
                f"analysis took {time.monotonic() - started:.1f} s, "
                f"over the budget of {self.budget.total_seconds():g} s"
            )
        analysis_decisions = list(extraction.decisions) + decisions
        new = self.commit(report, statements, contradictions, analysis_decisions)
        # A replica that analysed a contradicting report at the same moment could not see
        # ours, nor we theirs. If any analysis but ours was committed since detection
        # looked, look again now that ours is: of two analyses that overlap, the one
        # committed second finds the sequence moved by more than its own commit.
        if statements and self._store.last_sequence() != taken + 1:
            again, _ = self.detect(statements, watchlist=watchlist)
            known = {c.key for c in contradictions}
            late = [c for c in again if c.key not in known]
            if late:
                new += self.commit(report, (), late, analysis_decisions)
        return Analysis(
            report, statements, tuple(new), tuple(analysis_decisions), extraction.language
        )

    def _extract(self, report: Report, watchlist: Watchlist) -> tuple[Extraction, int]:
        """Extract statements, numbered after the last sequence number taken; that number.

        The number breaks ties between statements of one date in the order reports are
        analysed: the commit takes it (analyses at the same moment may share one; their
        report ids break the tie). It is read only for a report with statements.
        """
        extraction = self.extractor(watchlist).extract(report)
        if not extraction.statements:
            return extraction, 0
        taken = self._store.last_sequence()
        numbered = tuple(replace(s, sequence=taken + 1) for s in extraction.statements)
        return replace(extraction, statements=numbered), taken

    def commit(
        self,
        report: Report,
        statements: tuple[Statement, ...],
        contradictions: list[Contradiction],
        decisions: list[Decision] | None = None,
    ) -> list[Contradiction]:
        """Commit statements, contradictions, the alerts they open and their outbox rows."""
        decisions = [] if decisions is None else decisions
        now = self._clock.now()
        write = AnalysisWrite(report_id=report.id, statements=statements, at=now)
        if not contradictions:
            # Most reports: nothing to route, so no subscription, silence or alert to read.
            return self._store.save_analysis(write)
        keys = {alert_key(c.agency, c.topic) for c in contradictions}
        open_alerts: dict[AlertKey, AlertRecord] = {}
        for key in keys:
            record = self._store.alert_leads(key)
            if record is not None:
                open_alerts[key] = record
        routing = route(
            contradictions,
            self._store.subscriptions(),
            self._store.silences(),
            open_alerts,
            now,
            self._group_window,
        )
        decisions.extend(routing.decisions)
        return self._store.save_analysis(
            replace(
                write,
                contradictions=contradictions,
                deliveries=routing.deliveries,
                alerts=routing.alerts,
            )
        )

    def detect(
        self,
        statements: tuple[Statement, ...],
        *,
        watched_only: bool = True,
        watchlist: Watchlist | None = None,
    ) -> tuple[list[Contradiction], list[Decision]]:
        """Pair new statements with stored ones of the same agency; keep what is watched
        (in `watchlist`, default: the stored one)."""
        if watchlist is None:
            watchlist = self._store.watchlist()
        found, decisions = contradictions_among(
            statements, self._stored_for(statements), self._min_score, watchlist.topic_keys()
        )
        # A claim recorded by hand is about what its author cares for, watched or not.
        kept = [c for c in found if not watched_only or watchlist.covers(c.agency, c.topic)]
        decisions.extend(
            Decision(Reason.NO_SUBSCRIBER, "not watched", c.agency, c.topic)
            for c in found
            if c not in kept
        )
        return kept, decisions

    def _stored_for(self, statements: tuple[Statement, ...]) -> list[AlikeStatements]:
        """Candidates: each agency block's alike groups (their ends and sizes), not every row.

        The new statements' own report is left out: after its commit, the statements
        are stored too and must not pair with themselves.
        """
        blocks = sorted({agency_block(s.agency) for s in statements})
        own = {s.report_id for s in statements}
        if len(blocks) == 1:
            return self._store.alike_statements(AgencyName(blocks[0]), own)
        stored: dict[tuple[str, str], AlikeStatements] = {}
        for block in blocks:
            for group in self._store.alike_statements(AgencyName(block), own):
                stored.setdefault((group.earliest.id, group.latest.id), group)
        return sorted(stored.values(), key=lambda g: record_order(g.earliest))


def bounded(report: Report) -> Report:
    """The report as analysed: fields within their caps, no endless sentence.

    Whatever way a report came in, analysis time stays proportional to its length.
    """
    report, cut = bounded_report(report)
    if cut:
        log.warning("report truncated for analysis", report=report.id, fields=list(cut))
    text = _bounded_sentences(report.text)
    title = _bounded_sentences(report.title)
    if text is report.text and title is report.title:
        return report
    log.warning("long sentences split for analysis", report=report.id)
    return replace(report, title=title, text=text)


def _bounded_sentences(text: str) -> str:
    # Cheap test first: text with no run of MAX_SENTENCE_WORDS words is returned as is.
    if len(text.split(maxsplit=MAX_SENTENCE_WORDS)) <= MAX_SENTENCE_WORDS:
        return text
    sentences = split_sentences(text)
    if all(len(s.split(maxsplit=MAX_SENTENCE_WORDS)) <= MAX_SENTENCE_WORDS for s in sentences):
        return text
    pieces: list[str] = []
    for sentence in sentences:
        words = sentence.split()
        for start in range(0, len(words), MAX_SENTENCE_WORDS):
            pieces.append(" ".join(words[start : start + MAX_SENTENCE_WORDS]))
    return "\n".join(pieces)
