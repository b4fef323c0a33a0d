from __future__ import annotations

from pathlib import Path

import pytest

from bot.nlu import NLUService, NLUSettings
from core.embedding import FakeEmbedder

DATA = """version: "3.1"
nlu:
- intent: outage
  examples: |
    - my internet is down
    - no broadband since this morning
    - the [wifi]{"entity": "service", "value": "internet"} stopped working
    - is there an outage in my area
    - internet not working at all
    - total loss of service at home
- intent: billing_question
  examples: |
    - why is my bill so high
    - I was charged twice on my bill
    - what is this charge of [£12](amount)
    - explain my latest bill
    - my bill went up this month
    - refund the overcharge on my bill
- intent: greet
  examples: |
    - hello
    - hi there
    - good morning
    - hey
    - hiya
    - hello there friend
- intent: out_of_scope
  examples: |
    - what is the capital of france
    - tell me a recipe for lasagne
    - who won the football
    - what is the meaning of life
    - book me a flight to rome
- synonym: internet
  examples: |
    - broadband
- regex: case_number
  examples: |
    - \\bCS-\\d{4,6}\\b
- lookup: plan
  examples: |
    - Fibre 500
    - Gigabit 1000
"""


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    d = tmp_path / "nlu"
    d.mkdir()
    (d / "all.yml").write_text(DATA)
    return d


@pytest.fixture(scope="module")
def nlu(tmp_path_factory: pytest.TempPathFactory) -> NLUService:
    d = tmp_path_factory.mktemp("nlu")
    (d / "all.yml").write_text(DATA)
    return NLUService.load_or_train(d, d / "models", embedder=FakeEmbedder(), settings=NLUSettings())
