"""The admin area: curate knowledge-base articles, try questions, and see where the bot fails."""

from __future__ import annotations

import functools
from datetime import date
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response

from bot.runtime import Runtime
from core.events import events
from web.auth import StaffUser, require_admin
from web.csrf import csrf_protect
from web.templating import templates

router = APIRouter(prefix="/admin", include_in_schema=False, dependencies=[Depends(csrf_protect)])
Admin = Annotated[StaffUser, Depends(require_admin)]
NLU_DIR = Path(__file__).resolve().parents[2] / "data" / "nlu"


def rt_of(request: Request) -> Runtime:
    return request.app.state.runtime  # type: ignore[no-any-return]


def repo():  # type: ignore[no-untyped-def]
    from knowledge_base import ArticleRepository

    return ArticleRepository()


def changed(rt: Runtime, article_id: str) -> None:
    rt.bus.emit(events.ARTICLE_CHANGED, None, article_id=article_id)


def page(request: Request, name: str, user: StaffUser, status_code: int = 200, **ctx: Any) -> Response:
    return templates.TemplateResponse(request, name, {"user": user, **ctx}, status_code=status_code)


@router.get("/articles", response_class=HTMLResponse)
def articles(request: Request, user: Admin, q: str = "", status: str = "", deleted: bool = False) -> Response:
    with rt_of(request).db.session() as s:
        rows = [{"id": a.id, "title": a.title, "audience": a.audience, "version": a.version,
                 "status": f"deleted {a.deleted_at:%Y-%m-%d %H:%M}" if a.deleted_at else a.status,
                 "updated": a.updated_at.strftime("%Y-%m-%d %H:%M"), "by": a.updated_by}
                for a in repo().list(s, q[:200] or None, status or None, deleted=deleted)]
    return page(request, "admin_articles.html", user, rows=rows, q=q, status=status, deleted=deleted,
                import_errors=_import_errors())


def _import_errors() -> list[dict[str, str]]:
    """Return the last article import's errors (broken front matter, duplicate ids), by file and field."""
    from knowledge_base import last_import

    report = last_import()
    return [] if report is None else [{"article": e.article, "field": e.field, "message": e.message}
                                      for e in report.errors]


# /admin itself is served by web.routes.staff; its template shows these errors too.
templates.env.globals["kb_import_errors"] = _import_errors


def _form(title: str, tags: str, audience: str, status: str, body: str, article_id: str = "") -> dict[str, Any]:
    return {"id": article_id.strip(), "title": title, "tags": [t.strip() for t in tags.split(",") if t.strip()],
            "audience": audience, "status": status, "body": body}


@router.get("/articles/new", response_class=HTMLResponse)
def new_article(request: Request, user: Admin) -> Response:
    blank = {"id": "", "title": "", "tags": [], "audience": "all", "status": "draft", "body": "## \n"}
    return page(request, "admin_article.html", user, article=blank, is_new=True, versions=[], error=None)


# Form fields carry no max_length: FastAPI would answer an over-long field with raw JSON. The
# article rules (knowledge_base.articles) check lengths and give the form back naming the field.
@router.post("/articles", response_class=HTMLResponse)
def create_article(request: Request, user: Admin, article_id: Annotated[str, Form()], title: Annotated[str, Form()],
                   body: Annotated[str, Form()], tags: Annotated[str, Form()] = "",
                   audience: Annotated[str, Form()] = "all", status: Annotated[str, Form()] = "draft") -> Response:
    from knowledge_base import ArticleError

    rt = rt_of(request)
    fields = _form(title, tags, audience, status, body, article_id)
    try:
        with rt.db.session() as s:
            repo().create(s, fields, user.username)
    except ArticleError as exc:
        return page(request, "admin_article.html", user, 422, article=fields, is_new=True, versions=[],
                    **_error(exc))
    changed(rt, fields["id"])
    return RedirectResponse(f"/admin/articles/{fields['id']}", status_code=303)


def _error(exc: Any) -> dict[str, str]:
    """Return the template's error context: the message names the article and the field."""
    return {"error": f"Article {exc.article!r} was not saved. {exc.field}: {exc.message}", "error_field": exc.field}


@router.get("/articles/{article_id}", response_class=HTMLResponse)
def edit_article(request: Request, user: Admin, article_id: str) -> Response:
    with rt_of(request).db.session() as s:
        try:
            a = repo().get(s, article_id, include_deleted=True)
        except LookupError as exc:
            raise HTTPException(404, str(exc)) from exc
        article = {"id": a.id, "title": a.title, "tags": a.tags, "audience": a.audience, "status": a.status,
                   "body": a.body, "deleted": a.deleted_at is not None, "version": a.version}
        versions = [{"version": v.version, "author": v.author, "note": v.note,
                     "at": v.created_at.strftime("%Y-%m-%d %H:%M")} for v in repo().versions(s, article_id)]
    return page(request, "admin_article.html", user, article=article, is_new=False, versions=versions, error=None)


@router.post("/articles/{article_id}", response_class=HTMLResponse)
def update_article(request: Request, user: Admin, article_id: str, title: Annotated[str, Form()],
                   body: Annotated[str, Form()], tags: Annotated[str, Form()] = "",
                   audience: Annotated[str, Form()] = "all", status: Annotated[str, Form()] = "draft") -> Response:
    from knowledge_base import ArticleError

    rt = rt_of(request)
    fields = _form(title, tags, audience, status, body, article_id)
    try:
        with rt.db.session() as s:
            repo().update(s, article_id, fields, user.username)
    except ArticleError as exc:
        with rt.db.session() as s:
            versions = [{"version": v.version, "author": v.author, "note": v.note,
                         "at": v.created_at.strftime("%Y-%m-%d %H:%M")} for v in repo().versions(s, article_id)]
        return page(request, "admin_article.html", user, 422, article=fields, is_new=False, versions=versions,
                    **_error(exc))
    except LookupError as exc:
        raise HTTPException(404, str(exc)) from exc
    changed(rt, article_id)
    return RedirectResponse(f"/admin/articles/{article_id}?saved=1", status_code=303)


@router.post("/articles/{article_id}/{action}")
def article_action(request: Request, user: Admin, article_id: str, action: str) -> RedirectResponse:
    ops = {"publish": "publish", "unpublish": "unpublish", "delete": "delete", "restore": "restore_deleted"}
    if action not in ops:
        raise HTTPException(404, "unknown action")
    rt = rt_of(request)
    try:
        with rt.db.session() as s:
            getattr(repo(), ops[action])(s, article_id, user.username)
    except LookupError as exc:
        raise HTTPException(404, str(exc)) from exc
    changed(rt, article_id)
    return RedirectResponse("/admin/articles" if action == "delete" else f"/admin/articles/{article_id}", 303)


@router.get("/articles/{article_id}/diff", response_class=HTMLResponse)
def diff(request: Request, user: Admin, article_id: str, a: int, b: int) -> Response:
    with rt_of(request).db.session() as s:
        try:
            text = repo().diff(s, article_id, a, b)
        except LookupError as exc:
            raise HTTPException(404, str(exc)) from exc
    lines = [{"cls": "add" if ln.startswith("+") else "del" if ln.startswith("-") else "", "text": ln}
             for ln in text.splitlines()]
    return page(request, "admin_diff.html", user, article_id=article_id, a=a, b=b, lines=lines)


@router.get("/articles/{article_id}/versions/{version}", response_class=HTMLResponse)
def version(request: Request, user: Admin, article_id: str, version: int) -> Response:
    from knowledge_base import render_markdown

    with rt_of(request).db.session() as s:
        try:
            v = repo().version(s, article_id, version)
        except LookupError as exc:
            raise HTTPException(404, str(exc)) from exc
        data = {"version": v.version, "title": v.title, "author": v.author, "html": render_markdown(v.body),
                "status": v.status, "at": v.created_at.strftime("%Y-%m-%d %H:%M")}
    return page(request, "admin_version.html", user, article_id=article_id, v=data)


@router.post("/articles/{article_id}/versions/{version}/restore")
def restore_version(request: Request, user: Admin, article_id: str, version: int) -> RedirectResponse:
    rt = rt_of(request)
    try:
        with rt.db.session() as s:
            repo().restore_version(s, article_id, version, user.username)
    except LookupError as exc:
        raise HTTPException(404, str(exc)) from exc
    changed(rt, article_id)
    return RedirectResponse(f"/admin/articles/{article_id}", 303)


@router.get("/articles/{article_id}/export.md", response_class=PlainTextResponse)
def export(request: Request, user: Admin, article_id: str) -> PlainTextResponse:
    with rt_of(request).db.session() as s:
        try:
            text = repo().export_markdown(s, article_id)
        except LookupError as exc:
            raise HTTPException(404, str(exc)) from exc
    return PlainTextResponse(text, headers={"Content-Disposition": f'attachment; filename="{article_id}.md"'})


@router.post("/preview", response_class=HTMLResponse)
def preview(user: Admin, body: Annotated[str, Form()] = "") -> HTMLResponse:
    from html import escape

    from knowledge_base import render_markdown
    from knowledge_base.articles import MAX_BODY_CHARS, html_problem

    if len(body) > MAX_BODY_CHARS:
        return HTMLResponse(f'<p class="error">body: is longer than {MAX_BODY_CHARS} characters '
                            f"({len(body)}); split the article</p>")
    problem = html_problem(body)  # shown beside the preview, which renders the HTML inert
    note = f'<p class="error">body: {escape(problem)}</p>' if problem else ""
    return HTMLResponse(note + render_markdown(body))


RULES = Path(__file__).resolve().parents[2] / "data" / "rules.yml"
# Areas keep their rules in files of their own beside it (data/rules_identity.yml, ...).
MORE_RULES = "rules_*.yml"


@functools.cache
def rule_actions() -> dict[str, str]:
    """Return the action data/rules*.yml run for each intent (what the dialogue does after the parse)."""
    import yaml

    out: dict[str, str] = {}
    rules = [r for path in [RULES, *sorted(RULES.parent.glob(MORE_RULES))]
             for r in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("rules") or []]
    for rule in rules:
        steps = rule.get("steps") or []
        if len(steps) >= 2 and "intent" in steps[0] and "action" in steps[1]:
            out.setdefault(str(steps[0]["intent"]), str(steps[1]["action"]))
    return out


@router.get("/try", response_class=HTMLResponse)
def try_question(request: Request, user: Admin, q: str = "", segment: str = "residential") -> Response:
    from bot import assist

    rt = rt_of(request)
    result: dict[str, Any] | None = None
    q = q.strip()[:500]
    if q and rt.kb is not None:
        segment = segment if segment in ("residential", "business") else "residential"
        parse = rt.nlu.parse(q)
        intent = (parse.get("intent") or {}).get("name") or "nlu_fallback"
        action = rule_actions().get(intent)
        # What the customer would get follows the route the dialogue takes after the parse.
        if action == "action_answer":
            reply = assist.answer(rt.kb, q, segment)
        elif action == "action_fallback":
            reply = assist.answer_or_fallback(rt.kb, q, segment, parse)
        else:
            reply = None
        answer = rt.kb.answer(q, segment=segment)
        modes = {m: rt.kb.search(q, segment=segment, mode=m) for m in ("hybrid", "dense", "bm25")}
        result = {"answer": answer, "modes": modes, "parse": parse, "intent": intent, "action": action,
                  "reply": reply}
    return page(request, "admin_try.html", user, q=q, segment=segment, result=result)


def _clusters(rt: Runtime, since: date | None = None, until: date | None = None) -> list[Any]:
    """Gaps between the dates, without dismissed questions, complaints or requests for a person; PII masked."""
    from datetime import UTC, datetime, time, timedelta

    from sqlalchemy import select

    from core.embedding import FakeEmbedder
    from crm import GapDismissal, Message
    from insights import cluster_questions, failed_questions
    from insights.privacy import NOT_KNOWLEDGE_INTENTS, mask_pii

    start = datetime.combine(since, time.min, tzinfo=UTC) if since else None
    end = datetime.combine(until + timedelta(days=1), time.min, tzinfo=UTC) if until else None
    with rt.db.session() as s:
        questions = failed_questions(s, since=start)
        dismissed = {int(i) for d in s.scalars(select(GapDismissal)) for i in d.label.split(",") if i.isdigit()}
        ids = [q.message_id for q in questions]
        intents = dict(s.execute(select(Message.id, Message.intent).where(Message.id.in_(ids))).all()) if ids else {}
    questions = [q for q in questions if q.message_id not in dismissed and intents.get(q.message_id)
                 not in NOT_KNOWLEDGE_INTENTS and (end is None or q.at < end)]
    clusters = cluster_questions(questions, rt.embedder or FakeEmbedder())
    for c in clusters:
        c.label, c.examples = mask_pii(c.label), [mask_pii(e) for e in c.examples]
    return clusters


@router.get("/gaps", response_class=HTMLResponse)
def gaps(request: Request, user: Admin, done: str = "", since: date | None = None,
         until: date | None = None) -> Response:
    return _gaps_page(request, user, done=done, since=since, until=until)


def _gaps_page(request: Request, user: StaffUser, status_code: int = 200, done: str = "", error: str = "",
               since: date | None = None, until: date | None = None) -> Response:
    rt = rt_of(request)
    intents = sorted(getattr(rt.nlu, "intents", []) or [])
    return page(request, "admin_gaps.html", user, status_code, clusters=_clusters(rt, since, until), intents=intents,
                done=done, error=error, since=since or "", until=until or "")


def _cluster_examples(rt: Runtime, key: str, limit: int = 5) -> list[str]:
    """Return the questions a posted cluster key names (its message ids), most typical first."""
    from insights import questions_by_id

    ids = [int(p) for p in key.split(",") if p.strip().isdigit()]
    with rt.db.session() as s:
        texts = questions_by_id(s, ids)
    if not texts:
        raise HTTPException(404, "no such cluster (the report changed; reload it)")
    from insights.privacy import mask_pii

    return [mask_pii(t) for t in texts[:limit]]  # personal data never goes into drafts or training data


def _plain(text: str) -> str:
    """Return customer text as a plain one-line title: tag-like text removed (titles hold no HTML)."""
    import re

    return " ".join(re.sub(r"<[^>]*>?", " ", text).split())


def _inert(text: str) -> str:
    """Return customer text as Markdown that shows it literally (no raw HTML reaches the body check)."""
    return " ".join(text.split()).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@router.post("/gaps/draft")
def gap_to_draft(request: Request, user: Admin, key: Annotated[str, Form(max_length=2000)]) -> Response:
    """Turn a cluster of unanswered questions into a draft article to write."""
    import re

    from knowledge_base import ArticleError
    from knowledge_base.models import Article

    rt = rt_of(request)
    examples = _cluster_examples(rt, key)
    title = _plain(examples[0])[:200].strip() or "Answer to a common question"
    base = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:60].strip("-") or "new-article"
    questions = "\n".join(f"- {_inert(e)}" for e in examples)
    body = f"## Answer\nWrite the answer here.\n\n## Customers asked\n{questions}\n"
    try:
        with rt.db.session() as s:
            aid, n = f"draft-{base}", 1
            while s.get(Article, aid) is not None:
                n += 1
                aid = f"draft-{base}-{n}"
            repo().create(s, {"id": aid, "title": title, "tags": ["from-gaps"], "audience": "all",
                              "status": "draft", "body": body}, user.username)
    except ArticleError as exc:
        return _gaps_page(request, user, 422, error=f"Could not draft {exc.article}: {exc.field}: {exc.message}")
    return RedirectResponse(f"/admin/articles/{aid}", 303)


@router.post("/gaps/nlu")
def gap_to_nlu(
    request: Request, user: Admin, key: Annotated[str, Form(max_length=2000)],
    intent: Annotated[str, Form(max_length=64)],
) -> RedirectResponse:
    """Add a cluster's questions as training examples for an intent (used at the next NLU training)."""
    from insights import nlu_yaml

    rt = rt_of(request)
    known = set(getattr(rt.nlu, "intents", []) or [])
    if intent not in known:
        raise HTTPException(422, f"unknown intent {intent!r}")
    examples = _cluster_examples(rt, key)
    import yaml

    target = NLU_DIR / f"from_gaps_{intent}.yml"
    have: list[str] = []
    if target.exists():
        doc = yaml.safe_load(target.read_text(encoding="utf-8")) or {}
        for item in doc.get("nlu") or []:
            have += [ln.strip()[2:] for ln in str(item.get("examples", "")).splitlines() if ln.strip().startswith("- ")]
    new = list(dict.fromkeys(" ".join(e.split()) for e in examples if " ".join(e.split()) not in have))
    if new:
        tmp = target.with_suffix(".tmp")
        tmp.write_text(nlu_yaml(intent, have + new), encoding="utf-8")
        tmp.replace(target)  # the NLU retrains at the next start because its data changed
    return RedirectResponse(f"/admin/gaps?done={len(new)}+examples+added+to+{intent}", 303)
