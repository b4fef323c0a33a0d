"""`firstline nlu …`: evaluate, convert benchmark data, train."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

DEFAULT_DATA = Path(__file__).resolve().parents[2] / "data" / "nlu"


def cmd_evaluate(args: argparse.Namespace) -> int:
    from bot.nlu.evaluation import KEYS, evaluate
    from bot.nlu.service import NLUSettings
    from core.embedding import get_embedder
    from core.machine import machine

    for p in (args.train, args.test, *([args.val] if args.val else [])):
        if not p.exists():
            print(f"error: {p} does not exist", file=sys.stderr)
            return 2
    settings = NLUSettings()
    embedder = get_embedder(args.model or settings.embedding_model)
    result = evaluate(args.train, args.test, embedder=embedder, settings=settings, val=args.val)
    result["machine"] = machine()
    for k in (*KEYS, "embedding", "machine", "settings", "model_metrics"):
        v = result.get(k)
        print(f"{k:18} {v:.4f}" if isinstance(v, float) else f"{k:18} {v}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2))
    return 0


def cmd_convert(args: argparse.Namespace) -> int:
    from bot.nlu.convert import banking77, clinc150

    counts = clinc150(args.source, args.out) if args.dataset == "clinc150" else banking77(args.source, args.out)
    print(json.dumps(counts))
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    from bot.nlu import NLUService, NLUSettings
    from core.embedding import get_embedder
    from core.settings import get_settings

    model_dir = get_settings().model_dir
    assert model_dir is not None
    settings = NLUSettings()
    embedder = get_embedder(args.model or settings.embedding_model)
    NLUService.load_or_train(args.data, model_dir / "nlu", settings=settings, embedder=embedder, progress=print)
    return 0


def add_commands(subparsers: argparse._SubParsersAction) -> None:
    """Add the `nlu` command group (evaluate, convert, train) to a parser's subcommands."""
    nlu = subparsers.add_parser("nlu", help="the intent layer").add_subparsers(dest="nlu_command", required=True)
    p = nlu.add_parser("evaluate", help="train on --train, evaluate on --test (Rasa NLU YAML file or folder)")
    p.add_argument("--train", type=Path, required=True)
    p.add_argument("--test", type=Path, required=True)
    p.add_argument("--val", type=Path, help="calibrate and choose thresholds here (default: held out from train)")
    p.add_argument("--json", type=Path, help="also write the figures here")
    p.add_argument("--model", default=None, help="sentence-transformers model (default: the configured one)")
    p.set_defaults(func=cmd_evaluate)
    p = nlu.add_parser("convert", help="benchmark data to Rasa YAML train/val/test splits")
    p.add_argument("dataset", choices=["clinc150", "banking77"])
    p.add_argument("source", type=Path, help="clinc150: data_full.json; banking77: the folder with the CSVs")
    p.add_argument("out", type=Path)
    p.set_defaults(func=cmd_convert)
    p = nlu.add_parser("train", help="train the product's NLU model if its data changed")
    p.add_argument("--data", type=Path, default=DEFAULT_DATA)
    p.add_argument("--model", default=None)
    p.set_defaults(func=cmd_train)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.nlu.cli")
    add_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
