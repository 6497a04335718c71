#!/usr/bin/env bash
# Runs the whole real-host integration suite N times in a row (default 3) while other processes keep
# every core busy (one `node -e 'for(;;){}'` per core), to show the tests wait on events and state,
# not on time. Prints one summary line per run; exits 1 if any run failed. The busy loops are
# stopped by their own process ids when the script ends.
# usage: bash scripts/loaded-integration.sh [runs]   (after `node esbuild.js && npx tsc -p tsconfig.test.json`)
set -uo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-3}
LOGS=${LOGS:-test-artifacts/logs}
mkdir -p "$LOGS"
CORES=$(nproc)
pids=()
for _ in $(seq "$CORES"); do node -e 'for(;;){}' & pids+=($!); done
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; }
trap cleanup EXIT
echo "busy loops on $CORES cores: pids ${pids[*]}"
fail=0
for i in $(seq "$RUNS"); do
  log="$LOGS/loaded-integration-$i.log"  # not integration*.log: test-all.sh sums those
  start=$(date +%s)
  node scripts/run-integration.mjs > "$log" 2>&1
  rc=$?
  pass=$(grep -Eo '^\s*[0-9]+ passing' "$log" | awk '{s+=$1} END {print s+0}')
  failn=$(grep -Eo '^\s*[0-9]+ failing' "$log" | awk '{s+=$1} END {print s+0}')
  echo "run $i: exit $rc, $pass passing, $failn failing, $(( $(date +%s) - start )) s (log: $log)"
  [ "$rc" = 0 ] || fail=1
done
exit $fail
