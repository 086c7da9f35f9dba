# One image for web, worker and beat (see docker-compose.yml).
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
# WeasyPrint's text stack and fonts for the PDF letters; libmagic to recognise uploaded files by their content.
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 \
      fonts-dejavu-core fonts-liberation2 shared-mime-info libmagic1 \
 && rm -rf /var/lib/apt/lists/*

RUN useradd --create-home --uid 1000 portal
WORKDIR /app
COPY pyproject.toml README.md ./
COPY config.py wsgi.py babel.cfg ./
COPY portal ./portal
COPY workers ./workers
COPY migrations ./migrations
COPY templates ./templates
COPY translations ./translations
RUN pip install --no-cache-dir . && pybabel compile -d translations

USER portal
ENV PORTAL_ENV=production STORAGE_DIR=/data/storage
EXPOSE 8000
CMD ["gunicorn", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-", "wsgi:app"]
