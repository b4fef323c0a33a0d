"""Curate articles: import, create, edit (each edit a new version), publish, delete, restore, diff, export."""

from __future__ import annotations

import builtins
import difflib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from core.db import utcnow
from knowledge_base.articles import ArticleError, ParsedArticle, parse_article, to_markdown, validate_fields
from knowledge_base.html_import import HTML_SUFFIXES, parse_html_article, parse_markdown_with_html
from knowledge_base.models import Article, ArticleVersion


@dataclass
class ImportReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    errors: list[ArticleError] = field(default_factory=list)
    folder: str = ""
    at: datetime | None = None


# The app imports the articles folder at start-up, in its own process; the admin area shows this
# process's last report so a broken file is seen where articles are curated, not only in a log.
_last_import: ImportReport | None = None


def last_import() -> ImportReport | None:
    """Return the most recent import report of this process, if any."""
    return _last_import


def _reviewed(a: ParsedArticle) -> datetime | None:
    """Return the front matter's `updated` date as the article's last-updated time (imports keep it)."""
    return datetime.fromisoformat(a.updated).replace(tzinfo=UTC) if a.updated else None


def parse_import(text: str, source: str) -> ParsedArticle:
    """Parse a file to import: Markdown, Markdown holding raw HTML, or exported help-centre HTML."""
    if source.lower().endswith(HTML_SUFFIXES):
        return parse_html_article(text, source)
    try:
        return parse_article(text, source)
    except ArticleError as exc:
        if exc.field != "body" or "raw HTML" not in exc.message:
            raise
    return parse_markdown_with_html(text, source)


class ArticleRepository:
    """Plain operations over a Session; callers announce changes (events.ARTICLE_CHANGED)."""

    def import_folder(self, session: Session, folder: Path, author: str = "import") -> ImportReport:
        """Import Markdown articles; bad files are reported by name and field, the others go in.

        Once imported, the database is the source of truth: a file updates its article only while
        nobody has edited the article since the last import, and only when the file has changed.
        """
        global _last_import
        report = ImportReport(folder=str(folder), at=utcnow())
        seen: dict[str, str] = {}
        paths = [p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in (".md", *HTML_SUFFIXES)]
        for path in sorted(paths):
            try:
                parsed = parse_import(path.read_text(encoding="utf-8"), path.name)
            except UnicodeDecodeError:
                report.errors.append(ArticleError(path.name, "file", "is not UTF-8 text"))
                continue
            except ArticleError as exc:
                report.errors.append(exc)
                continue
            if parsed.id in seen:
                report.errors.append(ArticleError(path.name, "id", f"duplicates {seen[parsed.id]} ({parsed.id})"))
                continue
            seen[parsed.id] = path.name
            row = session.get(Article, parsed.id)
            if row is None:
                self._insert(session, parsed, author)
                report.created.append(parsed.id)
            elif row.updated_by == author and row.deleted_at is None and self._differs(row, parsed):
                self._write(session, row, parsed, author, "re-imported")
                report.updated.append(parsed.id)
            else:
                report.skipped.append(parsed.id)
        _last_import = report
        return report

    @staticmethod
    def _differs(row: Article, a: ParsedArticle) -> bool:
        return (row.title, list(row.tags), row.audience, row.status, row.body) != (
            a.title, a.tags, a.audience, a.status, a.body)

    def _insert(self, session: Session, a: ParsedArticle, author: str) -> ArticleVersion:
        row = Article(
            id=a.id,
            title=a.title,
            tags=a.tags,
            audience=a.audience,
            status=a.status,
            body=a.body,
            version=1,
            updated_by=author,
            updated_at=_reviewed(a) or utcnow(),
        )
        session.add(row)
        session.flush()
        return self._snapshot(session, row, author, "created")

    def _snapshot(self, session: Session, row: Article, author: str, note: str) -> ArticleVersion:
        v = ArticleVersion(
            article_id=row.id,
            version=row.version,
            title=row.title,
            tags=list(row.tags),
            audience=row.audience,
            status=row.status,
            body=row.body,
            author=author,
            note=note,
        )
        session.add(v)
        session.flush()
        return v

    def create(self, session: Session, fields: dict[str, Any], author: str) -> ArticleVersion:
        """Add an article (version 1); raise ArticleError on bad fields or a used id."""
        parsed = validate_fields(str(fields.get("id") or "new article"), fields, str(fields.get("body") or ""))
        if session.get(Article, parsed.id) is not None:
            raise ArticleError(parsed.id, "id", "is already used by another article")
        return self._insert(session, parsed, author)

    def update(
        self, session: Session, article_id: str, fields: dict[str, Any], author: str, note: str = "edited"
    ) -> ArticleVersion:
        """Change some fields, making a new version; the id never changes (links refer to it)."""
        row = self.get(session, article_id)
        merged = {"title": row.title, "tags": row.tags, "audience": row.audience, "status": row.status} | {
            k: v for k, v in fields.items() if k not in ("body", "id")
        }
        parsed = validate_fields(row.id, merged | {"id": row.id}, str(fields.get("body", row.body)))
        return self._write(session, row, parsed, author, note)

    def _write(self, session: Session, row: Article, a: ParsedArticle, author: str, note: str) -> ArticleVersion:
        row.title, row.tags, row.audience, row.status, row.body = a.title, a.tags, a.audience, a.status, a.body
        row.version += 1
        row.updated_at, row.updated_by = _reviewed(a) or utcnow(), author
        return self._snapshot(session, row, author, note)

    def publish(self, session: Session, article_id: str, author: str) -> ArticleVersion:
        return self.update(session, article_id, {"status": "published"}, author, "published")

    def unpublish(self, session: Session, article_id: str, author: str) -> ArticleVersion:
        return self.update(session, article_id, {"status": "draft"}, author, "unpublished")

    def delete(self, session: Session, article_id: str, author: str) -> Article:
        """Hide an article everywhere (soft delete); its versions stay and a "deleted" version records who and when."""
        row = self.get(session, article_id)
        row.deleted_at = utcnow()
        self._mark(session, row, author, "deleted")
        return row

    def restore_deleted(self, session: Session, article_id: str, author: str) -> Article:
        """Bring a deleted article back as it was, recording a "restored" version."""
        row = self.get(session, article_id, include_deleted=True)
        if row.deleted_at is None:
            return row
        row.deleted_at = None
        self._mark(session, row, author, "restored")
        return row

    def _mark(self, session: Session, row: Article, author: str, note: str) -> ArticleVersion:
        """Record a change of state that leaves the text alone as a new version (the history is complete)."""
        row.version += 1
        row.updated_at, row.updated_by = utcnow(), author
        return self._snapshot(session, row, author, note)

    def restore_version(self, session: Session, article_id: str, version_no: int, author: str) -> ArticleVersion:
        """Make an old version current again, as a new version (history is never rewritten)."""
        old = self.version(session, article_id, version_no)
        fields = {"title": old.title, "tags": old.tags, "audience": old.audience, "status": old.status,
                  "body": old.body}
        return self.update(session, article_id, fields, author, f"restored version {version_no}")

    def get(self, session: Session, article_id: str, include_deleted: bool = False) -> Article:
        row = session.get(Article, article_id)
        if row is None or (row.deleted_at is not None and not include_deleted):
            raise LookupError(f"article {article_id} not found")
        return row

    def list(
        self, session: Session, query: str | None = None, status: str | None = None, deleted: bool = False
    ) -> list[Article]:
        q = select(Article).where(Article.deleted_at.is_not(None) if deleted else Article.deleted_at.is_(None))
        if status:
            q = q.where(Article.status == status)
        if query:
            like = f"%{query.lower()}%"
            q = q.where(or_(Article.title.ilike(like), Article.body.ilike(like), Article.id.ilike(like)))
        return list(session.scalars(q.order_by(Article.title)))

    def versions(self, session: Session, article_id: str) -> builtins.list[ArticleVersion]:
        """Return every version of an article, newest first."""
        return builtins.list(
            session.scalars(
                select(ArticleVersion)
                .where(ArticleVersion.article_id == article_id)
                .order_by(ArticleVersion.version.desc())
            )
        )

    def version(self, session: Session, article_id: str, version: int) -> ArticleVersion:
        v = session.scalar(
            select(ArticleVersion).where(ArticleVersion.article_id == article_id, ArticleVersion.version == version)
        )
        if v is None:
            raise LookupError(f"article {article_id} has no version {version}")
        return v

    def diff(self, session: Session, article_id: str, a: int, b: int) -> str:
        va, vb = self.version(session, article_id, a), self.version(session, article_id, b)
        return "".join(
            difflib.unified_diff(
                self._text(va).splitlines(True),
                self._text(vb).splitlines(True),
                f"{article_id} v{a}",
                f"{article_id} v{b}",
            )
        )

    @staticmethod
    def _text(v: ArticleVersion) -> str:
        return to_markdown(ParsedArticle(v.article_id, v.title, v.body, list(v.tags), v.audience, v.status))

    def export_markdown(self, session: Session, article_id: str) -> str:
        row = self.get(session, article_id)
        return to_markdown(
            ParsedArticle(
                row.id, row.title, row.body, list(row.tags), row.audience, row.status, row.updated_at.date().isoformat()
            )
        )
