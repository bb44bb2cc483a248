# The production image: one image, three roles (api, worker, beat) chosen by the command.
# Base image and uv are pinned so a rebuild gives the same image; raise them on purpose.
FROM python:3.11.14-slim-bookworm

ARG UV_VERSION=0.13.9

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    PATH="/app/.venv/bin:$PATH"

RUN pip install --no-cache-dir "uv==${UV_VERSION}" \
    && useradd --create-home --uid 10001 skills

WORKDIR /app
COPY pyproject.toml uv.lock README.md ./
RUN uv sync --locked --no-dev --no-install-project
COPY service ./service
COPY content ./content
COPY credentials ./credentials
COPY migrations ./migrations
COPY alembic.ini ./
RUN uv sync --locked --no-dev && mkdir -p /app/var && chown -R skills /app/var

USER skills
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --retries=5 \
  CMD python -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)" || exit 1
CMD ["skills", "serve", "--host", "0.0.0.0", "--port", "8000", "--no-worker", "--no-migrate"]
