"""Score detected contradictions against gold pairs (data/dev/README.md rules)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.inputs.loading import InputError, read_jsonl


@dataclass(frozen=True, slots=True)
class GoldEntry:
    report_id: str
    contradicts: frozenset[str]
    kind: str
    hard: bool = False


@dataclass(frozen=True, slots=True)
class Score:
    precision: float
    recall: float
    f1: float
    alerts: int
    correct: int
    gold_reports: int
    errors: tuple[dict[str, Any], ...] = field(default=())

    def document(self) -> dict[str, Any]:
        return {
            "precision": self.precision,
            "recall": self.recall,
            "f1": self.f1,
            "alerts": self.alerts,
            "correct": self.correct,
            "gold_reports": self.gold_reports,
            "errors": list(self.errors),
        }


def parse_gold(entries: Iterable[Mapping[str, Any]]) -> list[GoldEntry]:
    gold: list[GoldEntry] = []
    for entry in entries:
        contradicts = entry.get("contradicts", [])
        if not isinstance(contradicts, list):
            raise ValueError("gold 'contradicts' must be a list of report ids")
        gold.append(
            GoldEntry(
                str(entry["report_id"]),
                frozenset(map(str, contradicts)),
                str(entry.get("kind", "")),
                bool(entry.get("hard", False)),
            )
        )
    return gold


def score(alerts: Iterable[tuple[str, str, str]], gold: Iterable[GoldEntry]) -> Score:
    """Score (report_id, contradicts, kind) alerts: precision over pairs, recall over reports."""
    gold = list(gold)
    gold_pairs = {(g.report_id, c): g for g in gold for c in g.contradicts}
    pairs: dict[tuple[str, str], str] = {}
    for report_id, contradicts, kind in alerts:
        pairs.setdefault((report_id, contradicts), kind)
    errors: list[dict[str, Any]] = []
    correct = 0
    hit_reports: set[str] = set()
    for (report_id, contradicts), kind in sorted(pairs.items()):
        expected = gold_pairs.get((report_id, contradicts))
        if expected is None:
            errors.append(
                {
                    "type": "false_positive",
                    "report_id": report_id,
                    "contradicts": contradicts,
                    "kind": kind,
                }
            )
            continue
        correct += 1
        hit_reports.add(report_id)
        if expected.kind and expected.kind != kind:
            errors.append(
                {
                    "type": "wrong_kind",
                    "report_id": report_id,
                    "contradicts": contradicts,
                    "kind": kind,
                    "expected": expected.kind,
                }
            )
    gold_reports = {g.report_id for g in gold}
    for entry in gold:
        if entry.report_id not in hit_reports:
            errors.append(
                {
                    "type": "false_negative",
                    "report_id": entry.report_id,
                    "contradicts": sorted(entry.contradicts),
                    "kind": entry.kind,
                    "hard": entry.hard,
                }
            )
    precision = correct / len(pairs) if pairs else (1.0 if not gold_reports else 0.0)
    recall = len(hit_reports & gold_reports) / len(gold_reports) if gold_reports else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return Score(
        round(precision, 4),
        round(recall, 4),
        round(f1, 4),
        len(pairs),
        correct,
        len(gold_reports),
        tuple(errors),
    )


def read_gold(path: Path) -> list[GoldEntry]:
    """Read a gold file (one JSON object a line), with a one-line error."""
    try:
        return parse_gold(row for _, row in read_jsonl(path))
    except (KeyError, ValueError, TypeError) as error:
        raise InputError(f"{path}: malformed gold entry ({error})") from None
