"""The intent layer: calibrated intents, out-of-scope detection, entities and sentiment.

Cheap to import: models and heavy libraries load on first use.
"""

from bot.nlu.service import NLUService, NLUSettings

__all__ = ["NLUService", "NLUSettings"]
