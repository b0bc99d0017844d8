#!/usr/bin/env bash
# ensure-infra.sh — make sure PostgreSQL and NATS (with JetStream) answer on
# loopback for local development of the complaint-routing mesh.
#
#   Postgres  127.0.0.1:5432   reused if something already listens there;
#                              otherwise installed (apt) and started with
#                              Debian's cluster tools (works without systemd).
#   database  named in MESH__DATABASE__URL (default
#             postgres://postgres:postgres@127.0.0.1:5432/complaints);
#             created if missing.
#   NATS      127.0.0.1:4222   reused if something already listens there (it
#                              must have JetStream on); otherwise installed
#                              (apt) and started in the background with
#                              deploy/nats/nats-server.conf.
#
# Idempotent: running it again changes nothing. It never stops or reconfigures
# a Postgres or NATS that is already running.
#
# Env:
#   MESH__DATABASE__URL  database URL the services use (see above).
#   MESH_STATE_DIR       where a NATS started here keeps its JetStream store,
#                        log and pid file (default <repo>/.run).
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$SCRIPT_DIR/../.." && pwd)
STATE_DIR=${MESH_STATE_DIR:-$REPO/.run}
DB_URL=${MESH__DATABASE__URL:-postgres://postgres:postgres@127.0.0.1:5432/complaints}
NATS_CONF=$REPO/deploy/nats/nats-server.conf

# Postgres host and port come from MESH__DATABASE__URL (parse_db_url).
PG_HOST=127.0.0.1
PG_PORT=5432
PG_WAIT_SECS=30
NATS_HOST=127.0.0.1
NATS_PORT=4222
NATS_WAIT_SECS=20

log() { printf 'ensure-infra: %s\n' "$*"; }
die() {
    printf 'ensure-infra: ERROR: %s\n' "$*" >&2
    exit 1
}

# ---------------------------------------------------------------- helpers

# port_open HOST PORT: something accepts TCP connections there.
port_open() {
    # shellcheck disable=SC2016 # $1/$2 expand in the inner bash
    timeout 2 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$1" "$2" 2>/dev/null
}

# as_root CMD...: run CMD as root (directly, or through sudo when not root).
as_root() {
    if [[ $EUID -eq 0 ]]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        die "need root to run '$*' (not root, and sudo is not installed)"
    fi
}

# apt_install PKG...: install Debian packages (apt-get update once per run).
APT_UPDATED=
apt_install() {
    if [[ $EUID -ne 0 ]] && ! command -v sudo >/dev/null 2>&1; then
        die "please install as root: apt-get update && apt-get install -y $* (this script is not root and sudo is not installed)"
    fi
    command -v apt-get >/dev/null 2>&1 ||
        die "apt-get not found; install these packages yourself: $*"
    if [[ -z $APT_UPDATED ]]; then
        log "apt-get update"
        as_root apt-get update -q
        APT_UPDATED=1
    fi
    log "apt-get install -y $*"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -q "$@"
}

pkg_installed() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'
}

# find_sbin NAME: path of a program that may live in an sbin directory that a
# non-root PATH does not include.
find_sbin() {
    local p
    for p in "$(command -v "$1" 2>/dev/null || true)" \
        "/usr/sbin/$1" "/sbin/$1" "/usr/local/sbin/$1" "/usr/bin/$1"; do
        if [[ -n $p && -f $p && -x $p ]]; then
            printf '%s\n' "$p"
            return 0
        fi
    done
    return 1
}

# ---------------------------------------------------------------- Postgres

# PostgreSQL major versions whose server binary is installed, one a line.
pg_installed_versions() {
    local d v
    for d in /usr/lib/postgresql/*/bin/postgres; do
        [[ -x $d ]] || continue
        v=${d#/usr/lib/postgresql/}
        printf '%s\n' "${v%%/*}"
    done
}

# Newest of those.
pg_installed_version() {
    local v
    v=$(pg_installed_versions | sort -V | tail -n 1)
    [[ -n $v ]] || return 1
    printf '%s\n' "$v"
}

pg_wait_ready() {
    local deadline=$((SECONDS + PG_WAIT_SECS))
    while ((SECONDS < deadline)); do
        if command -v pg_isready >/dev/null 2>&1; then
            pg_isready -q -h "$PG_HOST" -p "$PG_PORT" -t 2 && return 0
        else
            port_open "$PG_HOST" "$PG_PORT" && return 0
        fi
        sleep 0.5
    done
    return 1
}

start_postgres() {
    local ver cluster_line status port listen

    if ! ver=$(pg_installed_version); then
        if ! pkg_installed postgresql; then
            log "PostgreSQL is not installed; installing Debian's 'postgresql' package"
        else
            log "package 'postgresql' is installed but no server binary was found under /usr/lib/postgresql; reinstalling"
        fi
        apt_install postgresql
        ver=$(pg_installed_version) ||
            die "installed 'postgresql' but found no /usr/lib/postgresql/<version>/bin/postgres"
    fi
    command -v pg_ctlcluster >/dev/null 2>&1 ||
        die "pg_ctlcluster not found; install Debian's 'postgresql-common' package"

    # Prefer the newest installed version that already has a 'main' cluster.
    local v
    for v in $(pg_installed_versions | sort -V -r); do
        if [[ -f /etc/postgresql/$v/main/postgresql.conf ]]; then
            ver=$v
            break
        fi
    done

    if [[ ! -f /etc/postgresql/$ver/main/postgresql.conf ]]; then
        log "creating PostgreSQL $ver cluster 'main' on port $PG_PORT"
        as_root pg_createcluster --port "$PG_PORT" "$ver" main
    fi

    cluster_line=$(pg_lsclusters -h 2>/dev/null | awk -v v="$ver" '$1 == v && $2 == "main"')
    port=$(awk '{print $3}' <<<"$cluster_line")
    status=$(awk '{print $4}' <<<"$cluster_line")

    if [[ -n $port && $port != "$PG_PORT" ]]; then
        if [[ $status == online* ]]; then
            die "PostgreSQL $ver/main is running on port $port, not $PG_PORT; set 'port = $PG_PORT' in /etc/postgresql/$ver/main/postgresql.conf and restart it (pg_ctlcluster $ver main restart), or point MESH__DATABASE__URL at port $port"
        fi
        log "setting port = $PG_PORT for PostgreSQL $ver/main (was $port)"
        as_root pg_conftool "$ver" main set port "$PG_PORT"
    fi

    # Debian's default listen_addresses is 'localhost' (commented out); only
    # touch it when it was set to something that excludes loopback.
    if listen=$(pg_conftool -s "$ver" main show listen_addresses 2>/dev/null); then
        listen=${listen//\'/}
        case ",${listen// /}," in
        *,localhost,* | *,127.0.0.1,* | *,\*,* | *,0.0.0.0,*) ;;
        *)
            log "setting listen_addresses = 'localhost' for PostgreSQL $ver/main (was '$listen')"
            as_root pg_conftool "$ver" main set listen_addresses localhost
            ;;
        esac
    fi

    if [[ $status == online* ]]; then
        log "PostgreSQL $ver/main is already running; waiting for it on $PG_HOST:$PG_PORT"
    else
        log "starting PostgreSQL $ver/main (pg_ctlcluster --skip-systemctl-redirect $ver main start)"
        as_root pg_ctlcluster --skip-systemctl-redirect "$ver" main start ||
            die "could not start PostgreSQL $ver/main; see /var/log/postgresql/postgresql-$ver-main.log"
    fi
    STARTED_PG_VERSION=$ver
}

# Split DB_URL into ADMIN_URL (same server, database 'postgres') and DB_NAME.
parse_db_url() {
    local rest authority path query=
    case $DB_URL in
    postgres://* | postgresql://*) ;;
    *) die "MESH__DATABASE__URL must start with postgres:// or postgresql:// (got '$DB_URL')" ;;
    esac
    rest=${DB_URL#*://}
    authority=${rest%%/*}
    path=${rest#"$authority"}
    if [[ $path == *\?* ]]; then
        query="?${path#*\?}"
        path=${path%%\?*}
    fi
    DB_NAME=${path#/}
    # percent-decode (e.g. %2D)
    DB_NAME=$(printf '%b' "${DB_NAME//%/\\x}")
    [[ -n $DB_NAME ]] ||
        die "MESH__DATABASE__URL has no database name (expected ...@host:port/<dbname>, got '$DB_URL')"
    DB_USER=${authority%@*}
    [[ $authority == *@* ]] || DB_USER=
    DB_USER=${DB_USER%%:*}
    local hostport=${authority##*@}
    PG_HOST=${hostport%%:*}
    [[ -n $PG_HOST && $PG_HOST != localhost ]] || PG_HOST=127.0.0.1
    PG_PORT=5432
    [[ $hostport == *:* ]] && PG_PORT=${hostport##*:}
    [[ $PG_PORT =~ ^[0-9]+$ ]] ||
        die "MESH__DATABASE__URL has no valid port (got '$DB_URL')"
    ADMIN_URL="${DB_URL%%://*}://$authority/postgres$query"
}

ensure_psql() {
    if ! command -v psql >/dev/null 2>&1 || ! psql --version >/dev/null 2>&1; then
        log "psql not found; installing Debian's 'postgresql-client' package"
        apt_install postgresql-client
    fi
}

# admin_psql ARGS...: psql against the 'postgres' database, quiet, no psqlrc.
admin_psql() {
    PGCONNECT_TIMEOUT=5 psql "$ADMIN_URL" -X -q -v ON_ERROR_STOP=1 "$@"
}

ensure_postgres() {
    STARTED_PG_VERSION=
    parse_db_url
    if port_open "$PG_HOST" "$PG_PORT"; then
        log "reusing the PostgreSQL already listening on $PG_HOST:$PG_PORT"
    else
        log "nothing listens on $PG_HOST:$PG_PORT"
        start_postgres
    fi

    log "waiting for PostgreSQL on $PG_HOST:$PG_PORT to accept connections (up to ${PG_WAIT_SECS}s)"
    if ! pg_wait_ready; then
        local hint=
        [[ -n $STARTED_PG_VERSION ]] &&
            hint="; see /var/log/postgresql/postgresql-$STARTED_PG_VERSION-main.log"
        die "PostgreSQL on $PG_HOST:$PG_PORT did not accept connections within ${PG_WAIT_SECS}s$hint"
    fi
    log "PostgreSQL is accepting connections on $PG_HOST:$PG_PORT"

    ensure_psql

    local err
    if ! err=$(admin_psql -c 'SELECT 1' 2>&1 >/dev/null); then
        # A cluster we just started from Debian's defaults uses scram for
        # 127.0.0.1 and the postgres role has no password yet: give it the one
        # in the default MESH__DATABASE__URL (it also works against trust auth).
        if [[ -n $STARTED_PG_VERSION && $DB_USER == postgres ]]; then
            log "setting the password of role 'postgres' to 'postgres' (the one in the default MESH__DATABASE__URL)"
            as_root su postgres -c "psql -X -q -p $PG_PORT -c \"ALTER USER postgres PASSWORD 'postgres'\""
            err=$(admin_psql -c 'SELECT 1' 2>&1 >/dev/null) && err=
        fi
        if [[ -n $err ]]; then
            printf '%s\n' "$err" | sed 's/^/ensure-infra:   /' >&2
            die "cannot connect to the 'postgres' database on the server in MESH__DATABASE__URL as role '${DB_USER:-<none>}' (wrong user or password?). Set MESH__DATABASE__URL=postgres://USER:PASSWORD@127.0.0.1:5432/complaints with a role that may create databases, and run again"
        fi
    fi

    local exists
    exists=$(admin_psql -A -t -v dbname="$DB_NAME" <<'SQL'
SELECT 1 FROM pg_database WHERE datname = :'dbname';
SQL
    )
    if [[ $exists == 1 ]]; then
        log "database '$DB_NAME' already exists"
    else
        log "creating database '$DB_NAME'"
        if ! admin_psql -v dbname="$DB_NAME" <<'SQL'; then
CREATE DATABASE :"dbname";
SQL
            die "could not create database '$DB_NAME' (does role '$DB_USER' in MESH__DATABASE__URL have CREATEDB?)"
        fi
        log "database '$DB_NAME' created"
    fi
}

# ---------------------------------------------------------------- NATS

# nats_info PORT: print the INFO line a NATS server sends on connect.
nats_info() {
    local line
    # shellcheck disable=SC2016 # $1/$2 expand in the inner bash
    line=$(timeout 3 bash -c '
        exec 3<>"/dev/tcp/$1/$2" || exit 1
        IFS= read -r line <&3 || exit 1
        printf "%s\n" "$line"
    ' _ "$NATS_HOST" "$1" 2>/dev/null) || return 1
    line=${line%$'\r'}
    [[ $line == INFO\ * ]] || return 1
    printf '%s\n' "$line"
}

# check_nats_config BIN: the config parses with this nats-server (its own
# syntax check). That it starts with JetStream on is what start_nats then
# waits for.
check_nats_config() {
    local bin=$1
    [[ -f $NATS_CONF ]] || die "missing $NATS_CONF"
    if ! "$bin" -c "$NATS_CONF" -t >/dev/null 2>&1; then
        "$bin" -c "$NATS_CONF" -t >&2 || true
        die "$NATS_CONF does not parse with $("$bin" --version 2>&1)"
    fi
}

start_nats() {
    local bin ssd pidfile store logdir logfile deadline info pid
    if ! bin=$(find_sbin nats-server); then
        log "nats-server is not installed; installing Debian's 'nats-server' package"
        apt_install nats-server
        bin=$(find_sbin nats-server) ||
            die "installed 'nats-server' but cannot find the nats-server program (expected /usr/sbin/nats-server)"
    fi
    log "using $bin ($("$bin" --version 2>&1))"

    check_nats_config "$bin"

    store=$STATE_DIR/nats
    logdir=$STATE_DIR/logs
    logfile=$logdir/nats-server.log
    pidfile=$STATE_DIR/nats-server.pid
    mkdir -p "$store" "$logdir"

    log "starting nats-server: config $NATS_CONF, JetStream store $store, log $logfile"
    if ssd=$(find_sbin start-stop-daemon); then
        "$ssd" --start --background --oknodo --make-pidfile --pidfile "$pidfile" \
            --exec "$bin" -- -c "$NATS_CONF" -sd "$store" -l "$logfile"
    else
        # setsid: keep it out of the terminal's process group, so Ctrl-C on
        # 'make run' does not reach it.
        nohup setsid "$bin" -c "$NATS_CONF" -sd "$store" -l "$logfile" \
            </dev/null >/dev/null 2>&1 &
        echo $! >"$pidfile"
    fi

    log "waiting for NATS on $NATS_HOST:$NATS_PORT (up to ${NATS_WAIT_SECS}s)"
    deadline=$((SECONDS + NATS_WAIT_SECS))
    info=
    while ((SECONDS < deadline)); do
        if info=$(nats_info "$NATS_PORT"); then
            break
        fi
        info=
        pid=$(cat "$pidfile" 2>/dev/null || true)
        if [[ -n $pid ]] && ! kill -0 "$pid" 2>/dev/null; then
            log "nats-server (pid $pid) exited during start-up"
            break
        fi
        sleep 0.3
    done
    if [[ -z $info ]]; then
        tail -n 20 "$logfile" 2>/dev/null | sed 's/^/ensure-infra:   nats-server: /' >&2 || true
        die "nats-server did not answer on $NATS_HOST:$NATS_PORT within ${NATS_WAIT_SECS}s; see $logfile"
    fi
    [[ $info == *'"jetstream":true'* ]] ||
        die "nats-server started but reports JetStream off; see $logfile"
    pid=$(cat "$pidfile" 2>/dev/null || true)
    log "NATS with JetStream is up on $NATS_HOST:$NATS_PORT (pid ${pid:-?}; it keeps running — stop it with: kill \$(cat $pidfile))"
}

ensure_nats() {
    local info
    if port_open "$NATS_HOST" "$NATS_PORT"; then
        info=$(nats_info "$NATS_PORT") ||
            die "something listens on $NATS_HOST:$NATS_PORT but it did not greet like a NATS server (no INFO line); free the port or run nats-server there"
        if [[ $info != *'"jetstream":true'* ]]; then
            die "the NATS server on $NATS_HOST:$NATS_PORT has JetStream disabled; the mesh needs it. Restart that server with JetStream on (nats-server -js, or 'jetstream {}' in its config), or stop it and run this script again to start one from deploy/nats/nats-server.conf"
        fi
        log "reusing the NATS server already listening on $NATS_HOST:$NATS_PORT (JetStream enabled)"
    else
        log "nothing listens on $NATS_HOST:$NATS_PORT"
        start_nats
    fi
}

# ---------------------------------------------------------------- main

ensure_postgres
ensure_nats
log "infrastructure ready: PostgreSQL $PG_HOST:$PG_PORT (database '$DB_NAME'), NATS nats://$NATS_HOST:$NATS_PORT (JetStream)"
