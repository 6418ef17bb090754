#!/usr/bin/env bash
# Unit tests under AddressSanitizer + UndefinedBehaviorSanitizer, and the concurrent scoring
# test under ThreadSanitizer (issue #6, item 4).
#   bash .ci/sanitizers.sh          # ASan + UBSan on the core, io, metrics and lagrangian
#                                   #     areas; TSan on tests/score/concurrent_scoring_test.cpp
#   bash .ci/sanitizers.sh --all    # ASan + UBSan on the whole unit suite (every area)
# Clang, -O1 -g1, NDEBUG off: Eigen's own index assertions stay on, -O1 keeps the trainer
# tests fast (at -O0 the RecLag workspace test alone runs 9 minutes under ASan), -g1 gives
# file:line in reports. Every UBSan report is fatal (-fno-sanitize-recover=all, see
# cmake/reclagSanitizers.cmake). Why a subset by default: ASan-instrumented Eigen code is slow to
# compile (the whole suite is ~30 CPU-minutes with GCC, an estimated ~17 with Clang, against ~11 for the
# Release build), more than CI's 15-minute budget on 2 cores allows next to the Release build.
# The subset holds the parsers, writers and metrics, where a memory error would come from
# untrusted input. The real-data tests (*_shared_test) are left out in both modes.
set -euo pipefail
cd "$(dirname "$0")/.."
areas="core;io;metrics;lagrangian"
if [ "${1:-}" = "--all" ]; then areas=""; fi

common=(-DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1"
        -DRECLAG_BUILD_EXAMPLES=OFF -DRECLAG_BUILD_BENCHMARKS=OFF -DRECLAG_INSTALL=OFF
        -DRECLAG_BUILD_SHARED_DATA_TESTS=OFF)

echo "== AddressSanitizer + UndefinedBehaviorSanitizer: test areas ${areas:-all}"
CXX=clang++ cmake -S . -B build-asan "${common[@]}" -DRECLAG_SANITIZE=address,undefined "-DRECLAG_TEST_AREAS=$areas" >/dev/null
cmake --build build-asan -j2
ASAN_OPTIONS=detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j2

echo "== ThreadSanitizer: one fitted scorer of every kind scored from 4 threads"
CXX=clang++ cmake -S . -B build-tsan "${common[@]}" -DRECLAG_SANITIZE=thread -DRECLAG_TEST_AREAS=score >/dev/null
cmake --build build-tsan -j2 --target reclag_score_concurrent_scoring_test
TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 ./build-tsan/tests/reclag_score_concurrent_scoring_test
