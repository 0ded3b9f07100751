#!/bin/sh
# The container's entrypoint (Dockerfile ENTRYPOINT; docker compose runs it for web, worker, beat).
#
#   1. wait for PostgreSQL;
#   2. when MIGRATION_DATABASE_URL (the owner) is set, migrate as the owner, then create or update the
#      least-privilege runtime role, and drop the owner's credentials from the environment;
#   3. when WAIT_FOR_MIGRATIONS=true, wait until every migration is applied (worker, beat: they start
#      only after the web container's entrypoint migrated);
#   4. when SEED_DEMO=true, seed the demo clinic, as the runtime role;
#   5. exec the process given as arguments (gunicorn, celery worker, celery beat): it replaces this
#      shell, so it receives the container's stop signal itself.
#
# DATABASE_URL is the runtime role's connection, the only one the process keeps.
set -eu

log() {
    echo "entrypoint: $*" >&2
}

PYTHON=${PYTHON:-python}
MANAGE=${MANAGE:-manage.py}
: "${DATABASE_URL:?DATABASE_URL must name the runtime role's connection}"

log "waiting for PostgreSQL"
"$PYTHON" scripts/wait_for_postgres.py "${MIGRATION_DATABASE_URL:-$DATABASE_URL}"

if [ -n "${MIGRATION_DATABASE_URL:-}" ]; then
    log "migrating as the owner role"
    DATABASE_URL="$MIGRATION_DATABASE_URL" "$PYTHON" "$MANAGE" migrate --noinput
    log "creating or updating the runtime role"
    DATABASE_URL="$MIGRATION_DATABASE_URL" "$PYTHON" "$MANAGE" create_runtime_role
    unset MIGRATION_DATABASE_URL
fi

if [ "${WAIT_FOR_MIGRATIONS:-false}" = "true" ]; then
    log "waiting until every migration is applied"
    "$PYTHON" scripts/wait_for_postgres.py --migrated "$DATABASE_URL"
fi

if [ "${SEED_DEMO:-false}" = "true" ]; then
    log "seeding the demo clinic as the runtime role"
    "$PYTHON" "$MANAGE" seed_demo
fi

log "starting: $*"
exec "$@"
