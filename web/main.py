"""The uvicorn entry: `uvicorn --factory web.main:create`."""

from fastapi import FastAPI

from web.app import create_app


def create() -> FastAPI:
    return create_app(freeze_heap=True)
