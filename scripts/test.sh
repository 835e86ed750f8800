#!/usr/bin/env bash
# The whole test suite: static checks, then pytest on SQLite, then pytest on PostgreSQL (+Redis).
# Outside CI the PostgreSQL run is skipped, with the reason printed, when no server answers;
# with CI=true an unreachable PostgreSQL or Redis is a failure.
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
PG_URL=${NEWSDESK_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/test}
REDIS_TEST_URL=${NEWSDESK_TEST_REDIS_URL:-redis://127.0.0.1:6379/1}
CI=${CI:-}
# true: a pinned release the vulnerability service has no record of fails the audit too.
AUDIT_REQUIRE_ALL=${NEWSDESK_AUDIT_REQUIRE_ALL:-}

step() { printf '\n== %s\n' "$*"; }

ensure_chromium() {
  [ -x /usr/bin/chromium ] && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    step "Installing Debian's chromium for the browser tests"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "Browser tests need Debian's chromium at /usr/bin/chromium: sudo apt-get install chromium"
  fi
}

run_pytest() {  # label, then extra pytest arguments
  local label=$1; shift
  step "pytest on $label"
  # The slowest tests are listed at the end, to keep an eye on CI's 20 minutes.
  # A data directory and a temporary-files root of each run's own: the runs go on side by side.
  NEWSDESK_DATA_DIR=$(mktemp -d) "$BIN/pytest" --durations=40 --basetemp "$(mktemp -d)" "$@"
  local rc=$?
  if [ $rc -eq 5 ]; then
    echo "pytest collected no tests on $label: the suite is missing or every test was deselected."
    return 1
  fi
  return $rc
}

reachable() {  # python snippet that exits 0 when the service answers
  "$BIN/python" -c "$1" >/dev/null 2>&1
}

ensure_pushpin() {
  command -v pushpin >/dev/null && command -v zurl >/dev/null && return 0
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    step "Installing Debian's pushpin (with condure and zurl) for the live GRIP tests"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pushpin >/dev/null
  else
    echo "The tests through Pushpin need Debian's pushpin: sudo apt-get install pushpin"
  fi
}

failed=0
ensure_chromium
ensure_pushpin

step "Django checks and migrations"
NEWSDESK_DATA_DIR=$(mktemp -d) "$BIN/newsdesk" check --fail-level WARNING || failed=1
NEWSDESK_DATA_DIR=$(mktemp -d) "$BIN/newsdesk" makemigrations --check --dry-run || failed=1
NEWSDESK_DATA_DIR=$(mktemp -d) NEWSDESK_DEBUG=false NEWSDESK_ALLOWED_HOSTS=news.example.org \
  NEWSDESK_BASE_URL=https://news.example.org \
  "$BIN/newsdesk" check --deploy --fail-level WARNING || failed=1

step "ruff"
"$BIN/ruff" check . || failed=1
"$BIN/ruff" format --check . || failed=1

# The pure modules (no Django) under strict mypy; pyproject.toml [tool.mypy] lists them.
step "mypy (strict, pure modules)"
"$BIN/mypy" || failed=1

# Known advisories against the runtime lock (scripts/audit_deps.py says what each exit means).
# An advisory fails the run; so does an unreachable service with CI=true, as for PostgreSQL.
step "Dependency audit (pip-audit of requirements.lock)"
"$BIN/python" scripts/audit_deps.py
case $? in
  0) ;;
  2) if [ -n "$CI" ]; then
       echo "CI=true and the vulnerability service (PyPI's JSON API) did not answer: failing."
       failed=1
     else
       echo "Dependency audit SKIPPED: the vulnerability service did not answer."
     fi ;;
  3) if [ "$AUDIT_REQUIRE_ALL" = true ]; then
       echo "NEWSDESK_AUDIT_REQUIRE_ALL=true and some pinned releases were not audited: failing."
       failed=1
     else
       echo "WARNING: the audit is incomplete (above); NEWSDESK_AUDIT_REQUIRE_ALL=true fails on it."
     fi ;;
  *) failed=1 ;;
esac

# The runs share nothing (data directories, databases and Redis database numbers of their
# own), so the SQLite suite goes on in the background, as two shards of whole test files
# (NEWSDESK_TEST_SHARD, tests/conftest.py), while the PostgreSQL run shows its progress. Most
# of a test's time is spent waiting on servers, workers and browsers it starts, so three runs
# on 2 cores finish well before one after the other would (CI once took 33 minutes with the
# SQLite suite as one run).
sqlite_logs=()
sqlite_pids=()
for shard in 1 2; do
  sqlite_logs+=("$(mktemp)")
  step "pytest on SQLite, shard $shard of 2: in the background, its output follows"
  (
    export NEWSDESK_TEST_SHARD=$shard/2
    # The tests that need a Redis database of their own get one per shard: the first shard
    # keeps the tests' defaults (5 and 2), the second takes 8 and 9.
    if [ "$shard" = 2 ]; then
      export NEWSDESK_TEST_REDIS_PAGECACHE_URL=redis://127.0.0.1:6379/8
      export NEWSDESK_TEST_REDIS_MULTIPROCESS_URL=redis://127.0.0.1:6379/9
    fi
    run_pytest "SQLite, shard $shard of 2" "$@"
  ) >"${sqlite_logs[-1]}" 2>&1 &
  sqlite_pids+=($!)
done

if reachable "import psycopg; psycopg.connect('$PG_URL', connect_timeout=3).close()"; then
  label="PostgreSQL"
  if reachable "import redis; redis.Redis.from_url('$REDIS_TEST_URL', socket_timeout=3).ping()"; then
    label="PostgreSQL + Redis"
  elif [ -n "$CI" ]; then
    echo "CI=true but Redis does not answer at $REDIS_TEST_URL"; failed=1
  else
    echo "Redis does not answer at $REDIS_TEST_URL: the PostgreSQL run uses the local cache."
  fi
  # Media in object storage for this run (DESIGN §4: the same suite on each topology): a
  # SeaweedFS of its own, started here (about 10 s, beside the SQLite run's start) and stopped
  # when the run ends. The SQLite run keeps local files.
  s3_dir=$(mktemp -d)
  trap '"$BIN/python" -m devservers.seaweedfs stop "$s3_dir" >/dev/null 2>&1; rm -rf "$s3_dir"' EXIT
  if s3_env=$("$BIN/python" -m devservers.seaweedfs start "$s3_dir" --media-url /media/); then
    label="$label + S3 media"
  else
    echo "SeaweedFS did not start (log: $s3_dir/weed.log): this run keeps local files."
    [ -n "$CI" ] && failed=1
    s3_env=""
  fi
  (
    export DATABASE_URL="$PG_URL"
    [[ "$label" == "PostgreSQL + Redis"* ]] && export REDIS_URL="$REDIS_TEST_URL"
    eval "$s3_env"
    # Other Redis database numbers than the SQLite run's for the tests that use their own.
    export NEWSDESK_TEST_REDIS_PAGECACHE_URL=redis://127.0.0.1:6379/6
    export NEWSDESK_TEST_REDIS_MULTIPROCESS_URL=redis://127.0.0.1:6379/7
    # SQLite has run everything; this run repeats what the database can change. Left out by
    # marker (tests/conftest.py, pyproject.toml): tests that touch no database (`no_database`,
    # set on collection, so a database test added to any file runs here too), the browser
    # tests (`browser`: they look at pages the SQLite run rendered; live delivery between
    # processes over PostgreSQL and Redis has tests of its own that need no browser), and
    # the few that use a database only as any backend would (`same_on_every_database`).
    run_pytest "$label" -m "not no_database and not browser and not same_on_every_database" \
      "$@"
  ) || failed=1
elif [ -n "$CI" ]; then
  echo "CI=true but PostgreSQL does not answer at $PG_URL: failing."
  failed=1
else
  step "PostgreSQL run SKIPPED: no server answers at $PG_URL (set NEWSDESK_TEST_PG_URL to use another)"
fi

for index in 0 1; do
  wait "${sqlite_pids[$index]}" || failed=1
  cat "${sqlite_logs[$index]}"
  rm -f "${sqlite_logs[$index]}"
done

if [ $failed -ne 0 ]; then
  step "FAILED (see above)"
  exit 1
fi
step "All checks and tests passed"
