#!/usr/bin/env bash
# run.sh — run the whole complaint-routing mesh locally (what `make run` calls
# after building).
#
# Makes sure Postgres and NATS JetStream are up (ensure-infra.sh), starts the
# five services in the background from the repository root, waits until each
# one accepts connections on its gRPC port, prints where everything is, and
# then stays in the foreground: Ctrl-C (or SIGTERM) stops the five services
# (SIGTERM, then SIGKILL after 15 s). Postgres and NATS keep running.
# If a service dies on its own, the others are stopped and this exits non-zero.
#
# Env:
#   BIN_DIR         (required) directory holding the built binaries:
#                   intake triage dispatch deadline-watcher reporting complaintctl
#   MESH_STATE_DIR  logs and pid files go to $MESH_STATE_DIR/{logs,pids}
#                   (default <repo>/.run)
#   INTAKE__GRPC__ADDR, TRIAGE__GRPC__ADDR, DISPATCH__GRPC__ADDR,
#   DEADLINE_WATCHER__GRPC__ADDR, REPORTING__GRPC__ADDR
#                   gRPC listen addresses (defaults 127.0.0.1:50051..50055);
#                   exported to every service.
#   MESH__*         passed through to the services (e.g. MESH__DATABASE__URL).
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$SCRIPT_DIR/../.." && pwd)
STATE_DIR=${MESH_STATE_DIR:-$REPO/.run}
LOG_DIR=$STATE_DIR/logs
PID_DIR=$STATE_DIR/pids

START_WAIT_SECS=60
STOP_WAIT_SECS=15
LOG_TAIL_LINES=30

# Start order: deadline-watcher before dispatch (dispatch asks it for
# deadlines); every service retries its peers, so the order is not critical.
SERVICES=(intake triage deadline-watcher dispatch reporting)
BINARIES=(intake triage dispatch deadline-watcher reporting complaintctl)

export INTAKE__GRPC__ADDR=${INTAKE__GRPC__ADDR:-127.0.0.1:50051}
export TRIAGE__GRPC__ADDR=${TRIAGE__GRPC__ADDR:-127.0.0.1:50052}
export DISPATCH__GRPC__ADDR=${DISPATCH__GRPC__ADDR:-127.0.0.1:50053}
export DEADLINE_WATCHER__GRPC__ADDR=${DEADLINE_WATCHER__GRPC__ADDR:-127.0.0.1:50054}
export REPORTING__GRPC__ADDR=${REPORTING__GRPC__ADDR:-127.0.0.1:50055}

declare -A ADDR=(
    [intake]=$INTAKE__GRPC__ADDR
    [triage]=$TRIAGE__GRPC__ADDR
    [dispatch]=$DISPATCH__GRPC__ADDR
    [deadline-watcher]=$DEADLINE_WATCHER__GRPC__ADDR
    [reporting]=$REPORTING__GRPC__ADDR
)
declare -A ADDR_VAR=(
    [intake]=INTAKE__GRPC__ADDR
    [triage]=TRIAGE__GRPC__ADDR
    [dispatch]=DISPATCH__GRPC__ADDR
    [deadline-watcher]=DEADLINE_WATCHER__GRPC__ADDR
    [reporting]=REPORTING__GRPC__ADDR
)
declare -A PID=()        # service -> pid (only services we started)
declare -A STARTED_AT=() # service -> $SECONDS when started
declare -A SVC_OF_PID=() # pid -> service
STARTED=()               # services in the order they were started
STOPPING=
STOPPED=

log() { printf 'run: %s\n' "$*"; }
err() { printf 'run: ERROR: %s\n' "$*" >&2; }
die() {
    err "$*"
    exit 1
}

# probe_target ADDR: "host port" to connect to for a listen address
# (a wildcard listen address is probed on loopback).
probe_target() {
    local addr=$1 host port
    port=${addr##*:}
    host=${addr%:*}
    host=${host#[}
    host=${host%]}
    case $host in
    '' | 0.0.0.0) host=127.0.0.1 ;;
    ::) host=::1 ;;
    esac
    printf '%s %s\n' "$host" "$port"
}

# port_open ADDR: something accepts TCP connections at that listen address.
port_open() {
    local host port
    read -r host port <<<"$(probe_target "$1")"
    # shellcheck disable=SC2016 # $1/$2 expand in the inner bash
    timeout 2 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$host" "$port" 2>/dev/null
}

alive() { kill -0 "$1" 2>/dev/null; }

log_tail() {
    local svc=$1 f=$LOG_DIR/$1.log
    printf 'run: ---- last %d lines of %s ----\n' "$LOG_TAIL_LINES" "$f" >&2
    tail -n "$LOG_TAIL_LINES" "$f" >&2 2>/dev/null || true
    printf 'run: ---- end of %s log ----\n' "$svc" >&2
}

# Stop every service we started: SIGTERM, wait up to STOP_WAIT_SECS, SIGKILL.
stop_all() {
    [[ -n $STOPPED ]] && return 0
    STOPPED=1
    local i svc pid left deadline
    local -a pids=()
    for ((i = ${#STARTED[@]} - 1; i >= 0; i--)); do
        svc=${STARTED[i]}
        pid=${PID[$svc]}
        if alive "$pid"; then
            kill -TERM "$pid" 2>/dev/null || true
            pids+=("$pid")
        fi
    done
    if ((${#pids[@]} > 0)); then
        log "sent SIGTERM to ${#pids[@]} service(s); waiting up to ${STOP_WAIT_SECS}s"
        deadline=$((SECONDS + STOP_WAIT_SECS))
        while ((SECONDS < deadline)); do
            left=0
            for pid in "${pids[@]}"; do
                alive "$pid" && left=$((left + 1))
            done
            ((left == 0)) && break
            sleep 0.2
        done
        for pid in "${pids[@]}"; do
            if alive "$pid"; then
                log "${SVC_OF_PID[$pid]} (pid $pid) still running after ${STOP_WAIT_SECS}s; sending SIGKILL"
                kill -KILL "$pid" 2>/dev/null || true
            fi
        done
    fi
    for svc in "${STARTED[@]}"; do
        wait "${PID[$svc]}" 2>/dev/null || true
        rm -f -- "$PID_DIR/$svc.pid"
    done
    rm -f -- "$PID_DIR/run.pid"
    if ((${#STARTED[@]} > 0)); then
        log "all services stopped (Postgres and NATS left running)"
    fi
    return 0
}

on_signal() {
    local sig=$1 code=$2
    if [[ -n $STOPPING ]]; then
        log "got SIG$sig again; already stopping"
        return 0
    fi
    STOPPING=1
    printf '\n'
    log "got SIG$sig; stopping the services"
    stop_all
    exit "$code"
}

# A service died on its own: report it, stop the rest, exit non-zero.
service_died() {
    local svc=$1 status=$2 what=$3
    STOPPING=1
    err "$svc (pid ${PID[$svc]}) $what (exit status $status)"
    log_tail "$svc"
    stop_all
    exit 1
}

# ---------------------------------------------------------------- checks

[[ -n ${BIN_DIR:-} ]] ||
    die "BIN_DIR is not set: point it at the directory holding the built binaries (${BINARIES[*]}), e.g. BIN_DIR=target/debug"
[[ -d $BIN_DIR ]] || die "BIN_DIR=$BIN_DIR is not a directory"
BIN_DIR=$(cd "$BIN_DIR" && pwd)
missing=()
for b in "${BINARIES[@]}"; do
    [[ -f $BIN_DIR/$b && -x $BIN_DIR/$b ]] || missing+=("$b")
done
((${#missing[@]} == 0)) ||
    die "missing in BIN_DIR=$BIN_DIR: ${missing[*]} (build them first, e.g. 'cargo build --workspace --bins')"

mkdir -p "$LOG_DIR" "$PID_DIR"

# Another run.sh still going?
if [[ -f $PID_DIR/run.pid ]]; then
    other=$(cat "$PID_DIR/run.pid" 2>/dev/null || true)
    if [[ $other =~ ^[0-9]+$ ]] && alive "$other" && [[ $other != "$$" ]]; then
        die "another run.sh is already running (pid $other); stop it with Ctrl-C there or 'make stop'"
    fi
fi
for svc in "${SERVICES[@]}"; do
    if [[ -f $PID_DIR/$svc.pid ]]; then
        pid=$(cat "$PID_DIR/$svc.pid" 2>/dev/null || true)
        if [[ $pid =~ ^[0-9]+$ ]] && alive "$pid"; then
            die "$svc from an earlier run is still running (pid $pid, $PID_DIR/$svc.pid); run 'make stop' first"
        fi
        rm -f -- "$PID_DIR/$svc.pid" # stale
    fi
done
for svc in "${SERVICES[@]}"; do
    if port_open "${ADDR[$svc]}"; then
        die "port ${ADDR[$svc]##*:} ($svc, ${ADDR[$svc]}) is already in use — is an earlier 'make run' still running? Stop it with 'make stop' (or set ${ADDR_VAR[$svc]} to another address)"
    fi
done

# ---------------------------------------------------------------- infra

bash "$SCRIPT_DIR/ensure-infra.sh"

# ---------------------------------------------------------------- start

trap 'on_signal INT 130' INT
trap 'on_signal TERM 143' TERM
trap 'stop_all' EXIT
echo $$ >"$PID_DIR/run.pid"

cd "$REPO"
for svc in "${SERVICES[@]}"; do
    logf=$LOG_DIR/$svc.log
    : >"$logf"
    "$BIN_DIR/$svc" >>"$logf" 2>&1 </dev/null &
    pid=$!
    PID[$svc]=$pid
    SVC_OF_PID[$pid]=$svc
    STARTED_AT[$svc]=$SECONDS
    STARTED+=("$svc")
    echo "$pid" >"$PID_DIR/$svc.pid"
    log "started $svc (pid $pid), log $logf"
done

# ---------------------------------------------------------------- wait

log "waiting for the gRPC ports (up to ${START_WAIT_SECS}s each)"
declare -A READY=()
while ((${#READY[@]} < ${#SERVICES[@]})); do
    for svc in "${SERVICES[@]}"; do
        pid=${PID[$svc]}
        if ! alive "$pid"; then
            status=0
            wait "$pid" 2>/dev/null || status=$?
            service_died "$svc" "$status" "exited during start-up"
        fi
        [[ -n ${READY[$svc]:-} ]] && continue
        if port_open "${ADDR[$svc]}"; then
            READY[$svc]=1
            log "$svc is listening on ${ADDR[$svc]} ($((SECONDS - ${STARTED_AT[$svc]}))s)"
        elif ((SECONDS - ${STARTED_AT[$svc]} >= START_WAIT_SECS)); then
            STOPPING=1
            err "$svc (pid $pid) did not listen on ${ADDR[$svc]} within ${START_WAIT_SECS}s"
            log_tail "$svc"
            stop_all
            exit 1
        fi
    done
    if ((${#READY[@]} < ${#SERVICES[@]})); then
        sleep 0.3
    fi
done

# ---------------------------------------------------------------- report

rel_log() { # shorter log path when it is inside the repo
    local f=$LOG_DIR/$1.log
    printf '%s\n' "${f#"$REPO"/}"
}
printf '\n'
printf '  %-17s %-22s %-8s %s\n' SERVICE ADDRESS PID LOG
for svc in "${SERVICES[@]}"; do
    printf '  %-17s %-22s %-8s %s\n' "$svc" "${ADDR[$svc]}" "${PID[$svc]}" "$(rel_log "$svc")"
done
printf '\n'
printf 'The mesh is up (Postgres 127.0.0.1:5432, NATS 127.0.0.1:4222). Try it:\n'
printf '  %s/complaintctl submit --help\n' "$BIN_DIR"
printf '  %s/complaintctl queue <dept>\n' "$BIN_DIR"
printf 'Follow the logs:  tail -f %s/*.log\n' "$LOG_DIR"
printf 'Press Ctrl-C to stop all five services (Postgres and NATS keep running);\n'
printf 'from another terminal: make stop.\n\n'

# ---------------------------------------------------------------- supervise

while true; do
    dead=
    status=0
    wait -n -p dead "${PID[@]}" || status=$?
    # A trapped signal interrupts 'wait'; on_signal exits by itself.
    [[ -n $STOPPING ]] && break
    [[ -z $dead ]] && continue
    service_died "${SVC_OF_PID[$dead]}" "$status" "exited unexpectedly"
done
