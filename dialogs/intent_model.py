"""A small naive Bayes model of how managers phrase each intent, learnt from the labelled
phrasings in dialogs/intent_examples.tsv (offline, standard library only).

The recognizer's cue patterns are precise but only know the words someone listed; this model
knows which words tend to come with which intent ("vilka mål … svårast" is mostly a question
about goals behind). The recognizer asks it only when no cue decided, and only takes its
answer when the model is sure and knows enough of the words.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

EXAMPLES = Path(__file__).with_name("intent_examples.tsv")


@dataclass(frozen=True)
class Guess:
    label: str
    probability: float
    known: frozenset[str]  # the words (not names, pattern words or pairs) the model has seen


class IntentModel:
    """Multinomial naive Bayes with add-one smoothing over the recognizer's tokens."""

    def __init__(self, rows: list[tuple[str, list[str]]]) -> None:
        label_counts = Counter(label for label, _ in rows)
        total = sum(label_counts.values()) or 1
        self._prior = {label: math.log(n / total) for label, n in label_counts.items()}
        counts: dict[str, Counter[str]] = {label: Counter() for label in label_counts}
        for label, tokens in rows:
            counts[label].update(tokens)
        self._vocabulary = frozenset(t for c in counts.values() for t in c)
        size = len(self._vocabulary) + 1
        self._log_p: dict[str, dict[str, float]] = {}
        self._unseen: dict[str, float] = {}
        for label, c in counts.items():
            denominator = sum(c.values()) + size
            self._log_p[label] = {t: math.log((n + 1) / denominator) for t, n in c.items()}
            self._unseen[label] = math.log(1 / denominator)

    def guess(self, tokens: list[str]) -> Guess | None:
        known = [t for t in tokens if t in self._vocabulary]
        if not known or not self._prior:
            return None
        scores = {
            label: prior + sum(self._log_p[label].get(t, self._unseen[label]) for t in known)
            for label, prior in self._prior.items()
        }
        best = max(scores, key=scores.__getitem__)
        top = scores[best]
        probability = 1.0 / sum(math.exp(s - top) for s in scores.values())
        # names ("@unit"), pattern words ("=…") and pairs ("a_b") back up words, they are not words
        words = frozenset(t for t in known if t[0] not in "@=" and "_" not in t)
        return Guess(best, probability, words)


def read_examples(path: Path = EXAMPLES) -> list[tuple[str, list[str]]]:
    if not path.exists():  # while tests/dialogs/build_intent_examples.py writes it the first time
        return []
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            label, _, tokens = line.partition("\t")
            rows.append((label, tokens.split()))
    return rows


_MODEL: IntentModel | None = None


def model() -> IntentModel:
    global _MODEL
    if _MODEL is None:
        _MODEL = IntentModel(read_examples())
    return _MODEL
