#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests.
#
#   eval "$(bash scripts/postgres-test-server.sh start)"   # prints MARQUEE_TEST_DATABASE_URL=… and MARQUEE_TEST_PG_DIR=…
#   bash scripts/postgres-test-server.sh env [DIR]          # prints them again for a running server
#   bash scripts/postgres-test-server.sh stop [DIR]         # stops the server and removes its directory
#
# start installs Debian's postgresql when initdb is missing, makes a cluster in a new temporary directory with
# initdb run as an unprivileged user (the server refuses to run as root), starts it on a free port of 127.0.0.1
# with its unix socket in the same directory, and creates the database `marquee_test`. The cluster is for tests
# only: fsync is off, so a machine crash may lose it (nothing else is kept in it). DIR defaults to
# $MARQUEE_TEST_PG_DIR. Started in about a second on an idle machine (three on a busy one); stopped in 0.1 s.
set -euo pipefail

user=marquee_test
password=marquee_test_pw
database=marquee_test

bin_dir() {
    local dir
    dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
    if [[ -z "$dir" || ! -x "$dir/initdb" ]]; then
        echo "postgres-test-server: installing Debian's postgresql" >&2
        if [[ $(id -u) -ne 0 ]]; then
            echo "postgres-test-server: PostgreSQL is not installed and this user cannot install it (run as root, or apt-get install postgresql)" >&2
            exit 1
        fi
        { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql; } >&2
        dir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
    fi
    echo "$dir"
}

# The unprivileged user that owns the cluster and runs the server (ourselves when we are not root).
run_as() {
    if [[ $(id -u) -eq 0 ]]; then
        runuser -u "$owner" -- "$@"
    else
        "$@"
    fi
}

pick_owner() {
    if [[ $(id -u) -ne 0 ]]; then
        owner=$(id -un)
    elif id postgres >/dev/null 2>&1; then
        owner=postgres
    else
        id marquee-pg >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin marquee-pg
        owner=marquee-pg
    fi
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

print_env() {
    local dir=$1 port
    port=$(cat "$dir/port")
    echo "MARQUEE_TEST_DATABASE_URL=postgres://$user:$password@127.0.0.1:$port/$database"
    echo "MARQUEE_TEST_PG_DIR=$dir"
}

start() {
    local bin dir port
    bin=$(bin_dir)
    pick_owner
    # Under /tmp (or $MARQUEE_TEST_PG_ROOT), not $TMPDIR: the server's user must be able to reach it.
    dir=$(mktemp -d "${MARQUEE_TEST_PG_ROOT:-/tmp}/marquee-pg.XXXXXX")
    chmod 755 "$dir"
    chown "$owner" "$dir"
    echo "$password" >"$dir/pwfile"
    chown "$owner" "$dir/pwfile"
    run_as "$bin/initdb" -D "$dir/data" -U "$user" --pwfile="$dir/pwfile" --auth-local=trust --auth-host=scram-sha-256 \
        -E UTF8 --locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1 || {
        cat "$dir/initdb.log" >&2
        exit 1
    }
    # A port picked free can be taken before the server binds it: try a few.
    for _ in 1 2 3 4 5; do
        port=$(free_port)
        if run_as "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
            -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=400" \
            start >/dev/null 2>&1; then
            echo "$port" >"$dir/port"
            break
        fi
    done
    if [[ ! -f "$dir/port" ]]; then
        echo "postgres-test-server: the server did not start; its log:" >&2
        cat "$dir/server.log" >&2 || true
        rm -rf "$dir"
        exit 1
    fi
    run_as "$bin/createdb" -h "$dir" -p "$port" -U "$user" "$database"
    print_env "$dir"
}

stop() {
    local dir=${1:-${MARQUEE_TEST_PG_DIR:-}}
    if [[ -z "$dir" ]]; then
        echo "postgres-test-server: stop needs the server's directory (argument or MARQUEE_TEST_PG_DIR)" >&2
        exit 1
    fi
    case "$dir" in
    */marquee-pg.*) ;;
    *)
        echo "postgres-test-server: $dir is not a directory this script made" >&2
        exit 1
        ;;
    esac
    if [[ -d "$dir/data" ]]; then
        local bin
        bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
        pick_owner
        run_as "$bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
}

# Stops a running server without removing it (pause), or starts it again on its port (resume): the
# outage tests take PostgreSQL away under a serving replica and bring it back.
pause() {
    local dir=$1 bin
    bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
    pick_owner
    run_as "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
}

resume() {
    local dir=$1 bin port
    bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
    pick_owner
    port=$(cat "$dir/port")
    run_as "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 \
        -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=400" \
        start >/dev/null
}

case "${1:-}" in
start) start ;;
pause) pause "${2:?pause needs the server directory}" ;;
resume) resume "${2:?resume needs the server directory}" ;;
stop) stop "${2:-}" ;;
env)
    dir=${2:-${MARQUEE_TEST_PG_DIR:-}}
    [[ -n "$dir" && -f "$dir/port" ]] || {
        echo "postgres-test-server: no running server at '${dir}'" >&2
        exit 1
    }
    print_env "$dir"
    ;;
*)
    echo "usage: $0 start | stop [DIR] | env [DIR] | pause DIR | resume DIR" >&2
    exit 2
    ;;
esac
