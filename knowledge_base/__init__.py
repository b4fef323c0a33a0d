"""The knowledge base: articles with versions, hybrid retrieval (faiss + BM25) and answering.

Cheap to import: faiss, bm25s, scikit-learn and the embedding model load on first use.
"""

from knowledge_base.answering import Answer, Hit
from knowledge_base.articles import ArticleError, ParsedArticle, parse_article
from knowledge_base.index import ArticleDoc
from knowledge_base.render import render_markdown
from knowledge_base.repository import ArticleRepository, ImportReport, last_import
from knowledge_base.retriever import KnowledgeBase
from knowledge_base.settings import KBSettings

__all__ = [
    "Answer",
    "ArticleDoc",
    "ArticleError",
    "ArticleRepository",
    "Hit",
    "ImportReport",
    "KBSettings",
    "KnowledgeBase",
    "ParsedArticle",
    "last_import",
    "parse_article",
    "render_markdown",
]
