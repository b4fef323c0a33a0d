"""Progress for the long parts of `firstline train` when it runs in a terminal: a bar, or a percentage."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

CHUNK = 256  # texts per step of the bar: small enough to move, large enough to batch well


def interactive() -> bool:
    return sys.stderr.isatty()


class ProgressEmbedder:
    """Embedder wrapper that shows a tqdm bar while it encodes many texts (training, indexing)."""

    def __init__(self, inner: Any, label: str = "encoding", min_texts: int = 2 * CHUNK,
                 enabled: bool | None = None) -> None:
        self.inner = inner
        self.label = label
        self.min_texts = min_texts
        self.enabled = interactive() if enabled is None else enabled

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        return self._chunked(lambda chunk: self.inner.encode(chunk, batch_size=batch_size), texts)

    def encode_layers(self, texts: Sequence[str], layers: Sequence[int], batch_size: int = 64) -> np.ndarray:
        """The inner embedder's encode_layers (the intent classifier's features), with the same bar."""
        return self._chunked(lambda chunk: self.inner.encode_layers(chunk, layers, batch_size=batch_size), texts)

    def _chunked(self, encode: Callable[[Sequence[str]], Any], texts: Sequence[str]) -> np.ndarray:
        if not self.enabled or len(texts) < self.min_texts:
            return np.asarray(encode(texts))
        from tqdm import tqdm

        parts = []
        with tqdm(total=len(texts), desc=f"[firstline] {self.label}", unit="text", file=sys.stderr,
                  leave=False) as bar:
            for start in range(0, len(texts), CHUNK):
                chunk = texts[start:start + CHUNK]
                parts.append(np.asarray(encode(chunk)))
                bar.update(len(chunk))
        return np.concatenate(parts) if parts else np.asarray(encode(texts))


_FINISHED = re.compile(r"Finished training component '([^']+)'")


def dialogue_percent(log: Path, config: Path) -> int | None:
    """How far `rasa train core` is, from the components its log says are trained (None: unknown)."""
    import yaml

    try:
        total = len(yaml.safe_load(config.read_text())["policies"])
        done = len(set(_FINISHED.findall(log.read_text(encoding="utf-8", errors="replace"))))
    except (OSError, KeyError, TypeError, ValueError):
        return None
    return min(100, round(100 * done / total)) if total else None


__all__ = ["ProgressEmbedder", "dialogue_percent", "interactive"]
