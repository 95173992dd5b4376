#!/usr/bin/env bash
# Services the labeling-service tests need: a PostgreSQL server on 127.0.0.1 and Debian's
# Chromium (driven by Playwright through its executable path; no browser download); and Debian's
# dataset-fashion-mnist, the IDX files of the `fashion_mnist` dataset.
#
# Source it (`. .ci/services.sh`) so ACTIVELAB_TEST_PG_URL reaches the tests; it also writes the
# URL to $ACTIVELAB_SERVICES_DIR/pg_url, which the tests read when the variable is not set.
# Idempotent: a cluster already running is reused. Runs as root (CI) with no stdin.

_al_services() {
    local dir="${ACTIVELAB_SERVICES_DIR:-${TMPDIR:-/tmp}/activelab-services}"
    local port="${ACTIVELAB_TEST_PG_PORT:-54329}"
    local missing=()
    command -v chromium >/dev/null 2>&1 || missing+=(chromium)
    ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
    [ -d /usr/share/datasets/fashion-mnist ] || missing+=(dataset-fashion-mnist)
    if [ "${#missing[@]}" -gt 0 ]; then
        echo "services: installing ${missing[*]}"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq </dev/null
        apt-get install -y -qq "${missing[@]}" </dev/null >/dev/null
    fi

    local bin
    bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
    mkdir -p "$dir"
    chown postgres "$dir" 2>/dev/null || true
    local as_pg=()
    [ "$(id -u)" = 0 ] && as_pg=(runuser -u postgres --)
    if ! "${as_pg[@]}" "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1; then
        if [ ! -f "$dir/data/PG_VERSION" ]; then
            "${as_pg[@]}" "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 >/dev/null
        fi
        "${as_pg[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w \
            -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=on -c max_connections=200" start >/dev/null
    fi
    export ACTIVELAB_TEST_PG_URL="postgresql://postgres@127.0.0.1:$port/postgres"
    echo "$ACTIVELAB_TEST_PG_URL" > "$dir/pg_url"
    echo "services: PostgreSQL at $ACTIVELAB_TEST_PG_URL; chromium at $(command -v chromium)"
}
_al_services
unset -f _al_services
