# The bot's image for docker-compose.yml (any number of instances run from it).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    MPLCONFIGDIR=/tmp/matplotlib
WORKDIR /app

COPY pyproject.toml README.md ./
COPY bot ./bot
COPY handlers ./handlers
COPY models ./models
COPY scheduler ./scheduler
RUN pip install '.[postgres]'
# Migrations run from the source tree at start-up (alembic.ini and alembic/ next to models/).
COPY alembic.ini ./
COPY alembic ./alembic

RUN useradd --system --home /app kpibot
USER kpibot

# The web server (webhook, /healthz, /readyz) on WEB_PORT; nginx is the public side.
EXPOSE 8080
HEALTHCHECK --interval=10s --timeout=3s --start-period=60s \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ.get(\"WEB_PORT\", \"8080\")}/healthz', timeout=2)"]
# SIGTERM (docker stop) finishes the updates in flight, settles the outbox, releases the lease.
STOPSIGNAL SIGTERM
CMD ["python", "-m", "bot"]
