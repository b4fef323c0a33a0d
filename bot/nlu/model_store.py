"""Persist trained NLU models under a version derived from their inputs (data, settings, embedding model)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from bot.nlu.training_data import yaml_files

FORMAT = 4  # bump when the persisted objects change shape


def data_hash(path: Path) -> str:
    """Hash the training files' relative names and contents."""
    h = hashlib.sha256()
    root = path if path.is_dir() else path.parent
    for f in yaml_files(path):
        h.update(str(f.relative_to(root)).encode())
        h.update(b"\0")
        h.update(f.read_bytes())
    return h.hexdigest()[:16]


def settings_hash(training_settings: dict[str, Any], embedding: str) -> str:
    """Hash the settings that change the trained model, with the embedding model's name."""
    blob = json.dumps([training_settings, embedding, FORMAT], sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()[:16]


def model_path(model_dir: Path, version: str) -> Path:
    return model_dir / f"nlu-{version}.joblib"


def load(model_dir: Path, version: str) -> tuple[Any, dict[str, Any]] | None:
    """Return (model, metadata) persisted under version, or None when there is none (or it is unreadable)."""
    import joblib

    path = model_path(model_dir, version)
    if not path.exists():
        return None
    try:
        model, metadata = joblib.load(path)
    except Exception:  # a model from another library version or a damaged file: retrain rather than fail
        return None
    return model, metadata


def save(model_dir: Path, version: str, model: Any, metadata: dict[str, Any]) -> Path:
    """Write the model atomically beside a readable metadata JSON, and remove older versions."""
    import joblib

    model_dir.mkdir(parents=True, exist_ok=True)
    path = model_path(model_dir, version)
    tmp = path.with_suffix(".tmp")
    joblib.dump((model, metadata), tmp)
    tmp.replace(path)  # atomic: a crash never leaves half a model behind
    path.with_suffix(".json").write_text(json.dumps(metadata, indent=2, default=str))
    for old in model_dir.glob("nlu-*"):
        if old.stem != path.stem:
            old.unlink(missing_ok=True)
    return path
