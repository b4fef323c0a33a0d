"""Where the bot fails: customer questions it could not answer well, clustered by meaning.

Uses crm (the recorded conversations) and core (the embedder); imports nothing else of ours.
"""

from insights.gaps import Cluster, FailedQuestion, cluster_questions, failed_questions, nlu_yaml, questions_by_id

__all__ = ["Cluster", "FailedQuestion", "cluster_questions", "failed_questions", "nlu_yaml", "questions_by_id"]
