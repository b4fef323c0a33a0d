"""The NLU benchmark's honesty rules (bench/nlu/): DIET epochs are stated and never mixed up.

Here rather than under tests/bench because the intent layer's owners keep bench/nlu (issue #3).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from bench.nlu.table import diet_label

DIET_SH = Path(__file__).resolve().parents[3] / "bench" / "nlu" / "diet.sh"


def test_diet_label_marks_runs_shorter_than_rasas_default() -> None:
    assert diet_label(20) == "DIET (20 epochs; Rasa's default is 100)"
    assert diet_label(100) == "DIET (100 epochs)"


@pytest.mark.parametrize(("stamp", "timing_epochs"), [("30", None), (None, 20)])
def test_diet_sh_refuses_a_model_trained_with_other_epochs(tmp_path: Path, stamp: str | None,
                                                           timing_epochs: int | None) -> None:
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "diet.tar.gz").write_bytes(b"")
    (tmp_path / "train_seconds").write_text("5\n")
    if stamp:
        (tmp_path / "models" / "epochs").write_text(stamp + "\n")
    if timing_epochs:  # a run from before models/epochs existed
        (tmp_path / "timing.json").write_text(json.dumps({"train_seconds": 5, "test_seconds": 1,
                                                          "epochs": timing_epochs}))
    out = subprocess.run(["bash", str(DIET_SH), str(tmp_path), "100", str(tmp_path)], capture_output=True, text=True)
    assert out.returncode == 1
    assert f"trained with {stamp or timing_epochs} epochs, not 100" in out.stderr
    assert not (tmp_path / "config.yml").exists()  # refused before touching anything
