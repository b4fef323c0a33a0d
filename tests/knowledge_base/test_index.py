"""PassageIndex persistence: saving must not block searches and edits while it writes."""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import pytest

from core.embedding import FakeEmbedder
from knowledge_base.index import PassageIndex
from tests.knowledge_base.factories import doc


def test_save_writes_outside_the_index_lock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    index = PassageIndex(FakeEmbedder())
    index.build([doc(f"a{i}", f"T{i}", f"## S\ntext {i}") for i in range(5)])
    free: list[bool] = []

    def lock_is_free() -> None:
        probe = threading.Thread(target=lambda: free.append(index.lock.acquire(timeout=1)
                                                            and (index.lock.release() or True)))
        probe.start()
        probe.join()

    def spy(real):  # type: ignore[no-untyped-def]
        def call(*args, **kwargs):  # type: ignore[no-untyped-def]
            lock_is_free()
            return real(*args, **kwargs)
        return call

    # copying every vector (stack) and writing (save) are the slow parts at 100,000 passages
    monkeypatch.setattr(np, "stack", spy(np.stack))
    monkeypatch.setattr(np, "save", spy(np.save))
    index.save(tmp_path / "kb", {"model": "fake-256", "dim": 256})
    assert free == [True, True, True]

def test_save_and_load_round_trip_keeps_passages_vectors_and_versions(tmp_path: Path) -> None:
    index = PassageIndex(FakeEmbedder())
    index.build([doc("a", "A", "## S\nalpha text", version=3), doc("b", "B", "## S\nbeta text")])
    index.save(tmp_path / "kb", {"model": "fake-256", "dim": 256})
    again = PassageIndex(FakeEmbedder())
    meta = again.load(tmp_path / "kb")
    assert meta["articles"] == {"a": 3, "b": 1} and again.article_versions() == {"a": 3, "b": 1}
    assert set(again.vectors) == set(index.vectors)
    q = FakeEmbedder().encode(["alpha"])[0]
    assert again.dense_search(q, 2) == index.dense_search(q, 2)
