"""Where the bot fails and when the team is overrun: the gaps report, surge detection, the surge notice.

Uses crm (the recorded conversations) and core (the embedder, events); imports nothing else of ours.
"""

from insights import models, rollup_models  # noqa: F401  (register the surge and rollup tables on Base.metadata)
from insights.gaps import Cluster, FailedQuestion, cluster_questions, failed_questions, nlu_yaml, questions_by_id
from insights.notice import NoticeBoard, NoticeError, active_notice, clear_notice, notice_history, set_notice
from insights.surge import Alert, Baseline, Driver, SurgeDetector, Transition, threshold
from insights.surge_settings import SurgeSettings
from insights.surge_watch import SurgeWatch

__all__ = [
    "Alert",
    "Baseline",
    "Cluster",
    "Driver",
    "FailedQuestion",
    "NoticeBoard",
    "NoticeError",
    "SurgeDetector",
    "SurgeSettings",
    "SurgeWatch",
    "Transition",
    "active_notice",
    "clear_notice",
    "cluster_questions",
    "failed_questions",
    "nlu_yaml",
    "notice_history",
    "questions_by_id",
    "set_notice",
    "threshold",
]
