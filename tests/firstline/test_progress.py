"""Progress while training and indexing: the same vectors in chunks, and a percentage from Rasa's log."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.embedding import FakeEmbedder
from core.settings import ROOT
from firstline.progress import ProgressEmbedder, dialogue_percent


def test_progress_embedder_shows_a_bar_and_gives_the_same_vectors(capsys: pytest.CaptureFixture[str]) -> None:
    texts = [f"question number {i}" for i in range(700)]
    wrapped = ProgressEmbedder(FakeEmbedder(), "encoding", enabled=True)
    np.testing.assert_allclose(wrapped.encode(texts), FakeEmbedder().encode(texts), rtol=1e-6)
    assert "encoding" in capsys.readouterr().err and wrapped.dim == FakeEmbedder().dim


def test_dialogue_percent_counts_trained_components(tmp_path: Path) -> None:
    log = tmp_path / "train.log"
    log.write_text("INFO rasa.engine.training.hooks  - Finished training component 'MemoizationPolicy'.\n")
    assert dialogue_percent(log, ROOT / "bot" / "config.yml") == 50
    log.write_text(log.read_text() + "INFO - Finished training component 'RulePolicy'.\n" * 2)
    assert dialogue_percent(log, ROOT / "bot" / "config.yml") == 100
    assert dialogue_percent(tmp_path / "missing.log", ROOT / "bot" / "config.yml") is None
