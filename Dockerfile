FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
# A font that draws Chinese, for the /usage chart's labels (about 5 MB).
RUN apt-get update && apt-get install -y --no-install-recommends fonts-wqy-microhei \
    && rm -rf /var/lib/apt/lists/*

COPY pyproject.toml README.md ./
COPY bot ./bot
COPY cogs ./cogs
RUN pip install . && useradd --create-home --uid 10001 bot \
    && mkdir -p /app/data && chown bot:bot /app/data

USER bot
# Jobs, history and downloaded results live here: mount a volume to keep them.
VOLUME ["/app/data"]
ENV DATABASE_PATH=/app/data/bot.sqlite3
# SIGTERM (docker stop) shuts the bot down cleanly; unfinished jobs resume on start.
STOPSIGNAL SIGTERM
CMD ["python", "-m", "bot"]
