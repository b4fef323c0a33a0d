"""rasa-sdk custom actions: thin adapters onto bot.assist, knowledge_base and escalation.

rasa-sdk imports every module here and registers every concrete Action, so modules load
nothing heavy at import time; they reach the process's services through bot.runtime.
"""
