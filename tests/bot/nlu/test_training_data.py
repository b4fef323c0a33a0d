from __future__ import annotations

from pathlib import Path

import pytest

from bot.nlu.training_data import load, parse_example


def test_parse_example_strips_annotations_and_keeps_spans() -> None:
    ex = parse_example('the [wifi]{"entity": "service", "value": "internet"} costs [£12](amount)', "x")
    assert ex.text == "the wifi costs £12"
    assert [(e.entity, e.value, ex.text[e.start : e.end]) for e in ex.entities] == [
        ("service", "internet", "wifi"),
        ("amount", "£12", "£12"),
    ]


def test_parse_example_short_form_with_value() -> None:
    ex = parse_example("switch to [fibre](plan:Fibre 500)", "change_plan")
    assert [(e.entity, e.value, e.text) for e in ex.entities] == [("plan", "Fibre 500", "fibre")]


def test_load_reads_intents_synonyms_regexes_lookups(data_dir: Path) -> None:
    data = load(data_dir)
    assert data.intents == ["billing_question", "greet", "out_of_scope", "outage"]
    assert data.synonyms == {"broadband": "internet", "wifi": "internet"}
    assert data.regexes == {"case_number": [r"\bCS-\d{4,6}\b"]}
    assert data.lookups == {"plan": ["Fibre 500", "Gigabit 1000"]}


def test_load_accepts_examples_as_a_list_of_dicts(tmp_path: Path) -> None:
    f = tmp_path / "x.yml"
    f.write_text('nlu:\n- intent: greet\n  examples:\n  - text: hello\n    metadata: {a: 1}\n  - hi\n')
    assert [e.text for e in load(f).examples] == ["hello", "hi"]


def test_load_missing_path_raises(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "nope")
