# syntax=docker/dockerfile:1
# The casework image: one image for web (gunicorn), worker and beat (celery). See docker-compose.yml.

# --- Stage 1: GOV.UK Frontend assets (static/govuk/, git-ignored) built with npm -----------------
FROM node:20 AS assets
WORKDIR /build
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY scripts/build-assets.mjs scripts/
# The build checks every url(...) in the CSS resolves to a file under static/, so it needs static/.
COPY static/ static/
RUN npm run build


# --- Stage 2: the Python application ------------------------------------------------------------
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    ENVIRONMENT=production \
    PRIVATE_STORAGE_ROOT=/var/lib/casework/private

# WeasyPrint's libraries (Pango, HarfBuzz subsetting) and a font for the PDFs.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core \
    && rm -rf /var/lib/apt/lists/*

# A non-root user. The state folders are created here, owned by it, so that named volumes
# mounted on them start with the right owner.
RUN groupadd --system --gid 10001 casework \
    && useradd --system --uid 10001 --gid casework --home-dir /app --no-create-home casework \
    && mkdir -p /var/lib/casework/private /var/lib/casework/beat \
    && chown -R casework:casework /var/lib/casework

WORKDIR /app

# Dependencies first (pinned in pyproject.toml), so code changes do not reinstall them.
COPY pyproject.toml ./
RUN pip install .

COPY . .
COPY --from=assets /build/static/govuk/ static/govuk/

# Collect static files for whitenoise (hashed and compressed names). Settings refuse production
# without these variables, so give build-time placeholders: nothing connects to a database here,
# and the real values come from the environment at run time.
RUN SECRET_KEY=build-time-placeholder-not-a-secret \
    ALLOWED_HOSTS=localhost \
    DATABASE_URL=postgres://build@localhost:5432/build \
    python manage.py collectstatic --no-input \
    && python -m compileall -q config casework referrals panels funding pathways

USER casework
EXPOSE 8000

# Worker count: gunicorn reads WEB_CONCURRENCY (default 1); docker-compose.yml sets it.
CMD ["gunicorn", "config.wsgi", "--bind", "0.0.0.0:8000", "--access-logfile", "-", "--timeout", "60"]
