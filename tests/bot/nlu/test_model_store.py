from __future__ import annotations

from pathlib import Path

from bot.nlu import NLUService, NLUSettings
from core.embedding import FakeEmbedder


def _train(data_dir: Path, model_dir: Path, messages: list[str], **settings: object) -> NLUService:
    return NLUService.load_or_train(data_dir, model_dir, embedder=FakeEmbedder(),
                                    settings=NLUSettings(**settings), progress=messages.append)  # type: ignore[arg-type]


def test_load_or_train_reuses_the_model_when_nothing_changed(data_dir: Path, tmp_path: Path) -> None:
    messages: list[str] = []
    first = _train(data_dir, tmp_path / "m", messages)
    second = _train(data_dir, tmp_path / "m", messages)
    assert [m.split(" ")[0] for m in messages] == ["training", "NLU", "NLU"]
    assert messages[2].startswith("NLU model is up to date")
    assert second.metadata == first.metadata
    assert second.parse("my internet is down") == first.parse("my internet is down")


def test_load_or_train_retrains_when_data_changes(data_dir: Path, tmp_path: Path) -> None:
    messages: list[str] = []
    _train(data_dir, tmp_path / "m", messages)
    (data_dir / "more.yml").write_text('version: "3.1"\nnlu:\n- intent: greet\n  examples: |\n    - howdy\n')
    svc = _train(data_dir, tmp_path / "m", messages)
    assert messages[-1].startswith("NLU model trained")
    assert svc.metadata["n_examples"] == 24
    assert sorted(p.name.split(".")[-1] for p in (tmp_path / "m").iterdir()) == ["joblib", "json"]


def test_load_or_train_retrains_when_a_training_setting_changes(data_dir: Path, tmp_path: Path) -> None:
    messages: list[str] = []
    _train(data_dir, tmp_path / "m", messages)
    _train(data_dir, tmp_path / "m", messages, c=3.0)
    assert messages[-1].startswith("NLU model trained")


def test_load_or_train_keeps_the_model_when_only_a_runtime_setting_changes(data_dir: Path, tmp_path: Path) -> None:
    messages: list[str] = []
    _train(data_dir, tmp_path / "m", messages)
    _train(data_dir, tmp_path / "m", messages, ambiguity_margin=0.3, max_chars=200, fallback_threshold=0.5)
    assert messages[-1].startswith("NLU model is up to date")


def test_load_or_train_retrains_over_a_damaged_model_file(data_dir: Path, tmp_path: Path) -> None:
    messages: list[str] = []
    svc = _train(data_dir, tmp_path / "m", messages)
    (tmp_path / "m" / f"nlu-{svc.metadata['version']}.joblib").write_bytes(b"not a model")
    _train(data_dir, tmp_path / "m", messages)
    assert messages[-1].startswith("NLU model trained")
