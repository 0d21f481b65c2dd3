# Sentio: build a virtualenv in one stage, run it as a non-root user in a slim image.
# The image's database default is set as DATABASE_URL, the variable the README documents, so
# that `docker run -e DATABASE_URL=…` replaces it (SENTIO_DATABASE_URL would win over it).
FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH
WORKDIR /src
COPY pyproject.toml README.md ./
COPY app ./app
COPY migrations ./migrations
RUN pip install .

FROM python:3.11-slim-bookworm
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DATABASE_URL=sqlite+aiosqlite:////data/sentio.db
RUN groupadd --gid 10001 sentio \
    && useradd --create-home --uid 10001 --gid 10001 sentio \
    && mkdir /data \
    && chown sentio:sentio /data
COPY --from=build /opt/venv /opt/venv
USER 10001:10001
WORKDIR /data
VOLUME ["/data"]
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"]
CMD ["sentio", "serve", "--host", "0.0.0.0", "--port", "8000"]
