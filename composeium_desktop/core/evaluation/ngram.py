"""Character n-gram baseline: interpolated modified Kneser-Ney (Chen & Goodman), order 5.

Trained on the training split's normalised bodies; ``bits`` / ``bpc`` score text the same way
the Transformer is scored: every character of the body plus an end-of-tune symbol in the
numerator, the body's characters in the denominator. Each body starts with order-1 start
symbols, so its first characters are predicted from "start of tune".

Lower orders use continuation counts (how many distinct characters precede an n-gram), the
base is the interpolation of the unigram continuation distribution with a uniform
distribution over the training characters plus one slot for unseen characters, so the
probabilities of every context sum to 1 over that alphabet.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable

START = "\x02"
END = "\x03"
UNKNOWN = "\x00"


class CharNGram:
    """``CharNGram.train(texts, order=5)``; then ``prob``, ``bits``, ``bpc``."""

    def __init__(self, order: int = 5) -> None:
        if order < 1:
            raise ValueError("order must be at least 1")
        self.order = order
        # counts[k][gram] for grams of length k+1: raw counts for the top order,
        # continuation counts for the lower ones.
        self.counts: list[dict[str, int]] = []
        # context[k][history] = (total, n1, n2, n3+) over grams of length k+1 with that history
        self.context: list[dict[str, tuple[int, int, int, int]]] = []
        self.discounts: list[tuple[float, float, float]] = []
        self.alphabet: frozenset[str] = frozenset()

    @classmethod
    def train(cls, texts: Iterable[str], order: int = 5) -> CharNGram:
        model = cls(order)
        top: Counter[str] = Counter()
        pad = START * (order - 1)
        alphabet: set[str] = {END}
        for text in texts:
            alphabet.update(text)
            padded = pad + text + END
            top.update(padded[i : i + order] for i in range(len(padded) - order + 1))
        model.alphabet = frozenset(alphabet - {START})
        counts: list[dict[str, int]] = [{} for _ in range(order)]
        counts[order - 1] = dict(top)
        for k in range(order - 2, -1, -1):
            continuation: Counter[str] = Counter()
            for gram in counts[k + 1]:
                continuation[gram[1:]] += 1
            counts[k] = dict(continuation)
        model.counts = counts
        model.context = [cls._context_stats(c) for c in counts]
        model.discounts = [cls._discounts(c) for c in counts]
        return model

    @staticmethod
    def _context_stats(counts: dict[str, int]) -> dict[str, tuple[int, int, int, int]]:
        stats: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
        for gram, n in counts.items():
            entry = stats[gram[:-1]]
            entry[0] += n
            entry[min(n, 3)] += 1
        return {h: (t, a, b, c) for h, (t, a, b, c) in stats.items()}

    @staticmethod
    def _discounts(counts: dict[str, int]) -> tuple[float, float, float]:
        """Chen & Goodman's estimates of D1, D2, D3+ from the counts of counts."""
        of = Counter(n for n in counts.values() if n <= 4)
        n1, n2, n3, n4 = (of.get(i, 0) for i in (1, 2, 3, 4))
        if not n1 or not n2:
            return (0.5, 0.75, 0.9)
        y = n1 / (n1 + 2 * n2)
        d1 = 1 - 2 * y * n2 / n1
        d2 = 2 - 3 * y * n3 / n2 if n2 else 1.0
        d3 = 3 - 4 * y * n4 / n3 if n3 else 1.5
        clip = lambda d, hi: min(max(d, 0.05), hi)  # noqa: E731 - keep discounts sane
        return (clip(d1, 1.0), clip(d2, 2.0), clip(d3, 3.0))

    @property
    def vocabulary_size(self) -> int:
        """Training characters, the end symbol, and one slot for any unseen character."""
        return len(self.alphabet) + 1

    def prob(self, history: str, char: str) -> float:
        """P(char | the last order-1 characters of history); history may start with START."""
        if char != END and char not in self.alphabet:
            char = UNKNOWN
        history = (
            (START * (self.order - 1) + history)[-(self.order - 1) :] if self.order > 1 else ""
        )
        p = 1.0 / self.vocabulary_size
        for k in range(self.order):
            h = history[len(history) - k :] if k else ""
            stats = self.context[k].get(h)
            if stats is None:
                continue
            total, n1, n2, n3 = stats
            d1, d2, d3 = self.discounts[k]
            count = self.counts[k].get(h + char, 0)
            discount = 0.0 if count == 0 else (d1 if count == 1 else d2 if count == 2 else d3)
            gamma = (d1 * n1 + d2 * n2 + d3 * n3) / total
            p = (count - discount) / total + gamma * p
        return p

    def bits(self, text: str) -> float:
        """-log2 P(text + END) given the start of a tune."""
        padded = START * (self.order - 1) + text
        total = 0.0
        for i, char in enumerate(text + END):
            total -= math.log2(self.prob(padded[i : i + self.order - 1], char))
        return total

    def bpc(self, texts: Iterable[str]) -> float:
        """Bits per character over these texts (end symbols counted in the bits only)."""
        bits, chars = 0.0, 0
        for text in texts:
            bits += self.bits(text)
            chars += len(text)
        return bits / max(chars, 1)
