"""The one pipeline every way in drives: extract, detect, route, commit."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from bot.app.ports import Clock, Store
from bot.core.alerts import DEFAULT_GROUP_WINDOW, route
from bot.core.detection import MIN_SCORE, find_contradictions
from bot.core.domain import (
    AgencyName,
    AlertKey,
    Analysis,
    Contradiction,
    Decision,
    Reason,
    Report,
    Statement,
    Watchlist,
    alert_key,
)
from bot.core.extraction import Extractor
from bot.core.language.lexicon import Lexicon
from bot.core.language.vocabulary import Vocabulary
from bot.core.organisations import agency_block
from bot.core.records import AlertRecord, AnalysisWrite


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
    ) -> None:
        self._store = store
        self._clock = clock
        self._lexicons = lexicons
        self._vocabulary = vocabulary
        self._group_window = group_window
        self._min_score = min_score
        self._extractor: tuple[Watchlist, Extractor] | None = None

    @property
    def store(self) -> Store:
        return self._store

    def extractor(self) -> Extractor:
        """Return an extractor for the current watchlist, rebuilt when it changes."""
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
        return [self.analyse(report) for report in self._store.claim_unanalysed(limit)]

    def check(self, report: Report) -> Analysis:
        """Analyse a text against the store without keeping anything."""
        extraction = self.extractor().extract(report, sequence=self._store.next_sequence())
        contradictions, decisions = self.detect(extraction.statements)
        return Analysis(
            report,
            extraction.statements,
            tuple(contradictions),
            extraction.decisions + tuple(decisions),
            extraction.language,
        )

    def analyse(self, report: Report) -> Analysis:
        """Extract statements, find contradictions, and commit them with their deliveries."""
        extraction = self.extractor().extract(report, sequence=self._store.next_sequence())
        statements = extraction.statements
        contradictions, decisions = self.detect(statements)
        analysis_decisions = list(extraction.decisions) + decisions
        new = self.commit(report, statements, contradictions, analysis_decisions)
        # A replica that analysed a contradicting report at the same moment could not see
        # ours, nor we theirs: look again now that our statements are committed.
        again, _ = self.detect(statements)
        known = {c.key for c in contradictions}
        late = [c for c in again if c.key not in known]
        if late:
            new += self.commit(report, (), late, analysis_decisions)
        return Analysis(
            report, statements, tuple(new), tuple(analysis_decisions), extraction.language
        )

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
        keys = {alert_key(c.agency, c.topic) for c in contradictions}
        open_alerts: dict[AlertKey, AlertRecord] = {}
        for key in keys:
            record = self._store.alert(key)
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
            AnalysisWrite(
                report_id=report.id,
                statements=statements,
                contradictions=contradictions,
                deliveries=routing.deliveries,
                alerts=routing.alerts,
                at=now,
            )
        )

    def detect(
        self, statements: tuple[Statement, ...]
    ) -> tuple[list[Contradiction], list[Decision]]:
        """Pair new statements with stored ones of the same agency; keep what is watched."""
        watchlist = self._store.watchlist()
        found, decisions = find_contradictions(
            statements, self._stored_for(statements), self._min_score, watchlist.topic_keys()
        )
        kept = [c for c in found if watchlist.covers(c.agency, c.topic)]
        decisions.extend(
            Decision(Reason.NO_SUBSCRIBER, "not watched", c.agency, c.topic)
            for c in found
            if c not in kept
        )
        return kept, decisions

    def _stored_for(self, statements: tuple[Statement, ...]) -> list[Statement]:
        """Candidates: every stored statement of each agency speaking here (blocked by agency)."""
        blocks = sorted({agency_block(s.agency) for s in statements})
        stored: dict[str, Statement] = {}
        for block in blocks:
            stored.update((s.id, s) for s in self._store.statements_by(AgencyName(block)))
        return list(stored.values())
