from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.nlu import NLUService, cli
from bot.nlu.evaluation import KEYS
from bot.nlu.training_data import load
from core.embedding import FakeEmbedder

TEST = """version: "3.1"
nlu:
- intent: outage
  examples: |
    - my broadband is down
    - internet stopped working
- intent: greet
  examples: |
    - hello there
- intent: out_of_scope
  examples: |
    - what's the weather in paris
"""


def test_evaluate_writes_every_key_as_json(data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("FIRSTLINE_NLU_EMBEDDING_MODEL", "fake")
    (tmp_path / "test.yml").write_text(TEST)
    out = tmp_path / "out" / "r.json"
    rc = cli.main(["nlu", "evaluate", "--train", str(data_dir), "--test", str(tmp_path / "test.yml"),
                   "--json", str(out)])
    result = json.loads(out.read_text())
    assert rc == 0
    assert set(KEYS) <= set(result)
    assert (result["n_train"], result["n_test"], result["embedding"]) == (23, 4, "fake-256")
    # Every test message is easy for the fake embedder, the weather question included (it is close
    # to the trained out_of_scope examples), so each figure is exact.
    assert {k: result[k] for k in ("accuracy", "in_scope_accuracy", "macro_f1", "oos_precision", "oos_recall",
                                   "in_scope_rejected")} == {"accuracy": 1.0, "in_scope_accuracy": 1.0,
                                                             "macro_f1": 1.0, "oos_precision": 1.0,
                                                             "oos_recall": 1.0, "in_scope_rejected": 0.0}
    # All three in-scope answers are right and fall in the (0.9, 1.0] bin: ECE = 1 - their mean confidence.
    svc = NLUService.train(load(data_dir), FakeEmbedder())
    confs = [svc.parse(t)["intent"]["confidence"] for t in ("my broadband is down", "internet stopped working",
                                                            "hello there")]
    assert min(confs) > 0.9
    assert result["ece"] == pytest.approx(1 - sum(confs) / 3, abs=1e-3)
    assert result["parse_ms_p50"] <= result["parse_ms_p95"]
    assert "in_scope_accuracy" in capsys.readouterr().out


def test_evaluate_missing_path_exits_2(tmp_path: Path) -> None:
    assert cli.main(["nlu", "evaluate", "--train", str(tmp_path / "a"), "--test", str(tmp_path / "b")]) == 2


def test_convert_clinc150_writes_splits_with_oos_as_out_of_scope(tmp_path: Path) -> None:
    src = tmp_path / "data_full.json"
    split = {"train": [["book a [table] for two", "book_table"]], "oos_train": [["sing to me", "oos"]]}
    for s in ("val", "test"):
        split[s], split[f"oos_{s}"] = [["how are you", "greeting"]], [["what is love", "oos"]]
    src.write_text(json.dumps(split))
    assert cli.main(["nlu", "convert", "clinc150", str(src), str(tmp_path / "out")]) == 0
    train = load(tmp_path / "out" / "train.yml")
    assert [(e.text, e.intent) for e in train.examples] == [("book a table for two", "book_table"),
                                                            ("sing to me", "out_of_scope")]
    assert [e.intent for e in load(tmp_path / "out" / "test.yml").examples] == ["greeting", "out_of_scope"]


def test_convert_banking77_carves_val_from_train(tmp_path: Path) -> None:
    rows = "text,category\n" + "".join(f"card {i} lost,lost_card\nrate {i}?,exchange_rate\n" for i in range(10))
    (tmp_path / "train.csv").write_text(rows)
    (tmp_path / "test.csv").write_text("text,category\nmy card is gone,lost_card\n")
    assert cli.main(["nlu", "convert", "banking77", str(tmp_path), str(tmp_path / "out")]) == 0
    train, val = load(tmp_path / "out" / "train.yml"), load(tmp_path / "out" / "val.yml")
    assert (len(train.examples), len(val.examples)) == (18, 2)
    assert not {e.text for e in train.examples} & {e.text for e in val.examples}
    assert [e.text for e in load(tmp_path / "out" / "test.yml").examples] == ["my card is gone"]
