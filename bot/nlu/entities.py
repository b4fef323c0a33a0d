"""Entities with spaCy: a blank English pipeline (or a configured trained one) with an EntityRuler built
from the training data's lookups, synonyms and annotated values, plus regex entities from the data and
built-in support entities (email, phone, case/account/order numbers, dates, times, amounts)."""

from __future__ import annotations

import re
import threading
from typing import Any

from bot.nlu.training_data import TrainingData

EXTRACTOR = "FirstlineEntityRuler"
# Entities whose values are patterns, not phrases: annotated examples of them are not added as phrases.
PATTERN_ENTITIES = {"date", "time", "amount", "email", "phone", "case_number", "account_number", "order_number"}
_DAY = r"(monday|tuesday|wednesday|thursday|friday|saturday|sunday)"
_MONTH = r"(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*"

BUILTIN_REGEXES: dict[str, list[str]] = {
    "email": [r"\b[\w.+-]+@[\w-]+(\.[\w-]+)+\b"],
    "phone": [r"(?<![\w+])(\+44\s?\d{4}|\(?0\d{4}\)?)\s?\d{3}\s?\d{3}\b", r"(?<![\w+])\+\d{1,3}(\s?\d{2,4}){2,4}\b"],
    "case_number": [r"\bCS-\d{4,6}\b"],
    "account_number": [r"\bTW\d{8}\b"],
    "order_number": [r"\b(?:ORD|ORDER)[-#]?\d{5,10}\b"],
    "amount": [r"(£|\$|€)\s?\d+(?:,\d{3})*(?:\.\d{1,2})?\b", r"\b\d+(?:\.\d{1,2})?\s?(pounds|quid|euros|dollars|p)\b"],
    "date": [
        rf"\b(today|tonight|tomorrow|yesterday|this (morning|afternoon|evening|week|weekend|month)|"
        rf"(next|last) (week|month|{_DAY}))\b",
        rf"\b{_DAY}\b",
        rf"\b\d{{1,2}}(st|nd|rd|th)?( of)? {_MONTH}\b",
        rf"\b{_MONTH} \d{{1,2}}(st|nd|rd|th)?\b",
        r"\b\d{1,2}/\d{1,2}(/\d{2,4})?\b",
        r"\b\d{4}-\d{2}-\d{2}\b",
    ],
    "time": [r"\b\d{1,2}(:\d{2})?\s?(am|pm)\b", r"\b\d{1,2}:\d{2}\b", r"\b(noon|midday|midnight)\b"],
}


class EntityExtractor:
    """Find entities by regex (training data + built-ins) and by phrase (lookups, synonyms, annotations)."""

    def __init__(self, data: TrainingData, spacy_model: str = "") -> None:
        self.synonyms = dict(data.synonyms)
        self.spacy_model = spacy_model
        self.regexes: list[tuple[str, re.Pattern[str]]] = []
        for entity, patterns in list(data.regexes.items()) + list(BUILTIN_REGEXES.items()):
            for p in patterns:
                self.regexes.append((entity, re.compile(p, re.I)))
        phrases: dict[str, set[str]] = {k: set(v) for k, v in data.lookups.items()}
        for entity, values in data.entity_values().items():
            if entity not in PATTERN_ENTITIES:
                phrases.setdefault(entity, set()).update(values)
        # A synonym's surface forms belong to the entity annotated with its canonical value (or named after it).
        canon_entity = {s.value: s.entity for ex in data.examples for s in ex.entities}
        for entity, values in data.lookups.items():
            canon_entity.update(dict.fromkeys(values, entity))
        for surface, canonical in data.synonyms.items():
            if canonical in canon_entity and canon_entity[canonical] not in PATTERN_ENTITIES:
                phrases.setdefault(canon_entity[canonical], set()).add(surface)
        self.phrases = {k: sorted(v) for k, v in phrases.items()}
        self._nlp: Any = None
        self._lock = threading.Lock()

    def pipeline(self) -> Any:
        """Return the spaCy pipeline, built on first use (spaCy is slow to import)."""
        with self._lock:
            if self._nlp is None:
                import spacy

                nlp = spacy.load(self.spacy_model) if self.spacy_model else spacy.blank("en")
                if self.phrases:  # an empty ruler warns on every call
                    before = {"before": "ner"} if "ner" in nlp.pipe_names else {}
                    ruler = nlp.add_pipe("entity_ruler", config={"phrase_matcher_attr": "LOWER"}, **before)
                    ruler.add_patterns([{"label": e, "pattern": p} for e, ps in self.phrases.items() for p in ps])
                self._nlp = nlp
            return self._nlp

    def extract(self, text: str) -> list[dict[str, Any]]:
        """Return Rasa-style entities; where spans overlap the longest wins."""
        if not text:
            return []
        found: list[tuple[int, int, str]] = []
        for entity, rx in self.regexes:
            found.extend((m.start(), m.end(), entity) for m in rx.finditer(text))
        doc = self.pipeline()(text)
        found.extend((ent.start_char, ent.end_char, ent.label_) for ent in doc.ents)
        chosen: list[tuple[int, int, str]] = []
        for start, end, entity in sorted(found, key=lambda f: (-(f[1] - f[0]), f[0])):
            if all(end <= s or start >= e for s, e, _ in chosen):
                chosen.append((start, end, entity))
        out = []
        for start, end, entity in sorted(chosen):
            surface = text[start:end]
            value = self.synonyms.get(surface.lower(), surface)
            if entity in ("case_number", "account_number", "order_number"):
                value = value.upper()
            out.append({"entity": entity, "value": value, "start": start, "end": end, "extractor": EXTRACTOR,
                        "confidence_entity": 1.0})
        return out
