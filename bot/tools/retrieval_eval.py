"""CheckThat! 2020 task 2 claim retrieval: rank the claim store for each tweet, score MAP@5.

Metrics follow trec_eval: AP@5 divides by the number of gold claims of a query, and
averages run over the queries with at least one gold pair (199 on the test split).
"""

from __future__ import annotations

import csv
import sys
from collections import defaultdict
from collections.abc import Iterator, Mapping
from pathlib import Path

from bot.core.matching import ClaimDoc, ClaimIndex, Tuning

SPLITS = ("train", "dev", "test")
DEPTH = 5


def _rows(path: Path) -> Iterator[list[str]]:
    csv.field_size_limit(sys.maxsize)
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle, delimiter="\t")
        next(reader, None)
        yield from reader


def load_claims(directory: Path) -> list[ClaimDoc]:
    """Read the verified claims as documents: claim text and article title."""
    return [
        ClaimDoc(row[0], f"{row[1]} {row[2]}")
        for row in _rows(directory / "verified_claims.docs.tsv")
        if len(row) >= 3
    ]


def load_queries(directory: Path, split: str) -> dict[str, str]:
    """Read a split's tweets by id."""
    return {row[0]: row[1] for row in _rows(directory / split / "tweets.queries.tsv")}


def load_gold(directory: Path, split: str) -> dict[str, set[str]]:
    """Read a split's relevant claim ids per tweet id."""
    gold: dict[str, set[str]] = defaultdict(set)
    with (directory / split / "tweet-vclaim-pairs.qrels").open(encoding="utf-8") as handle:
        for line in handle:
            fields = line.split()
            if len(fields) >= 4 and int(fields[3]) > 0:
                gold[fields[0]].add(fields[2])
    return dict(gold)


def score_rankings(
    rankings: Mapping[str, list[str]], gold: Mapping[str, set[str]], depth: int = DEPTH
) -> dict[str, float | int]:
    """Score rankings by MAP@depth, MRR@depth and P@1 over queries with gold pairs."""
    total_ap = total_rr = total_p1 = 0.0
    for query_id, relevant in gold.items():
        ranked = rankings.get(query_id, [])[:depth]
        found = 0
        precision_sum = 0.0
        first = 0.0
        for rank, doc_id in enumerate(ranked, start=1):
            if doc_id in relevant:
                found += 1
                precision_sum += found / rank
                first = first or 1.0 / rank
        total_ap += precision_sum / len(relevant)
        total_rr += first
        total_p1 += 1.0 if ranked and ranked[0] in relevant else 0.0
    count = len(gold)
    return {
        "map@5": round(total_ap / count, 4) if count else 0.0,
        "mrr": round(total_rr / count, 4) if count else 0.0,
        "p@1": round(total_p1 / count, 4) if count else 0.0,
        "queries": count,
    }


def build_index(directory: Path, tuning: Tuning | None = None) -> ClaimIndex:
    """Index the verified claims of a CheckThat! directory."""
    index = ClaimIndex(tuning)
    index.add_many(load_claims(directory))
    return index


def rank_split(index: ClaimIndex, directory: Path, split: str) -> dict[str, list[str]]:
    """Rank the claim store for every tweet of a split."""
    return {
        query_id: [hit.doc_id for hit in index.search(text, k=DEPTH)]
        for query_id, text in load_queries(directory, split).items()
    }


def evaluate_retrieval(
    directory: Path, split: str = "test", tuning: Tuning | None = None
) -> dict[str, float | int]:
    """Return {"map@5", "mrr", "p@1", "queries"} of the matcher on one split."""
    if split not in SPLITS:
        raise ValueError(f"unknown split {split!r}; expected one of {', '.join(SPLITS)}")
    if not (directory / "verified_claims.docs.tsv").is_file():
        raise FileNotFoundError(f"{directory} holds no verified_claims.docs.tsv")
    index = build_index(directory, tuning)
    return score_rankings(rank_split(index, directory, split), load_gold(directory, split))
