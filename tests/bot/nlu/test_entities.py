from __future__ import annotations

from pathlib import Path

from bot.nlu.entities import EntityExtractor
from bot.nlu.training_data import TrainingData, load


def test_extract_finds_synonym_lookup_regex_and_builtin_entities(data_dir: Path) -> None:
    ents = EntityExtractor(load(data_dir)).extract(
        "my broadband on Fibre 500 is down, case CS-10423, mail me at ana@example.com"
    )
    assert [(e["entity"], e["value"], e["start"], e["end"]) for e in ents] == [
        ("service", "internet", 3, 12),
        ("plan", "Fibre 500", 16, 25),
        ("case_number", "CS-10423", 40, 48),
        ("email", "ana@example.com", 61, 76),
    ]
    assert {e["extractor"] for e in ents} == {"FirstlineEntityRuler"}


def test_extract_without_training_data_still_finds_builtins() -> None:
    ents = EntityExtractor(TrainingData()).extract(
        "call me on +44 7700 900123 about TW20418833, I paid £38.50 on 3rd March at 10:30am, order ORD-123456"
    )
    assert [(e["entity"], e["value"]) for e in ents] == [
        ("phone", "+44 7700 900123"),
        ("account_number", "TW20418833"),
        ("amount", "£38.50"),
        ("date", "3rd March"),
        ("time", "10:30am"),
        ("order_number", "ORD-123456"),
    ]


def test_extract_normalises_case_numbers_to_upper_case() -> None:
    ents = EntityExtractor(TrainingData()).extract("any news on cs-20011?")
    assert [(e["entity"], e["value"]) for e in ents] == [("case_number", "CS-20011")]


def test_extract_of_empty_text_is_empty() -> None:
    assert EntityExtractor(TrainingData()).extract("") == []
