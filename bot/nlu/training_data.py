"""Read Rasa NLU YAML (a file or a folder): intents, annotated entities, synonyms, regexes, lookups."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

# [text](entity), [text](entity:value) and [text]{"entity": ..., "value": ...}
ANNOTATION = re.compile(r"\[(?P<text>[^\]]+)\](?:\((?P<short>[^)]+)\)|(?P<json>\{[^}]*\}))")


@dataclass(frozen=True)
class EntitySpan:
    entity: str
    value: str
    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Example:
    text: str
    intent: str
    entities: tuple[EntitySpan, ...] = ()


@dataclass
class TrainingData:
    examples: list[Example] = field(default_factory=list)
    synonyms: dict[str, str] = field(default_factory=dict)  # lower-cased surface form -> canonical value
    regexes: dict[str, list[str]] = field(default_factory=dict)
    lookups: dict[str, list[str]] = field(default_factory=dict)

    @property
    def intents(self) -> list[str]:
        return sorted({e.intent for e in self.examples})

    def entity_values(self) -> dict[str, set[str]]:
        """Return every annotated entity surface text, by entity."""
        out: dict[str, set[str]] = {}
        for ex in self.examples:
            for span in ex.entities:
                out.setdefault(span.entity, set()).add(span.text)
        return out


def parse_example(line: str, intent: str) -> Example:
    """Strip entity annotations from one example, keeping their character spans."""
    text_parts: list[str] = []
    spans: list[EntitySpan] = []
    pos = 0
    for m in ANNOTATION.finditer(line):
        text_parts.append(line[pos : m.start()])
        start = sum(len(p) for p in text_parts)
        surface = m.group("text")
        if m.group("json"):
            meta: dict[str, Any] = json.loads(m.group("json"))
            entity, value = str(meta["entity"]), str(meta.get("value", surface))
        else:
            entity, _, value = m.group("short").partition(":")
            value = value or surface
        text_parts.append(surface)
        spans.append(EntitySpan(entity, value, start, start + len(surface), surface))
        pos = m.end()
    text_parts.append(line[pos:])
    return Example("".join(text_parts).strip(), intent, tuple(spans))


def _items(block: str | list[Any]) -> list[str]:
    if isinstance(block, list):  # Rasa also allows a list of {text: ..., metadata: ...}
        texts = [str(x.get("text", "")) if isinstance(x, dict) else str(x) for x in block]
        return [t.strip() for t in texts if t.strip()]
    lines = []
    for raw in str(block).splitlines():
        raw = raw.strip()
        if raw.startswith("- "):
            lines.append(raw[2:].strip())
    return lines


def yaml_files(path: Path) -> list[Path]:
    """Return the YAML files at path (a file, or every .yml/.yaml below a folder)."""
    if not path.exists():
        raise FileNotFoundError(f"no NLU data at {path}")
    if path.is_file():
        return [path]
    return sorted(p for p in path.rglob("*") if p.suffix in (".yml", ".yaml"))


def load(path: Path) -> TrainingData:
    """Load Rasa NLU YAML from a file or every .yml file below a folder."""
    data = TrainingData()
    for f in yaml_files(path):
        doc = yaml.safe_load(f.read_text(encoding="utf-8")) or {}
        for item in doc.get("nlu") or []:
            if "intent" in item:
                for line in _items(item.get("examples") or []):
                    data.examples.append(parse_example(line, str(item["intent"])))
            elif "synonym" in item:
                for line in _items(item.get("examples") or []):
                    data.synonyms[line.lower()] = str(item["synonym"])
            elif "regex" in item:
                data.regexes.setdefault(str(item["regex"]), []).extend(_items(item.get("examples") or []))
            elif "lookup" in item:
                data.lookups.setdefault(str(item["lookup"]), []).extend(_items(item.get("examples") or []))
    for ex in data.examples:  # value annotations are synonyms too, as in Rasa
        for span in ex.entities:
            if span.value != span.text:
                data.synonyms.setdefault(span.text.lower(), span.value)
    return data
