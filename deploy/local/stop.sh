#!/usr/bin/env bash
# stop.sh — stop the services started by run.sh (what `make stop` calls).
#
# Uses the pid files run.sh wrote in ${MESH_STATE_DIR:-<repo>/.run}/pids/:
# first asks a still-running run.sh to shut down (it stops its services), then
# sends SIGTERM to any service left, waits up to 15 s, and SIGKILLs what is
# still there. Postgres and NATS are left running.
set -euo pipefail

SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$SCRIPT_DIR/../.." && pwd)
STATE_DIR=${MESH_STATE_DIR:-$REPO/.run}
PID_DIR=$STATE_DIR/pids

STOP_WAIT_SECS=15
SERVICES=(reporting dispatch deadline-watcher triage intake)

log() { printf 'stop: %s\n' "$*"; }

alive() { kill -0 "$1" 2>/dev/null; }

# is_ours PID NAME: the process looks like NAME (guards against pid reuse).
is_ours() {
    local pid=$1 name=$2 argv0 args
    [[ -r /proc/$pid/cmdline ]] || return 0 # no /proc: trust the pid file
    args=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)
    argv0=${args%% *}
    if [[ $name == run.sh ]]; then
        [[ $args == *run.sh* ]]
    else
        local exe
        exe=$(readlink "/proc/$pid/exe" 2>/dev/null || true)
        [[ ${argv0##*/} == "$name" || ${exe##*/} == "$name" ]]
    fi
}

# read_pid FILE NAME: print the pid in FILE if that process is alive and is
# NAME; remove FILE when it is stale.
read_pid() {
    local file=$1 name=$2 pid
    [[ -f $file ]] || return 1
    pid=$(cat "$file" 2>/dev/null || true)
    if [[ $pid =~ ^[0-9]+$ ]] && alive "$pid" && is_ours "$pid" "$name"; then
        printf '%s\n' "$pid"
        return 0
    fi
    log "removing stale pid file $file" >&2
    rm -f -- "$file"
    return 1
}

# wait_gone SECS PID...: wait until none of the PIDs is alive; 0 if so.
wait_gone() {
    local secs=$1 pid left
    shift
    local deadline=$((SECONDS + secs))
    while true; do
        left=0
        for pid in "$@"; do
            if alive "$pid"; then
                left=$((left + 1))
            fi
        done
        ((left == 0)) && return 0
        ((SECONDS >= deadline)) && return 1
        sleep 0.2
    done
}

if [[ ! -d $PID_DIR ]]; then
    log "nothing to stop (no $PID_DIR)"
    exit 0
fi

# 1. A run.sh still in the foreground somewhere: let it do the orderly stop.
if runpid=$(read_pid "$PID_DIR/run.pid" run.sh); then
    log "asking run.sh (pid $runpid) to stop its services"
    kill -TERM "$runpid" 2>/dev/null || true
    if ! wait_gone $((STOP_WAIT_SECS + 5)) "$runpid"; then
        log "run.sh (pid $runpid) did not exit; stopping the services directly"
    fi
    rm -f -- "$PID_DIR/run.pid"
fi

# 2. Whatever services are still there.
pids=()
names=()
for svc in "${SERVICES[@]}"; do
    if pid=$(read_pid "$PID_DIR/$svc.pid" "$svc"); then
        log "sending SIGTERM to $svc (pid $pid)"
        if kill -TERM "$pid"; then
            pids+=("$pid")
            names+=("$svc")
        fi
    fi
done

if ((${#pids[@]} == 0)); then
    if [[ -n ${runpid:-} ]]; then
        log "run.sh stopped its services (Postgres and NATS left running)"
    else
        log "no services running"
    fi
    exit 0
fi

status=0
if ! wait_gone "$STOP_WAIT_SECS" "${pids[@]}"; then
    for i in "${!pids[@]}"; do
        if alive "${pids[i]}"; then
            log "${names[i]} (pid ${pids[i]}) still running after ${STOP_WAIT_SECS}s; sending SIGKILL"
            kill -KILL "${pids[i]}" 2>/dev/null || status=1
        fi
    done
    wait_gone 5 "${pids[@]}" || status=1
fi
for svc in "${names[@]}"; do
    rm -f -- "$PID_DIR/$svc.pid"
done
if ((status == 0)); then
    log "stopped: ${names[*]} (Postgres and NATS left running)"
else
    log "could not stop everything: ${names[*]}"
fi
exit "$status"
