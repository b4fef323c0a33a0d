"""Research (issue 13, item 1): richer features from the frozen MiniLM's own forward pass, validation only.

    nice -n 19 .venv/bin/python -m bench.nlu.layer_features encode       # cache pooled layers per split
    ... layer_features top1 banking77 [k=5] L3@2 max@2 ens ens:L3 base!bal  # val top-1, fixed/broken
    ... layer_features top1 clinc150 L3@2 ens:L3                         # in-scope val top-1
    ... layer_features demo L3@2 ens:L3                                  # 3 x 5-fold held-out top-1
    ... layer_features oos ens:L3 +margin +maha3 +sim3                   # CLINC150 cross-fitted OOS

Variants: "Lk@w" adds layer k's normalised mean pool to the product's LR at weight w ("L3+max",
"max", "raw6", "avgK" likewise); "ens" averages the product's LR with an LR on the embedding (+ the
named blocks, "ens:L3") in log-probability; "!bal" class-balances the LR. `oos` reads the val logits
that `top1 clinc150` saved for each variant; "+extra" adds evidence to the learned scorer.

Reads only train.yml / val.yml of var/bench/data-<ds> (and data/nlu for the demo): never a test split.
Per message it keeps the mean pool (over real tokens) of every hidden state (embeddings + 6 layers) and
the max pool of the last layer, from one forward pass through the product's embedder (same tokenizer,
same precision); the last layer's L2-normalised mean pool is the product's embedding, checked to match.
Results: bench/results/nlu-val-research-layers.md.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "var" / "bench"
CACHE = BENCH / "layers"


def _texts(path: Path) -> tuple[list[str], list[str]]:
    from bot.nlu import training_data
    from bot.nlu.service import NLUSettings, model_text

    settings = NLUSettings()
    data = training_data.load(path)
    return [model_text(e.text, settings) for e in data.examples], [e.intent for e in data.examples]


def pooled_layers(embedder: Any, texts: list[str], batch: int = 64) -> np.ndarray:
    """(n, 8, dim): mean pools of hidden states 0..6, then the last layer's max pool (unnormalised)."""
    import torch

    order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
    out = np.zeros((len(texts), 8, embedder.dim), dtype=np.float32)
    for start in range(0, len(order), batch):
        chunk = order[start:start + batch]
        enc = embedder._tokenizer([texts[i] for i in chunk], padding=True, truncation=True,
                                  max_length=embedder._max_len, return_tensors="pt")
        with torch.inference_mode():
            hs = embedder._net(**enc, output_hidden_states=True).hidden_states
            mask = enc["attention_mask"].unsqueeze(-1).float()
            n = mask.sum(dim=1).clamp(min=1e-9)
            rows = [((h.float() * mask).sum(dim=1) / n) for h in hs]
            last = hs[-1].float().masked_fill(mask == 0, -1e4)
            rows.append(last.max(dim=1).values)
            out[chunk] = torch.stack(rows, dim=1).numpy()
    return out


def encode() -> None:
    from core.embedding import get_embedder

    emb = get_embedder("bundled")
    splits = {"banking77-train": BENCH / "data-banking77" / "train.yml",
              "banking77-val": BENCH / "data-banking77" / "val.yml",
              "clinc150-train": BENCH / "data-clinc150" / "train.yml",
              "clinc150-val": BENCH / "data-clinc150" / "val.yml",
              "demo": ROOT / "data" / "nlu"}
    CACHE.mkdir(parents=True, exist_ok=True)
    for name, path in splits.items():
        if (CACHE / f"{name}.npz").exists():
            continue
        texts, intents = _texts(path)
        t = time.perf_counter()
        feats = pooled_layers(emb, texts)
        ref = emb.encode(texts[:50])
        last = feats[:50, 6] / np.linalg.norm(feats[:50, 6], axis=1, keepdims=True)
        # bfloat16 weights: other batches pad differently, so equal up to bf16 noise (cosine ~0.9999)
        assert (last * ref).sum(axis=1).min() > 0.999, (last * ref).sum(axis=1).min()
        np.savez(CACHE / f"{name}.npz", feats=feats, texts=np.array(texts, dtype=object),
                 intents=np.array(intents, dtype=object))
        print(f"{name}: {len(texts)} in {time.perf_counter() - t:.0f} s", flush=True)


def load(name: str) -> tuple[np.ndarray, list[str], list[str]]:
    z = np.load(CACHE / f"{name}.npz", allow_pickle=True)
    return z["feats"], list(z["texts"]), list(z["intents"])


def unit(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=-1, keepdims=True), 1e-9)


def block(feats: np.ndarray, spec: str) -> np.ndarray:
    """An extra dense block named by spec: "L4" (normalised mean of layer 4), "max", "L4+L5" (concat)."""
    parts = []
    for p in spec.split("+"):
        if p == "max":
            parts.append(unit(feats[:, 7]))
        elif p.startswith("L"):
            parts.append(unit(feats[:, int(p[1:])]))
        elif p == "raw6":  # the last layer's unnormalised mean pool, scaled to unit norm on average
            parts.append(feats[:, 6] / np.linalg.norm(feats[:, 6], axis=1).mean())
        elif p.startswith("avg"):  # mean of layers a..6, normalised
            parts.append(unit(unit(feats[:, int(p[3:]):7]).mean(axis=1)))
        else:
            raise ValueError(p)
    return np.hstack(parts) / np.sqrt(len(parts))


def fit_logits(tr: tuple[np.ndarray, list[str], np.ndarray], te: tuple[np.ndarray, list[str]], labels: list[str],
               spec: str, weight: float, c: float = 10.0, balanced: bool = False,
               base_logits: np.ndarray | None = None) -> np.ndarray:
    """Product classifier (MiniLM x2 + char + word TF-IDF, LR C=10) with an extra dense block; val logits."""
    from bot.nlu.classifier import ClassifierConfig, fit_classifier

    cfg = ClassifierConfig(c=c)
    (ftr, ttr, y), (fte, tte) = tr, te

    def dense(f: np.ndarray) -> np.ndarray:
        base = unit(f[:, 6])
        if not spec:
            return base
        return np.hstack([base, block(f, spec) * (weight / cfg.dense_weight)]).astype(np.float32)

    if spec.startswith("ens"):  # the product's LR and an LR on dense blocks only, log-probabilities averaged
        from scipy.special import log_softmax
        from sklearn.linear_model import LogisticRegression

        rest = spec[4:]  # "ens:L3" -> dense LR on [L6, L3]
        base = base_logits if base_logits is not None else fit_logits(tr, te, labels, "", weight, c)
        d_tr = np.hstack([unit(ftr[:, 6])] + ([block(ftr, rest)] if rest else []))
        d_te = np.hstack([unit(fte[:, 6])] + ([block(fte, rest)] if rest else []))
        dl = LogisticRegression(C=c, max_iter=1000).fit(d_tr, y).decision_function(d_te)
        return (log_softmax(base, axis=1) + log_softmax(dl, axis=1)) / 2
    if balanced:
        import sklearn.linear_model as lm

        orig = lm.LogisticRegression

        def patched(*a: Any, **k: Any) -> Any:
            return orig(*a, class_weight="balanced", **k)

        lm.LogisticRegression = patched  # type: ignore[misc]
        try:
            clf = fit_classifier(dense(ftr), ttr, y, labels, cfg)
        finally:
            lm.LogisticRegression = orig  # type: ignore[misc]
    else:
        clf = fit_classifier(dense(ftr), ttr, y, labels, cfg)
    return clf.lr.decision_function(clf.features(dense(fte), tte))


def sign_test(fixed: int, broken: int) -> float:
    from scipy.stats import binomtest

    n = fixed + broken
    return float(binomtest(fixed, n, 0.5).pvalue) if n else 1.0


def _subset(y: np.ndarray, k: int, seed: int = 13) -> np.ndarray:
    rng = np.random.default_rng(seed)
    idx = []
    for c in np.unique(y):
        members = np.flatnonzero(y == c)
        idx.extend(rng.permutation(members)[:k])
    return np.sort(np.array(idx))


def top1(dataset: str, variants: list[str], k: int = 0) -> None:
    """Top-1 on val (in-scope only for CLINC150) for 'spec@weight' variants against the product's features."""
    ftr, ttr, itr = load(f"{dataset}-train")
    fva, tva, iva = load(f"{dataset}-val")
    labels = sorted(set(itr))
    index = {n: i for i, n in enumerate(labels)}
    y = np.array([index[i] for i in itr])
    yv = np.array([index.get(i, -1) for i in iva])
    if k:
        keep = _subset(y, k)
        ftr, ttr, y = ftr[keep], [ttr[i] for i in keep], y[keep]
    inscope = yv != index.get("out_of_scope", -2)
    base_ok = None
    for v in ["base"] + variants:
        spec, _, w = v.partition("@")
        balanced = spec.endswith("!bal")
        spec = spec.removesuffix("!bal")
        t = time.perf_counter()
        cached = CACHE / f"logits-{dataset}-k{k}-base.npy"
        if spec == "base" and cached.exists():
            lg = np.load(cached)
        else:
            lg = fit_logits((ftr, ttr, y), (fva, tva), labels, "" if spec == "base" else spec, float(w or 2.0),
                            balanced=balanced, base_logits=np.load(cached) if cached.exists() else None)
        ok = (lg.argmax(axis=1) == yv)[inscope]
        np.save(CACHE / f"logits-{dataset}-k{k}-{v}.npy", lg)
        if base_ok is None:
            base_ok = ok
        fixed, broken = int((ok & ~base_ok).sum()), int((~ok & base_ok).sum())
        print(f"{dataset} k={k or 'full'} {v:16s} top1 {ok.mean():.4f}  fixed {fixed:3d} broken {broken:3d} "
              f"p={sign_test(fixed, broken):.3f}  ({time.perf_counter() - t:.0f} s)", flush=True)


def demo(variants: list[str], folds: int = 5) -> None:
    """Held-out top-1 on the demo data (5-fold, as training reports it; 3 shuffles), per variant."""
    from sklearn.model_selection import StratifiedKFold

    f, texts, intents = load("demo")
    labels = sorted(set(intents))
    y = np.array([labels.index(i) for i in intents])
    base_ok = None
    for v in ["base"] + variants:
        spec, _, w = v.partition("@")
        ok = np.zeros((3, len(y)), bool)
        for r, seed in enumerate((13, 14, 15)):
            for tr, te in StratifiedKFold(folds, shuffle=True, random_state=seed).split(f, y):
                lg = fit_logits((f[tr], [texts[i] for i in tr], y[tr]), (f[te], [texts[i] for i in te]), labels,
                                "" if spec == "base" else spec, float(w or 2.0))
                ok[r, te] = lg.argmax(axis=1) == y[te]
        if base_ok is None:
            base_ok = ok
        fixed, broken = int((ok & ~base_ok).sum()), int((~ok & base_ok).sum())
        print(f"demo {v:16s} held-out top1 (3 x 5-fold) {ok.mean():.4f}  fixed {fixed} broken {broken} (over 3 "
              f"repeats) p={sign_test(fixed, broken):.3f}", flush=True)


def mahalanobis(ftr: np.ndarray, y: np.ndarray, fte: np.ndarray, in_scope: np.ndarray) -> np.ndarray:
    """Min Mahalanobis distance to an in-scope class mean, shared (shrunk) covariance; per test row."""
    from sklearn.covariance import LedoitWolf

    ftr, y = ftr[in_scope], y[in_scope]
    classes = np.unique(y)
    means = np.stack([ftr[y == c].mean(axis=0) for c in classes])
    prec = LedoitWolf().fit(ftr - means[np.searchsorted(classes, y)]).precision_
    a = np.einsum("ij,jk,ik->i", fte, prec, fte)[:, None]
    b = means @ prec
    m = np.einsum("ij,ij->i", b, means)[None, :]
    return np.sqrt(np.maximum(a - 2 * fte @ b.T + m, 0)).min(axis=1)


def _scorer(z_fit: np.ndarray, oos_fit: np.ndarray, keep_fit: np.ndarray, z_te: np.ndarray, keep: float,
            seed: int) -> np.ndarray:
    """The product's fit_scorer on an arbitrary evidence matrix: fires on z_te (threshold from OOF scores)."""
    from sklearn.linear_model import LogisticRegression
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    from bot.nlu.out_of_scope import conformal_upper

    mean, scale = z_fit.mean(axis=0), z_fit.std(axis=0)
    scale[scale == 0] = 1.0
    zs = (z_fit - mean) / scale

    def model() -> LogisticRegression:
        return LogisticRegression(C=1.0, class_weight="balanced", max_iter=2000)

    lr = model().fit(zs, oos_fit)
    oof = cross_val_predict(model(), zs, oos_fit, cv=StratifiedKFold(5, shuffle=True, random_state=seed),
                            method="decision_function")
    thr = conformal_upper(oof[keep_fit], keep)
    return lr.decision_function((z_te - mean) / scale) > thr


def oos(variants: list[str], extras: list[str], keep: float = 0.995, repeats: int = 10) -> None:
    """CLINC150 val + oos_val, cross-fitted (2-fold x repeats): temperature and scorer fitted on one half,
    measured on the other. Evidence: the product's [logit conf, top-5 similarity, logit p(oos)] plus extras."""
    from sklearn.model_selection import StratifiedKFold

    from bot.nlu.calibration import fit_temperature, softmax
    from bot.nlu.intent_model import in_scope_confidence
    from bot.nlu.out_of_scope import _logit

    ftr, ttr, itr = load("clinc150-train")
    fva, tva, iva = load("clinc150-val")
    labels = sorted(set(itr))
    index = {n: i for i, n in enumerate(labels)}
    y, yv = np.array([index[i] for i in itr]), np.array([index[i] for i in iva])
    ok_ = index["out_of_scope"]
    is_oos = yv == ok_
    # The product's similarity evidence (last layer, unchanged by any variant).
    tr_in = unit(ftr[:, 6])[y != ok_]
    sims = unit(fva[:, 6]) @ tr_in.T
    sim5 = -np.sort(-sims, axis=1)[:, :5].mean(axis=1)
    extra_cols = {}
    for e in extras:
        if e.startswith("maha"):
            layer = int(e[4:] or 6)
            extra_cols[e] = mahalanobis(unit(ftr[:, layer]), y, unit(fva[:, layer]), y != ok_)
        elif e.startswith("sim"):  # mean top-5 cosine on another layer's normalised mean pool
            layer = int(e[3:])
            s_l = unit(fva[:, layer]) @ unit(ftr[:, layer])[y != ok_].T
            extra_cols[e] = -np.sort(-s_l, axis=1)[:, :5].mean(axis=1)
    for v in ["base"] + variants:
        lg = np.load(CACHE / f"logits-clinc150-k0-{v}.npy")
        for ex in [[]] + [[e] for e in extras] + ([extras] if len(extras) > 1 else []):
            res = []
            for rep in range(repeats):
                for fit, te in StratifiedKFold(2, shuffle=True, random_state=100 + rep).split(yv, is_oos):
                    t = fit_temperature(lg[fit], yv[fit])
                    p = softmax(lg / t)
                    conf = in_scope_confidence(p, ok_)
                    top = p.argmax(axis=1)
                    srt = np.sort(lg, axis=1)
                    cols = {"margin": srt[:, -1] - srt[:, -2], **extra_cols}
                    z = np.stack([_logit(conf), sim5, _logit(p[:, ok_])] + [cols[e] for e in ex], axis=1)
                    correct = top == yv
                    keep_fit = (correct & ~is_oos & (top != ok_))[fit]
                    fired = _scorer(z[fit], is_oos[fit], keep_fit, z[te], keep, 13)
                    pred_oos = fired | (top[te] == ok_)
                    ins = ~is_oos[te]
                    acc = (correct[te] & ~pred_oos)[ins].mean()
                    rec = pred_oos[~ins].mean()
                    fpr = pred_oos[ins].mean()
                    prec = rec * 0.1818 / max(rec * 0.1818 + fpr * 0.8182, 1e-9)
                    res.append((acc, rec, prec, (correct[te] & ~pred_oos)[ins & correct[te]].mean()))
            r = np.array(res)
            print(f"clinc150 {v:12s} +{'+'.join(ex) or '-':14s} in-scope acc {r[:, 0].mean():.4f} "
                  f"OOS recall {r[:, 1].mean():.3f} ({r[:, 1].std():.3f}) prec@test {r[:, 2].mean():.3f} "
                  f"kept {r[:, 3].mean():.4f}", flush=True)


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "encode":
        encode()
    elif cmd == "top1":
        ds, rest = sys.argv[2], sys.argv[3:]
        kk = int(rest.pop(0)[2:]) if rest and rest[0].startswith("k=") else 0
        top1(ds, rest, kk)
    elif cmd == "oos":
        args = sys.argv[2:]
        oos([a for a in args if not a.startswith("+")], [a[1:] for a in args if a.startswith("+")])
    elif cmd == "demo":
        demo(sys.argv[2:])
