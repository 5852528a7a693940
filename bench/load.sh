#!/usr/bin/env bash
# The load test: the public pages, the application form and the pairing
# pages under many concurrent users, against the app as production runs it
# (gunicorn, DEBUG off, PostgreSQL, a Celery worker on Redis sending the
# outbox), on 127.0.0.1 only, for a bounded time. A benchmark, not part of CI.
#
#   bash bench/load.sh
#
# Environment (all optional):
#   LOAD_USERS=50 LOAD_SECONDS=60     virtual users, and how long they run
#   LOAD_GUNICORN_WORKERS=4           gunicorn's sync workers
#   LOAD_APPLICANTS=2000 LOAD_PAIRINGS=200   people made for the run
#   LOAD_DATABASE_URL                 default: database mentorship_load on the
#                                     local PostgreSQL, created if missing
#   LOAD_BROKER_URL                   default: a Redis of the test's own, on a
#                                     free loopback port (a shared Redis
#                                     database may have other consumers)
#
# Prints p50/p95 and requests/s per page and a final JSON line (bench_load
# report); exits non-zero on any 5xx or any submission answered with success
# that has no submitted application. Results stay in test-artifacts/load/.
set -euo pipefail
cd "$(dirname "$0")/.."

USERS="${LOAD_USERS:-50}"
SECONDS_TO_RUN="${LOAD_SECONDS:-60}"
GUNICORN_WORKERS="${LOAD_GUNICORN_WORKERS:-4}"
PY=.venv/bin/python

if [ -z "${LOAD_DATABASE_URL:-}" ]; then
  psql -h 127.0.0.1 -U postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'mentorship_load'" | grep -q 1 \
    || createdb -h 127.0.0.1 -U postgres mentorship_load
fi
export DATABASE_URL="${LOAD_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/mentorship_load}"
# Production settings, on plain HTTP at 127.0.0.1; delivered email goes nowhere.
export DJANGO_DEBUG=0
DJANGO_SECRET_KEY="$($PY -c 'import secrets; print(secrets.token_urlsafe(50))')"
export DJANGO_SECRET_KEY
export DJANGO_ALLOWED_HOSTS=127.0.0.1
export DJANGO_SECURE_SSL_REDIRECT=0
export EMAIL_URL=dummymail://
export LOG_LEVEL=WARNING

RUN="test-artifacts/load/$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$RUN"
export LOAD_DIR="$PWD/$RUN"
free_port() {
  $PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
PORT="$(free_port)"

# Each in a process group of its own, ended by its id when the script ends.
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -TERM -- "-$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT

if [ -z "${LOAD_BROKER_URL:-}" ]; then
  # Another worker on the same queue takes every other task (seen here, on a
  # Redis database shared with other people's test runs): a Redis of our own.
  REDIS_PORT="$(free_port)"
  setsid redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --save "" \
    --appendonly no >"$RUN/redis.log" 2>&1 &
  pids+=("$!")
  for _ in $(seq 1 50); do
    redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break
    sleep 0.1
  done
fi
export CELERY_BROKER_URL="${LOAD_BROKER_URL:-redis://127.0.0.1:$REDIS_PORT/0}"

echo "Preparing the data ($DATABASE_URL)"
$PY manage.py migrate --noinput -v 0
$PY manage.py seed_demo >/dev/null
$PY manage.py collectstatic --noinput -v 0
$PY manage.py bench_load prepare --dir "$RUN" \
  --applicants "${LOAD_APPLICANTS:-2000}" --pairings "${LOAD_PAIRINGS:-200}"
.venv/bin/celery -A mentorship purge -f >/dev/null  # tasks an earlier run left

setsid .venv/bin/celery -A mentorship worker --concurrency 1 --loglevel INFO \
  --without-gossip --without-mingle >"$RUN/worker.log" 2>&1 &
WORKER="$!"
pids+=("$WORKER")
setsid .venv/bin/gunicorn mentorship.wsgi --bind "127.0.0.1:$PORT" \
  --workers "$GUNICORN_WORKERS" --timeout 30 >"$RUN/gunicorn.log" 2>&1 &
GUNICORN="$!"
pids+=("$GUNICORN")

for _ in $(seq 1 60); do
  $PY -c "import urllib.request as u; u.urlopen('http://127.0.0.1:$PORT/healthz', timeout=2)" 2>/dev/null && break
  sleep 0.5
done

# CPU seconds used so far by a process group: the machine is shared, so the
# latencies depend on who else is busy; the CPU the app spent does not.
cpu_of() {
  ps -o times= -g "$1" | awk '{ total += $1 } END { print total + 0 }'
}
gunicorn_before="$(cpu_of "$GUNICORN")"
worker_before="$(cpu_of "$WORKER")"
load_before="$(cut -d ' ' -f 1-3 /proc/loadavg)"

echo "Running $USERS users for ${SECONDS_TO_RUN} s on http://127.0.0.1:$PORT ($GUNICORN_WORKERS gunicorn workers, $(nproc) cores)"
timeout $((SECONDS_TO_RUN + 60)) .venv/bin/locust -f bench/locustfile.py --headless \
  --host "http://127.0.0.1:$PORT" --users "$USERS" --spawn-rate 10 \
  --run-time "${SECONDS_TO_RUN}s" --stop-timeout 10 --csv "$RUN/locust" \
  --only-summary --loglevel WARNING --exit-code-on-error 0 >"$RUN/locust.log" 2>&1
cat >"$RUN/server.json" <<EOF
{"gunicorn_cpu_seconds": $(( $(cpu_of "$GUNICORN") - gunicorn_before )),
 "worker_cpu_seconds": $(( $(cpu_of "$WORKER") - worker_before )),
 "load_average_before": "$load_before",
 "load_average_after": "$(cut -d ' ' -f 1-3 /proc/loadavg)",
 "cores": $(nproc), "gunicorn_workers": $GUNICORN_WORKERS}
EOF

$PY manage.py bench_load report --dir "$RUN" | tee "$RUN/report.txt"
