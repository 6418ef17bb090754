#!/usr/bin/env bash
# libFuzzer runs of the .npy reader and the fitted-detector loader (issue #6, item 3).
#   bash .ci/fuzz.sh [SECONDS]              # build, then run each target SECONDS (default 60)
#   bash .ci/fuzz.sh --build-only           # .ci/run builds this beside the sanitizer builds
#   bash .ci/fuzz.sh --run-only [SECONDS]
# Both targets run side by side. Needs clang and libclang-rt-14-dev (Debian). The committed
# seed corpora are copied to build-fuzz/corpus-*/ so that a run never rewrites
# tests/fuzz/corpus/. A finding (crash, leak, sanitizer report, invariant abort, timeout) fails
# the script and leaves the reproducer in build-fuzz/artifacts/; the summary line per target
# gives executions, coverage and features.
set -euo pipefail
cd "$(dirname "$0")/.."
build=build-fuzz
phase=all
seconds=60
for arg in "$@"; do
  case "$arg" in
    --build-only) phase=build ;;
    --run-only) phase=run ;;
    *[!0-9]* | "") echo "usage: $0 [SECONDS] [--build-only | --run-only]" >&2; exit 2 ;;
    *) seconds="$arg" ;;
  esac
done

if [ "$phase" != run ]; then
  CXX=clang++ cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRECLAG_BUILD_FUZZERS=ON \
    -DRECLAG_BUILD_TESTS=OFF -DRECLAG_BUILD_EXAMPLES=OFF -DRECLAG_BUILD_BENCHMARKS=OFF -DRECLAG_INSTALL=OFF >/dev/null
  # One build of both targets, so that make compiles them in parallel.
  cmake --build "$build" -j2 --target reclag_fuzzers
fi
[ "$phase" = build ] && exit 0

mkdir -p "$build/artifacts"
pids=()
for name in npy detector; do
  rm -rf "$build/corpus-$name" && cp -r "tests/fuzz/corpus/$name" "$build/corpus-$name"
  # -rss_limit_mb: a loader must refuse an absurd declared size before it allocates.
  "./$build/tests/fuzz/reclag_fuzz_$name" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 \
    -dict="tests/fuzz/$name.dict" -artifact_prefix="$build/artifacts/$name-" -print_final_stats=1 \
    "$build/corpus-$name" >"$build/fuzz-$name.log" 2>&1 &
  pids+=($!)
done
status=0
for i in 0 1; do wait "${pids[$i]}" || status=1; done
for name in npy detector; do
  echo "fuzz $name: $(grep -E '^#[0-9]+' "$build/fuzz-$name.log" | tail -1)"
  grep -E 'stat::number_of_executed_units|stat::peak_rss_mb' "$build/fuzz-$name.log" | sed "s/^/  $name /"
done
if [ "$status" -ne 0 ]; then
  echo "fuzz: FINDING (reproducers in $build/artifacts/):"; ls -l "$build/artifacts"
  for name in npy detector; do tail -40 "$build/fuzz-$name.log"; done
  exit 1
fi
echo "fuzz: no findings in ${seconds} s per target"
