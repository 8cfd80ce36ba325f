#!/usr/bin/env bash
# Fuzzes every decoder of outside bytes with libFuzzer for a bounded time (`make fuzz`, or this script directly).
#
#   Deploy/fuzz.sh [--seconds N] [--jobs J] [TARGET…]      (default: 600 s for each target, one at a time)
#
# Builds `lockstep-fuzz` with -sanitize=fuzzer,address into .build-fuzz (a release build of the whole tree with
# coverage instrumentation: 10-20 minutes the first time), then runs each target (`lockstep-fuzz` without arguments
# lists them) on a working corpus in .fuzz/<target>/corpus, seeded from Tests/Fuzz/corpus/<target>. A crash
# leaves its input in .fuzz/<target>/ (crash-*, timeout-*, oom-*); reproduce it with
#   .build-fuzz/release/lockstep-fuzz TARGET .fuzz/TARGET/crash-…
# and, once fixed, copy it to Tests/Fuzz/regressions/TARGET/ so that `make test` replays it for good.
# Exits non-zero when any target found something. The figures (runs, runs/s, coverage, corpus) go to
# .fuzz/summary.txt as well.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=600
jobs=1
targets=()
while (($#)); do
    case "$1" in
        --seconds) seconds="$2"; shift 2 ;;
        --jobs) jobs="$2"; shift 2 ;;
        -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) echo "fuzz.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
        *) targets+=("$1"); shift ;;
    esac
done
all=(rlp transaction l2header execute bundle jsonrpc)
((${#targets[@]})) || targets=("${all[@]}")
for target in "${targets[@]}"; do
    [[ " ${all[*]} " == *" $target "* ]] || { echo "fuzz.sh: unknown target '$target' (targets: ${all[*]})" >&2; exit 2; }
done

echo "fuzz.sh: building lockstep-fuzz with libFuzzer and AddressSanitizer (.build-fuzz)"
flock /tmp/lockstep-build.lock swift build -c release --scratch-path .build-fuzz --product lockstep-fuzz \
    -Xswiftc -sanitize=fuzzer,address -Xswiftc -DLOCKSTEP_FUZZ 2>&1 | grep -Ev '^\[[0-9]+/[0-9]+\]' || true
binary=.build-fuzz/release/lockstep-fuzz
[[ -x $binary ]] || { echo "fuzz.sh: the build did not produce $binary" >&2; exit 1; }

mkdir -p .fuzz
summary=.fuzz/summary.txt
: > "$summary"
# The Swift runtime's backtracer would catch the signal before libFuzzer writes the crashing input.
export SWIFT_BACKTRACE=enable=no
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=0:allocator_may_return_null=1}

run_target() {
    local target=$1 dir=.fuzz/$1
    mkdir -p "$dir/corpus"
    local dict=()
    [[ -f Tests/Fuzz/dictionaries/$target.dict ]] && dict=(-dict="Tests/Fuzz/dictionaries/$target.dict")
    echo "fuzz.sh: $target for ${seconds} s (log: $dir/log.txt)"
    local status=0
    "$binary" "$target" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=4096 -max_len=65536 \
        -print_final_stats=1 -artifact_prefix="$dir/" "${dict[@]}" "$dir/corpus" "Tests/Fuzz/corpus/$target" \
        > "$dir/log.txt" 2>&1 || status=$?
    local runs rate cov corpus
    runs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$dir/log.txt" | awk '{print $2}' | tail -1)
    rate=$(grep -o 'exec/s: [0-9]*' "$dir/log.txt" | awk '{print $2}' | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$dir/log.txt" | awk '{print $2}' | tail -1)
    corpus=$(find "$dir/corpus" -type f | wc -l)
    local findings
    findings=$(find "$dir" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' -o -name 'leak-*' \) | wc -l)
    local verdict="no crash"
    if ((status != 0 || findings > 0)); then verdict="FOUND $findings (exit $status; see $dir/log.txt)"; fi
    printf '%-12s %6s s  %12s runs  %8s runs/s  cov %6s  corpus %6s  %s\n' "$target" "$seconds" "${runs:-?}" \
        "${rate:-?}" "${cov:-?}" "$corpus" "$verdict" | tee -a "$summary"
    ((status == 0 && findings == 0))
}

failed=0
if ((jobs > 1)); then
    pids=()
    for target in "${targets[@]}"; do
        while (($(jobs -rp | wc -l) >= jobs)); do sleep 1; done
        run_target "$target" & pids+=($!)
    done
    for pid in "${pids[@]}"; do wait "$pid" || failed=1; done
else
    for target in "${targets[@]}"; do run_target "$target" || failed=1; done
fi
echo "fuzz.sh: summary in $summary"
exit $failed
