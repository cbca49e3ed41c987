# Production image: gunicorn serving balance.wsgi, also used for the Celery
# worker and beat (see docker-compose.yml).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=balance.settings \
    PYTHONPATH=/app

# WeasyPrint's native libraries and CJK fonts for Chinese text in PDFs.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 \
        libpangoft2-1.0-0 \
        libharfbuzz-subset0 \
        fonts-noto-cjk \
    && rm -rf /var/lib/apt/lists/*

RUN groupadd --system --gid 1000 app \
    && useradd --system --uid 1000 --gid app --home-dir /app --shell /usr/sbin/nologin app

WORKDIR /app

COPY requirements.txt .
RUN pip install -r requirements.txt

COPY . .

# Static files are collected at build time (served by whitenoise). The secret
# and database below exist only for this build step; the real ones come from
# the environment at run time.
RUN SECRET_KEY=build-only-dummy-secret-key DEBUG=false DATABASE_URL=sqlite:////tmp/build.sqlite3 \
        python -m django collectstatic --noinput \
    && rm -f /tmp/build.sqlite3 \
    && mkdir -p /app/media \
    && chown app:app /app/media

USER app

EXPOSE 8000

# gunicorn reads its worker count from WEB_CONCURRENCY and extra options from
# GUNICORN_CMD_ARGS (both set per deployment, see docker-compose.yml).
CMD ["gunicorn", "balance.wsgi:application", "--bind", "0.0.0.0:8000", "--timeout", "120", "--access-logfile", "-"]
