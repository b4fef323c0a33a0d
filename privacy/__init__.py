"""A customer's right to their data: export it, and erase it from every store that holds it.

Uses crm (the records and the audit), knowledge_base (articles drafted from their questions), insights
(NLU examples taken from their questions) and Rasa's tracker store; used by web and the CLI.
"""

from privacy.erasure import ErasureReport, erase_everywhere, export
from privacy.tracker import erase_trackers, tracker_db_url, tracker_rows

__all__ = ["ErasureReport", "erase_everywhere", "erase_trackers", "export", "tracker_db_url", "tracker_rows"]
