from __future__ import annotations

from pathlib import Path

import pytest

from core.db import Database
from knowledge_base import ArticleError, ArticleRepository, parse_article
from tests.knowledge_base.factories import article_text

repo = ArticleRepository()


def test_import_folder_reports_bad_and_duplicate_files_and_imports_the_rest(db: Database, tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text(article_text("one", "One", "## A\nbody one"))
    (tmp_path / "b.md").write_text(article_text("one", "Dup", "## B\nbody"))
    (tmp_path / "c.md").write_text("---\nid: two\n---\nno title")
    (tmp_path / "d.md").write_bytes(b"\xff\xfe not utf8")
    (tmp_path / "e.md").write_text(article_text("three", "Three", "<script>alert(1)</script>"))
    with db.session() as s:
        report = repo.import_folder(s, tmp_path)
    assert (report.created, report.updated, report.skipped) == (["one"], [], [])
    assert sorted((e.article, e.field, e.message) for e in report.errors) == [
        ("b.md", "id", "duplicates a.md (one)"),
        ("d.md", "file", "is not UTF-8 text"),
        # Raw HTML is converted now (issue 13); a script alone leaves nothing to import.
        ("three", "body", "has no text once scripts and unsupported markup are removed (from line 8)"),
        ("two", "title", "is missing"),
    ]
    assert all(isinstance(e, ArticleError) for e in report.errors)


def test_import_folder_again_updates_unedited_articles_and_skips_edited_ones(db: Database, tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text(article_text("one", "One", "first"))
    (tmp_path / "b.md").write_text(article_text("two", "Two", "first"))
    with db.session() as s:
        repo.import_folder(s, tmp_path)
        repo.update(s, "two", {"body": "edited by a person"}, "maria")
    (tmp_path / "a.md").write_text(article_text("one", "One", "second"))
    (tmp_path / "b.md").write_text(article_text("two", "Two", "second"))
    with db.session() as s:
        report = repo.import_folder(s, tmp_path)
        assert (report.created, report.updated, report.skipped) == ([], ["one"], ["two"])
        assert (repo.get(s, "one").body, repo.get(s, "two").body) == ("second\n", "edited by a person\n")
        assert repo.import_folder(s, tmp_path).skipped == ["one", "two"]  # unchanged files change nothing


def test_create_returns_version_one_and_refuses_a_used_id(db: Database) -> None:
    with db.session() as s:
        v = repo.create(s, {"id": "new", "title": "New", "body": "Text."}, "maria")
        assert (v.article_id, v.version, v.author, v.note, v.status) == ("new", 1, "maria", "created", "draft")
        with pytest.raises(ArticleError) as err:
            repo.create(s, {"id": "new", "title": "Again", "body": "Text."}, "maria")
        assert (err.value.article, err.value.field) == ("new", "id")


def test_update_with_bad_field_raises_and_changes_nothing(db: Database) -> None:
    with db.session() as s:
        repo.create(s, {"id": "x", "title": "X", "body": "Text."}, "maria")
        with pytest.raises(ArticleError) as err:
            repo.update(s, "x", {"audience": "aliens"}, "maria")
        assert (err.value.article, err.value.field) == ("x", "audience")
        assert (repo.get(s, "x").version, repo.get(s, "x").audience) == (1, "all")


def test_edit_makes_versions_that_diff_and_restore(db: Database) -> None:
    with db.session() as s:
        repo.create(s, {"id": "r", "title": "Reset", "body": "## How\nOld text.", "tags": ["a"]}, "ana")
        v2 = repo.update(s, "r", {"body": "## How\nNew text."}, "maria")
        assert (v2.version, v2.author, v2.note) == (2, "maria", "edited")
        assert [v.version for v in repo.versions(s, "r")] == [2, 1]
        assert repo.diff(s, "r", 1, 2).splitlines()[-2:] == ["-Old text.", "+New text."]
        v3 = repo.restore_version(s, "r", 1, "maria")
        assert (v3.version, v3.note, repo.get(s, "r").body) == (3, "restored version 1", "## How\nOld text.\n")
        with pytest.raises(LookupError, match="article r has no version 9"):
            repo.restore_version(s, "r", 9, "maria")


def test_publish_unpublish_delete_and_restore_deleted(db: Database) -> None:
    with db.session() as s:
        repo.create(s, {"id": "p", "title": "P", "body": "Text.", "status": "draft"}, "maria")
        assert repo.publish(s, "p", "maria").status == "published"
        assert repo.unpublish(s, "p", "maria").status == "draft"
        repo.delete(s, "p", "maria")
        assert [a.id for a in repo.list(s)] == [] and [a.id for a in repo.list(s, deleted=True)] == ["p"]
        with pytest.raises(LookupError):
            repo.get(s, "p")
        repo.restore_deleted(s, "p", "maria")
        assert [a.id for a in repo.list(s, status="draft")] == ["p"]


def test_list_finds_by_words_in_title_or_body(db: Database) -> None:
    with db.session() as s:
        repo.create(s, {"id": "a", "title": "Router lights", "body": "Blinking."}, "m")
        repo.create(s, {"id": "b", "title": "Bills", "body": "Direct debit."}, "m")
        assert [a.id for a in repo.list(s, "debit")] == ["b"]
        assert [a.id for a in repo.list(s, "ROUTER")] == ["a"]


def test_export_markdown_parses_back_to_the_same_article(db: Database) -> None:
    with db.session() as s:
        repo.create(s, {"id": "e", "title": "Export", "body": "## S\nText.", "tags": ["x", "y"],
                        "audience": "business", "status": "published"}, "m")
        text = repo.export_markdown(s, "e")
    back = parse_article(text, "e.md")
    assert (back.id, back.title, back.tags, back.audience, back.status, back.body) == (
        "e", "Export", ["x", "y"], "business", "published", "## S\nText.\n")


def test_import_keeps_the_updated_date_and_export_writes_it_back(db: Database, tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("---\nid: a\ntitle: A\nstatus: published\nupdated: 2026-09-01\n---\n\nText.\n")
    (tmp_path / "b.md").write_text("---\nid: b\ntitle: B\n---\n\nNo status given.\n")
    repo = ArticleRepository()
    with db.session() as s:
        assert repo.import_folder(s, tmp_path).created == ["a", "b"]
    with db.session() as s:
        assert repo.get(s, "a").updated_at.date().isoformat() == "2026-09-01"
        assert "updated: '2026-09-01'" in repo.export_markdown(s, "a")
        assert repo.get(s, "b").status == "draft"


def test_delete_and_restore_are_versions_with_author_and_time(db: Database) -> None:
    with db.session() as s:
        repo.create(s, {"id": "d", "title": "D", "body": "Text.", "status": "published"}, "ana")
        repo.delete(s, "d", "maria")
        repo.restore_deleted(s, "d", "root")
        repo.restore_deleted(s, "d", "root")  # not deleted: nothing to record
        versions = repo.versions(s, "d")
        assert [(v.version, v.author, v.note) for v in versions] == [
            (3, "root", "restored"), (2, "maria", "deleted"), (1, "ana", "created")]
        assert all(v.created_at is not None for v in versions)
        assert (repo.get(s, "d").version, repo.get(s, "d").body, repo.get(s, "d").status) == (3, "Text.\n", "published")
