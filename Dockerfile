# The Firstline app image (FastAPI + NLU + actions + knowledge base), for docker-compose.yml.
# Rasa runs from the official rasa/rasa:3.6.21 image beside it. Not built by CI here (no Docker engine).
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 \
    FIRSTLINE_DATA_DIR=/data FIRSTLINE_APP_HOST=0.0.0.0
WORKDIR /app

# torch's CPU build first: the version the lock pins, without several GB of CUDA packages.
RUN pip install torch==2.13.0 --index-url https://download.pytorch.org/whl/cpu
COPY requirements/app.lock requirements/app.lock
COPY pyproject.toml README.md ./
COPY core core
COPY crm crm
COPY insights insights
COPY bench bench
COPY bot bot
COPY actions actions
COPY escalation escalation
COPY knowledge_base knowledge_base
COPY web web
COPY firstline firstline
# followup, outbound, channels and privacy were missing: the app imports all four at start-up
COPY followup followup
COPY outbound outbound
COPY channels channels
COPY privacy privacy
COPY migrations migrations
COPY alembic.ini alembic.ini
COPY data data
RUN pip install -c requirements/app.lock -e . \
    && useradd --create-home --uid 1000 firstline && mkdir -p /data && chown firstline /data
USER firstline
EXPOSE 8000
# `docker compose` overrides this per service (init, app).
CMD ["python", "-m", "firstline.app_workers", "--factory", "web.main:create", "--host", "0.0.0.0", "--port", "8000", "--workers", "2"]
