#!/usr/bin/env bash
# Run every fuzz target for a while and print one summary line each.
#   bash fuzz/run.sh            # 10 minutes per target (the recorded run)
#   FUZZ_SECONDS=30 bash fuzz/run.sh document bundle
#   FUZZ_JOBS=2 bash fuzz/run.sh   # two targets at a time
# Needs `cargo install cargo-fuzz`. Works on stable Rust with `-s none`
# (no sanitizer: Rust's own checks catch what ASan would in safe code, and
# the core forbids `unsafe`). Findings land in fuzz/artifacts/<target>/.
set -uo pipefail
cd "$(dirname "$0")"
seconds=${FUZZ_SECONDS:-600}
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(document signed_document bundle import text markup message sync_object)
# The targets make throwaway vaults; RAM is faster and spares the disk.
export TMPDIR=${TMPDIR:-/dev/shm}
cargo fuzz build -s none -O -a || exit 1
run_one() {
    local t=$1
    mkdir -p "corpus/$t"
    local seeds=()
    [ -d "seeds/$t" ] && seeds=("seeds/$t")
    local log="corpus/$t.log"
    cargo fuzz run -s none -O -a "$t" "corpus/$t" "${seeds[@]}" -- \
        -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 >"$log" 2>&1
    local rc=$?
    local summary crashes
    summary=$(grep -E '^#[0-9]+[[:space:]]+DONE' "$log" | tail -1)
    crashes=$(find "artifacts/$t" -type f 2>/dev/null | wc -l)
    echo "$t: exit $rc, ${seconds}s, artifacts $crashes, $summary"
    return $rc
}
status=0
jobs_at_once=${FUZZ_JOBS:-1}
running=0
for t in "${targets[@]}"; do
    run_one "$t" &
    running=$((running + 1))
    if [ "$running" -ge "$jobs_at_once" ]; then
        wait -n || status=1
        running=$((running - 1))
    fi
done
while [ "$running" -gt 0 ]; do
    wait -n || status=1
    running=$((running - 1))
done
exit $status
