#!/usr/bin/env bash
# A private PostgreSQL server on a loopback port, for the test suite.
#   scripts/pg.sh start   initialise (first time) and start; prints the admin URL
#   scripts/pg.sh stop    stop it
#   scripts/pg.sh url     print the admin URL
# Port: SC_PG_PORT (default 54329). Data: /tmp/secrets-console-test-pg-$PORT (disposable).
set -euo pipefail

port="${SC_PG_PORT:-54329}"
dir="${SC_PG_DIR:-/tmp/secrets-console-test-pg-$port}"
url="postgres://postgres@127.0.0.1:$port/postgres"

bindir() {
  local d
  d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$d" ]; then
    echo "PostgreSQL is not installed (run scripts/setup.sh test)" >&2
    exit 1
  fi
  echo "$d"
}

# initdb and postgres refuse to run as root: run them as the postgres user then.
as_pg() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

case "${1:-}" in
  start)
    bin=$(bindir)
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres: "$dir"
    if [ ! -f "$dir/data/PG_VERSION" ]; then
      as_pg "$bin/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --no-sync >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; exit 1; }
    fi
    if ! as_pg "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
      as_pg "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start \
        -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=400" \
        >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
    fi
    echo "$url"
    ;;
  stop)
    bin=$(bindir)
    if [ -f "$dir/data/PG_VERSION" ]; then
      as_pg "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    ;;
  url)
    echo "$url"
    ;;
  *)
    echo "usage: $0 start|stop|url" >&2
    exit 2
    ;;
esac
