#!/usr/bin/env bash
# Unit tests under AddressSanitizer + UndefinedBehaviorSanitizer, and the concurrent scoring
# test under ThreadSanitizer (issue #6, item 4).
#   bash .ci/sanitizers.sh          # ASan + UBSan on the core, io, metrics and lagrangian
#                                   #     areas; TSan on tests/score/concurrent_scoring_test.cpp
#   bash .ci/sanitizers.sh --all    # ASan + UBSan on the whole unit suite (every area)
#   --build-only / --run-only       # one phase: .ci/run builds this beside the README build and
#                                   #     the fuzzers, then runs it
# Clang. ASan + UBSan at -O1 -g1, NDEBUG off: Eigen's own index assertions stay on, -O1 keeps
# the trainer tests fast (at -O0 the RecLag workspace test alone runs 9 minutes under ASan),
# -g1 gives file:line in reports. TSan at -O0 -g1: one small test, and -O0 halves the compile of
# the registry it needs (every scorer in float and double). Every UBSan report is fatal
# (-fno-sanitize-recover=all, see cmake/reclagSanitizers.cmake). Why a subset by default:
# ASan-instrumented Eigen code is slow to compile; the whole unit suite is ~21 CPU-minutes with
# Clang -O1 (measured: 11m53 on 2 cores), and CI's 15 minutes on 2 cores already hold the
# README's Release build (~14 CPU-minutes), the fuzzers and TSan. The subset holds the parsers,
# writers and metrics, where a memory error would come from untrusted input. The real-data
# tests (*_shared_test) are left out in both modes.
set -euo pipefail
cd "$(dirname "$0")/.."
phase=all
areas="core;io;metrics;lagrangian"
for arg in "$@"; do
  case "$arg" in
    --build-only) phase=build ;;
    --run-only) phase=run ;;
    --all) areas="" ;;
    *) echo "usage: $0 [--all] [--build-only | --run-only]" >&2; exit 2 ;;
  esac
done

common=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DRECLAG_BUILD_EXAMPLES=OFF -DRECLAG_BUILD_BENCHMARKS=OFF
        -DRECLAG_INSTALL=OFF -DRECLAG_BUILD_SHARED_DATA_TESTS=OFF)

if [ "$phase" != run ]; then
  echo "== build: AddressSanitizer + UndefinedBehaviorSanitizer (test areas ${areas:-all}) and ThreadSanitizer, side by side"
  CXX=clang++ cmake -S . -B build-asan "${common[@]}" "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1" \
    -DRECLAG_SANITIZE=address,undefined "-DRECLAG_TEST_AREAS=$areas" >/dev/null
  CXX=clang++ cmake -S . -B build-tsan "${common[@]}" "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O0 -g1" \
    -DRECLAG_SANITIZE=thread -DRECLAG_TEST_AREAS=score >/dev/null
  # Two builds at once keep both cores busy while either waits on its one long translation unit.
  cmake --build build-asan -j2 >build-asan/build.log 2>&1 & asan=$!
  cmake --build build-tsan -j2 --target reclag_score_concurrent_scoring_test >build-tsan/build.log 2>&1 & tsan=$!
  status=0
  wait "$asan" || { status=1; tail -60 build-asan/build.log; }
  wait "$tsan" || { status=1; tail -60 build-tsan/build.log; }
  [ "$status" -eq 0 ] || exit 1
fi
[ "$phase" = build ] && exit 0

echo "== AddressSanitizer + UndefinedBehaviorSanitizer: test areas ${areas:-all}"
ASAN_OPTIONS=detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j2

echo "== ThreadSanitizer: one fitted scorer of every kind scored from 4 threads"
TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 ./build-tsan/tests/reclag_score_concurrent_scoring_test
