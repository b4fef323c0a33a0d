"""Which cached entries hold an erased customer's words: one comparable form for cache keys and messages.

A cache key holds a message when the message's words appear in it, in order, whole: the same text,
or a text derived from it (lower-cased, stripped of punctuation, or part of a longer key). Matching
a little too much only costs a cache miss; matching too little would keep erased words in memory.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, MutableMapping, Sequence
from contextlib import AbstractContextManager
from typing import Any

_NOT_WORD = re.compile(r"[\W_]+")


def comparable(text: str) -> str:
    """The words of a text, case-folded, separated by single spaces (punctuation dropped)."""
    return " ".join(_NOT_WORD.sub(" ", unicodedata.normalize("NFKC", text).casefold()).split())


class ErasedTexts:
    """A customer's texts, ready to test cache keys against."""

    def __init__(self, texts: Iterable[str]) -> None:
        self.forms = sorted({f" {f} " for f in map(comparable, texts) if f}, key=len, reverse=True)

    def __bool__(self) -> bool:
        return bool(self.forms)

    def holds(self, key: str) -> bool:
        """True when the key holds one of the texts, as whole words."""
        k = f" {comparable(key)} "
        return any(f in k for f in self.forms)


def drop_matching(entries: MutableMapping[str, Any], texts: Iterable[str]) -> int:
    """Remove the entries whose key holds one of the texts (callers hold the cache's lock); return how many."""
    erased = ErasedTexts(texts)
    if not erased:
        return 0
    gone = [k for k in entries if erased.holds(k)]
    for k in gone:
        del entries[k]
    return len(gone)


def count_matching(keys: Iterable[str], texts: Iterable[str]) -> int:
    """How many keys hold one of the texts (the admin's check that an erasure reached this worker)."""
    erased = ErasedTexts(texts)
    return sum(1 for k in keys if erased.holds(k)) if erased else 0


class Forgetful:
    """forget / holding / clear for a cache keyed by text: a class names its entries and their lock."""

    def _text_cache(self) -> tuple[MutableMapping[str, Any], AbstractContextManager[Any]]:
        raise NotImplementedError

    def forget(self, texts: Sequence[str]) -> int:
        """Drop the entries holding these texts (an erased customer's messages); return how many."""
        entries, lock = self._text_cache()
        with lock:
            return drop_matching(entries, texts)

    def holding(self, texts: Sequence[str]) -> int:
        """How many entries hold these texts."""
        entries, lock = self._text_cache()
        with lock:
            return count_matching(list(entries), texts)

    def clear(self) -> None:
        """Empty the cache."""
        entries, lock = self._text_cache()
        with lock:
            entries.clear()


__all__ = ["ErasedTexts", "Forgetful", "comparable", "count_matching", "drop_matching"]
