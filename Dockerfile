# Stage 1: the web app (web/), built with Node into web/dist.
FROM node:20-slim AS web
WORKDIR /web
COPY web/package.json web/package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY web/ ./
RUN npm run build

# Stage 2: the Django service, serving the built app through WhiteNoise.
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
COPY --from=web /web/dist /app/web/dist
RUN DEBUG=true python manage.py collectstatic --noinput -v0
# The web process connects as the runtime role (DATABASE_URL); migrations run beforehand as the
# owner: `python manage.py migrate && python manage.py create_runtime_role` (docker compose's
# `migrate` service).
CMD ["gunicorn", "kat_clinic.wsgi:application", "--bind", "0.0.0.0:8000"]
