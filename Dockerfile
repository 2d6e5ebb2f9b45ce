# motive-bot: the Slack bot for Motive dashcam recalls and snapshots.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src

# Dependencies first, in their own layer: it is rebuilt only when pyproject.toml changes.
COPY pyproject.toml ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt

# Then the code.
COPY README.md ./
COPY motive ./motive
COPY bot ./bot
RUN pip install --no-deps . && rm -rf /src/build

RUN useradd --create-home --uid 10001 motivebot
USER motivebot
WORKDIR /home/motivebot

# SQLite in the home directory by default; set DATABASE_URL=postgresql://... to scale out.
ENV PORT=3000 \
    DATABASE_URL=sqlite:////home/motivebot/motive-bot.db \
    LOG_JSON=true

EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '3000'), timeout=4)" || exit 1

CMD ["motive-bot", "serve"]
