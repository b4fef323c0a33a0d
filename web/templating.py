"""Jinja2 templates with autoescaping on: customer and agent text is always rendered inert."""

from __future__ import annotations

from pathlib import Path

from fastapi.templating import Jinja2Templates

from web.csrf import csrf_input, csrf_token

templates = Jinja2Templates(directory=str(Path(__file__).resolve().parent / "templates"))
# Every staff form carries {{ csrf_input(request) }}; pages put the token in a meta tag for fetch calls.
templates.env.globals.update(csrf_input=csrf_input, csrf_token=lambda request: csrf_token(request.session))
