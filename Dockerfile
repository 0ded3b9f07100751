# Stage 1: the web app (web/), built with Node into web/dist.
FROM node:20-slim AS web
WORKDIR /web
COPY web/package.json web/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY web/ ./
RUN npm run build

# Stage 2: the Django service, serving the built app through WhiteNoise. Runs as a non-root user.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
RUN groupadd --system --gid 10001 kat \
    && useradd --system --uid 10001 --gid kat --home-dir /app --no-create-home --shell /usr/sbin/nologin kat
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
COPY --from=web /web/dist /app/web/dist
RUN DEBUG=true python manage.py collectstatic --noinput -v0
# The code and static files stay root's, read-only to the service: nothing in /app is writable by it.
USER 10001:10001
EXPOSE 8000
# Waits for PostgreSQL; migrates as the owner when MIGRATION_DATABASE_URL is set, creates or
# updates the runtime role; optionally waits for migrations (WAIT_FOR_MIGRATIONS) or seeds the demo
# (SEED_DEMO); then execs the command below (or compose's), connected as the runtime role.
ENTRYPOINT ["scripts/docker-entrypoint.sh"]
CMD ["gunicorn", "kat_clinic.wsgi:application", "--bind", "0.0.0.0:8000"]
