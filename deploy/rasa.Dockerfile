# The dialogue core: Rasa 3.6 with this repository's trained model, trained during the build.
#   docker build -f deploy/rasa.Dockerfile -t balagh-rasa .
# Replicas share conversations (deploy/rasa/endpoints.yml: MongoDB tracker store, Redis lock
# store); runs as an unprivileged user.
FROM python:3.10.16-slim-bookworm AS base

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app \
    SQLALCHEMY_SILENCE_UBER_WARNING=1 \
    TF_INTER_OP_PARALLELISM_THREADS=1 \
    TF_INTRA_OP_PARALLELISM_THREADS=1 \
    RASA_TELEMETRY_ENABLED=false

WORKDIR /app
COPY requirements/rasa.lock requirements/
RUN pip install -r requirements/rasa.lock \
    && useradd --system --uid 10001 --home-dir /app --shell /usr/sbin/nologin rasa
# the custom components and the stdlib-only helpers they import
COPY nlu_components nlu_components
COPY bot/__init__.py bot/arabic.py bot/collector.py bot/digits.py bot/languages.py bot/

FROM base AS train
COPY config.yml domain.yml catalogue.yml ./
COPY data data
RUN rasa train --fixed-model-name balagh --out /app/models

FROM base
COPY --from=train /app/models/balagh.tar.gz models/balagh.tar.gz
COPY credentials.yml ./
COPY deploy/rasa/endpoints.yml deploy/rasa/endpoints.yml
USER 10001
EXPOSE 5005
HEALTHCHECK --interval=10s --timeout=3s --start-period=180s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:5005/', timeout=2)"]
CMD ["rasa", "run", "--enable-api", "--port", "5005", "--model", "models/balagh.tar.gz", \
     "--endpoints", "deploy/rasa/endpoints.yml", "--credentials", "credentials.yml"]
