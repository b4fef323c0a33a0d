"""Dissatisfaction per customer turn, from the conversation and not from wording alone (issue 13).

A logistic regression over the context the policy already has (the bot's previous reply and whether it
was a miss, corrections of it, repeats, the sentiment trajectory, turn position and length, emphasis)
plus the turn's embedding, trained on labelled dialogues (data/dissatisfaction/dialogues.jsonl) and
persisted like the NLU model: retrained only when the data or the embedding model change. Its
strongest features explain each estimate in the handoff packet.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from core.embedding import Embedder
from escalation.turns import NOT_UNDERSTOOD, Turn

# Bot replies that mean it did not understand, had no answer or asked which topic (for dialogues whose
# bot turns come as text only; the product's own turns carry their kind).
MISS_TEXT = re.compile(
    r"didn'?t (understand|follow|catch)|not sure I followed|don'?t have a good answer|not something I can help|"
    r"outside what I know|say it another way|put it another way|could you rephrase|I want to get this right|"
    r"could you give me your case number",
    re.I,
)
CORRECTION = re.compile(
    r"^\s*(no|nope|neither|wrong)\b|\bnot what I (asked|said|meant|want)|\bI (said|asked|told you|already|just said|"
    r"just told)\b|\bthat'?s not\b|\bisn'?t (helping|what)|\bnot (answering|helping|listening|reading)\b|"
    r"\b(again|still|already|same (thing|answer))\b|\byou (just )?said\b|"
    r"\bare you (even )?(reading|listening)\b|\b(round|going) in circles\b",
    re.I,
)
NEGATION = re.compile(r"\b(no|not|never|nothing|nobody|none|neither)\b|n'?t\b", re.I)
# Named context features, in model order. Each explanation names the ones that pushed an estimate up.
FEATURES = (
    "previous_reply_missed",
    "misses_so_far",
    "bot_repeated_itself",
    "correction",
    "negations",
    "repeats_earlier_message",
    "sentiment",
    "sentiment_fall",
    "frustration_signals",
    "capitals",
    "exclamations",
    "turn_position",
    "length",
)
LABELS = {
    "previous_reply_missed": "the bot's previous reply missed",
    "misses_so_far": "earlier misses",
    "bot_repeated_itself": "the bot repeated itself",
    "correction": "corrects the bot",
    "negations": "negations",
    "repeats_earlier_message": "repeats an earlier message",
    "sentiment": "negative wording",
    "sentiment_fall": "mood falling",
    "frustration_signals": "frustration signals",
    "capitals": "capitals",
    "exclamations": "emphatic punctuation",
    "turn_position": "late in the conversation",
    "length": "message length",
    "wording": "wording",
}
# Negative context features are "less dissatisfied" when larger; these flip sign before explanation.
_NEGATIVE_IS_WORSE = {"sentiment"}


@dataclass(frozen=True)
class TurnContext:
    """One customer turn with what came before it (what the policy knows at that point)."""

    text: str
    sentiment: float
    frustration: float
    previous_bot: str | None  # the bot's last reply before this message, if any
    previous_missed: bool
    earlier_user: tuple[str, ...] = ()
    earlier_sentiment: tuple[float, ...] = ()
    misses_so_far: int = 0
    bot_repeated: bool = False


def _norm(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def context_features(c: TurnContext, repeat_similarity: float) -> np.ndarray:
    """Return the named context features (FEATURES order) of one turn."""
    letters = [ch for ch in c.text if ch.isalpha()]
    caps = sum(ch.isupper() for ch in letters) / len(letters) if len(letters) >= 6 else 0.0
    fall = (float(np.mean(c.earlier_sentiment)) - c.sentiment) if c.earlier_sentiment else 0.0
    return np.array([
        float(c.previous_missed),
        min(c.misses_so_far, 3) / 3,
        float(c.bot_repeated),
        float(bool(CORRECTION.search(c.text))),
        min(len(NEGATION.findall(c.text)), 3) / 3,
        repeat_similarity,
        c.sentiment,
        max(fall, 0.0),
        c.frustration,
        caps,
        min(c.text.count("!") + 2 * c.text.count("?!") + c.text.count("??"), 4) / 4,
        min(len(c.earlier_user), 5) / 5,
        math.log1p(len(c.text.split())) / 4,
    ], dtype=np.float64)


def contexts_from_dialogue(turns: Sequence[dict[str, Any]], parses: Sequence[dict[str, Any]]) -> list[TurnContext]:
    """Build one TurnContext per user turn of a dialogue ({"role", "text", "kind"?}), parses in user order."""
    out: list[TurnContext] = []
    last_bot: str | None = None
    last_missed = False
    bot_said: list[str] = []
    misses = 0
    users: list[str] = []
    sentiments: list[float] = []
    k = 0
    for t in turns:
        if t["role"] == "bot":
            last_bot = t["text"]
            last_missed = (t.get("kind") in NOT_UNDERSTOOD) if t.get("kind") else bool(MISS_TEXT.search(t["text"]))
            misses += last_missed
            bot_said.append(_norm(t["text"]))
            continue
        s = (parses[k].get("sentiment") or {}) if k < len(parses) else {}
        sent, frus = float(s.get("compound") or 0.0), float(s.get("frustration") or 0.0)
        repeated = len(bot_said) >= 2 and bot_said[-1] == bot_said[-2]
        out.append(TurnContext(t["text"], sent, frus, last_bot, last_missed, tuple(users), tuple(sentiments),
                               misses, repeated))
        users.append(t["text"])
        sentiments.append(sent)
        k += 1
    return out


class DissatisfactionModel:
    """Scaled context features and the turn embedding in one logistic regression."""

    def __init__(self, lr: Any, mean: np.ndarray, scale: np.ndarray, embedding_weight: float, threshold: float,
                 metadata: dict[str, Any]) -> None:
        self.lr = lr
        self.mean = mean
        self.scale = scale
        self.embedding_weight = embedding_weight
        self.threshold = threshold
        self.metadata = metadata

    def design(self, ctx: np.ndarray, emb: np.ndarray) -> np.ndarray:
        return np.hstack([(ctx - self.mean) / self.scale, self.embedding_weight * emb])

    def predict(self, ctx: np.ndarray, emb: np.ndarray) -> np.ndarray:
        """Return P(dissatisfied) for rows of context features and their turn embeddings."""
        return self.lr.predict_proba(self.design(np.atleast_2d(ctx), np.atleast_2d(emb)))[:, 1]

    def explain(self, ctx: np.ndarray, emb: np.ndarray, top: int = 3) -> list[tuple[str, float]]:
        """Return the features that pushed this turn's estimate up most, with their log-odds contributions."""
        x = self.design(np.atleast_2d(ctx), np.atleast_2d(emb))[0]
        w = self.lr.coef_[0]
        n = len(FEATURES)
        parts = [(FEATURES[i], float(w[i] * x[i])) for i in range(n)]
        parts.append(("wording", float(w[n:] @ x[n:])))
        return [(name, round(v, 2)) for name, v in sorted(parts, key=lambda p: -p[1]) if v > 0][:top]


def embed_contexts(contexts: Sequence[TurnContext], embed: Callable[[list[str]], np.ndarray]) -> tuple[
        np.ndarray, np.ndarray]:
    """Return (context features, embeddings) for turns, encoding every distinct text once in one batch."""
    texts = sorted({c.text for c in contexts} | {u for c in contexts for u in c.earlier_user})
    vecs = embed(texts) if texts else np.zeros((0, 1))
    row = {t: i for i, t in enumerate(texts)}
    ctx, emb = [], []
    for c in contexts:
        v = vecs[row[c.text]]
        sim = max((float(vecs[row[u]] @ v) for u in c.earlier_user), default=0.0)
        ctx.append(context_features(c, max(sim, 0.0)))
        emb.append(v)
    return np.array(ctx), np.array(emb)


def load_dialogues(path: Path) -> list[dict[str, Any]]:
    """Read dialogues, one JSON object per line ({"id", "turns": [{"role", "text", "label"?}]})."""
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{path}:{n}: not JSON ({exc.msg})") from exc
        if not isinstance(d, dict) or not isinstance(d.get("turns"), list):
            raise ValueError(f"{path}:{n}: a dialogue needs a 'turns' list")
        for t in d["turns"]:
            if not isinstance(t, dict) or t.get("role") not in ("user", "bot") or not isinstance(t.get("text"), str):
                raise ValueError(f"{path}:{n}: each turn needs role 'user' or 'bot' and a text")
            if "label" in t and t["label"] not in (0, 1, None):
                raise ValueError(f"{path}:{n}: label must be 0 or 1")
        out.append(d)
    return out


def dataset(dialogues: Sequence[dict[str, Any]], parse: Callable[[str], dict[str, Any]],
            embed: Callable[[list[str]], np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Return context features, embeddings, labels and dialogue groups for every labelled user turn."""
    contexts, labels, groups = [], [], []
    for g, d in enumerate(dialogues):
        users = [t for t in d["turns"] if t["role"] == "user"]
        for c, t in zip(contexts_from_dialogue(d["turns"], [parse(t["text"]) for t in users]), users, strict=True):
            if t.get("label") in (0, 1):
                contexts.append(c)
                labels.append(int(t["label"]))
                groups.append(g)
    ctx, emb = embed_contexts(contexts, embed)
    return ctx, emb, np.array(labels), np.array(groups)


def _fit(ctx: np.ndarray, emb: np.ndarray, y: np.ndarray, c: float, ew: float) -> DissatisfactionModel:
    from sklearn.linear_model import LogisticRegression

    mean, scale = ctx.mean(axis=0), ctx.std(axis=0) + 1e-6
    model = DissatisfactionModel(None, mean, scale, ew, 0.5, {})
    lr = LogisticRegression(C=c, class_weight="balanced", max_iter=2000)
    lr.fit(model.design(ctx, emb), y)
    model.lr = lr
    return model


def f1(y: np.ndarray, pred: np.ndarray) -> tuple[float, float, float]:
    tp = int(((pred == 1) & (y == 1)).sum())
    p = tp / max(int(pred.sum()), 1)
    r = tp / max(int(y.sum()), 1)
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def train(ctx: np.ndarray, emb: np.ndarray, y: np.ndarray, groups: np.ndarray, folds: int = 5) -> DissatisfactionModel:
    """Choose C, the embedding's weight and the threshold by grouped cross-validation; fit on all."""
    from sklearn.model_selection import GroupKFold

    best: tuple[float, float, float, float] | None = None
    n_folds = min(folds, len(set(groups.tolist())))
    for c in (0.3, 1.0, 3.0):
        for ew in (0.0, 1.0, 2.0):
            oof = np.zeros(len(y))
            for tr, te in GroupKFold(n_splits=n_folds).split(ctx, y, groups):
                if len(set(y[tr].tolist())) < 2:
                    oof[te] = y[tr].mean()
                    continue
                oof[te] = _fit(ctx[tr], emb[tr], y[tr], c, ew).predict(ctx[te], emb[te])
            for th in np.arange(0.3, 0.81, 0.05):
                score = f1(y, (oof >= th).astype(int))[2]
                if best is None or score > best[0] + 1e-9:
                    best = (score, c, ew, float(th))
    assert best is not None
    model = _fit(ctx, emb, y, best[1], best[2])
    model.threshold = round(best[3], 2)
    model.metadata = {"cv_f1": round(best[0], 3), "c": best[1], "embedding_weight": best[2],
                      "threshold": model.threshold, "n_turns": len(y), "n_positive": int(y.sum())}
    return model


# Sentiment is an input: a change to the analyser (its lexicon, its signals) must retrain the model, so
# the model's fingerprint includes what the parse says about these messages (issue 13).
SENTIMENT_PROBES = (
    "my wifi is dead and the router is broken", "the payment failed with an error", "this is a joke, useless",
    "I'm fed up, third time I've asked!!", "WHY IS NOTHING WORKING", "thanks, that sorted it",
)


def sentiment_fingerprint(parse: Callable[[str], dict[str, Any]]) -> str:
    """Return what the parse's sentiment says about fixed probe messages, as a string to hash."""
    out = []
    for text in SENTIMENT_PROBES:
        s = parse(text).get("sentiment") or {}
        out.append(f"{float(s.get('compound') or 0.0):.4f}/{float(s.get('frustration') or 0.0):.4f}")
    return ",".join(out)


def data_hash(path: Path, embedder_name: str, sentiment: str = "") -> str:
    h = hashlib.sha256(path.read_bytes())
    h.update(embedder_name.encode())
    h.update(",".join(FEATURES).encode())
    h.update(sentiment.encode())
    return h.hexdigest()[:16]


_lock = threading.Lock()


def load_or_train(data: Path, model_dir: Path, parse: Callable[[str], dict[str, Any]], embedder: Embedder,
                  progress: Callable[[str], None] | None = None) -> DissatisfactionModel:
    """Load the persisted model for this data and embedder, or train on the 'train' dialogues and save it."""
    import joblib

    say = progress or (lambda _m: None)
    path = model_dir / f"dissatisfaction-{data_hash(data, embedder.name, sentiment_fingerprint(parse))}.joblib"
    with _lock:
        if path.exists():
            try:
                model: DissatisfactionModel = joblib.load(path)
                say(f"dissatisfaction model is up to date ({path.name})")
                return model
            except Exception:  # a damaged file is retrained, never served
                say(f"dissatisfaction model {path.name} is unreadable; retraining")
        dialogues = [d for d in load_dialogues(data) if d.get("split", "train") == "train"]
        ctx, emb, y, groups = dataset(dialogues, parse, embedder.encode)
        model = train(ctx, emb, y, groups)
        model_dir.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        joblib.dump(model, tmp)
        tmp.replace(path)
        say(f"dissatisfaction model trained on {len(y)} turns (cross-validated F1 {model.metadata['cv_f1']})")
        return model


def context_from_turns(history: Sequence[Turn], current: Turn) -> TurnContext:
    """Build the current turn's context from the policy's turns (each carries the bot's reply to it)."""
    replied = [t for t in history if t.bot_reply_kinds]
    last = history[-1] if history else None
    said = [_norm(t.bot_reply) for t in replied if t.bot_reply]
    return TurnContext(
        current.text,
        current.sentiment,
        current.frustration,
        last.bot_reply if last is not None and last.bot_reply else None,
        last is not None and any(k in NOT_UNDERSTOOD for k in last.bot_reply_kinds),
        tuple(t.text for t in history),
        tuple(t.sentiment for t in history),
        sum(any(k in NOT_UNDERSTOOD for k in t.bot_reply_kinds) for t in history),
        len(said) >= 2 and said[-1] == said[-2],
    )


@dataclass(frozen=True)
class Estimate:
    probability: float
    threshold: float
    reasons: tuple[tuple[str, float], ...]

    @property
    def dissatisfied(self) -> bool:
        return self.probability >= self.threshold

    def explain(self) -> str:
        return ", ".join(LABELS[name] for name, _ in self.reasons) or "overall wording"


def estimate(history: Sequence[Turn], current: Turn, model: DissatisfactionModel, embedder: Embedder) -> Estimate:
    """Return P(dissatisfied) for the current turn with the features that raised it most."""
    ctx, emb = embed_contexts([context_from_turns(history, current)], embedder.encode)
    p = float(model.predict(ctx, emb)[0])
    return Estimate(round(p, 4), model.threshold, tuple(model.explain(ctx[0], emb[0])))
