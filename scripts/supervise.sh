# Keeps the demo's processes up: sourced by scripts/demo.sh (and by its test with stub commands).
#
# supervise NAME COMMAND...   runs COMMAND in the background, its output prefixed "[NAME] ". When it
#                             exits while the demo runs (a crash, a kill), the log says which process
#                             stopped, with its exit status and the command to start it by hand, and
#                             the supervisor starts it again; the other processes are left alone.
#                             Restarts that keep failing at once wait longer each time (up to a minute).
# stop_supervised             stops every supervised process (TERM), then waits for them.
SUPERVISE_RESTART_DELAY=${SUPERVISE_RESTART_DELAY:-2}
SUPERVISE_MAX_DELAY=${SUPERVISE_MAX_DELAY:-60}
SUPERVISE_STABLE_SECONDS=${SUPERVISE_STABLE_SECONDS:-30}
supervised_pids=()

supervise() {
  local name=$1
  shift
  (
    child="" sleeper=""
    # Stopping the supervisor stops its process (and waits for it to finish) or its pause.
    trap 'kill -TERM $child $sleeper 2>/dev/null; [ -n "$child" ] && wait "$child" 2>/dev/null; exit 0' TERM INT
    delay=$SUPERVISE_RESTART_DELAY
    while true; do
      started=$SECONDS
      "$@" > >(sed -u "s/^/[$name] /") 2>&1 &
      child=$!
      wait "$child"
      status=$?
      child=""
      if (( SECONDS - started >= SUPERVISE_STABLE_SECONDS )); then delay=$SUPERVISE_RESTART_DELAY; fi
      echo "[demo] $name stopped (exit status $status); restarting it in ${delay}s. To start it by hand: $*"
      sleep "$delay" &
      sleeper=$!
      wait "$sleeper"
      sleeper=""
      delay=$(( delay * 2 > SUPERVISE_MAX_DELAY ? SUPERVISE_MAX_DELAY : delay * 2 ))
    done
  ) &
  supervised_pids+=($!)
}

stop_supervised() {
  local pid
  for pid in "${supervised_pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${supervised_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
}
