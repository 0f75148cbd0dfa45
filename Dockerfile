FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 VAR_DIR=/data
WORKDIR /app
# pg_dump/pg_restore for `manage.py backup` (bookworm's client is 15, as the compose database)
RUN apt-get update && apt-get install -y --no-install-recommends postgresql-client \
    && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml requirements.lock ./
RUN pip install --no-cache-dir -c requirements.lock .
COPY . .
# DEBUG off: the manifest storage checks every referenced file (CI runs the same step).
# collectstatic reads no data: throwaway keys here; the real ones come from the environment
# at run time (SECRET_KEY, FIELD_ENCRYPTION_KEYS, BLIND_INDEX_KEY — see README).
RUN SECRET_KEY=collectstatic-only DEBUG=0 \
    FIELD_ENCRYPTION_KEYS="$(python -c 'import base64,os; print(base64.b64encode(os.urandom(32)).decode())')" \
    BLIND_INDEX_KEY="$(python -c 'import base64,os; print(base64.b64encode(os.urandom(32)).decode())')" \
    python manage.py collectstatic --noinput
RUN useradd --system --home /app registry && mkdir -p /data && chown registry /data
USER registry
EXPOSE 8000
CMD ["gunicorn", "registry.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "60"]
