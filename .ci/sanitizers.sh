#!/usr/bin/env bash
# The unit test suite under AddressSanitizer + UndefinedBehaviorSanitizer, and the concurrent
# scoring test under ThreadSanitizer (issue #6, item 4).
#   bash .ci/sanitizers.sh
# -O1 -g1 without NDEBUG: Eigen's own index assertions stay on, -O1 keeps the trainer tests
# fast enough for CI, and -g1 (line tables) gives reports with file:line for a fraction of
# full debug info's compile time. Every UBSan report is fatal (-fno-sanitize-recover=all, see
# cmake/reclagSanitizers.cmake). Leaves out what only compiles (header self-containment,
# consumer projects): it holds no runtime behaviour to check.
set -euo pipefail
cd "$(dirname "$0")/.."
# The real-data tests are left out by default (see tests/CMakeLists.txt); set
# RECLAG_SANITIZE_SHARED_TESTS=ON to include them.
shared_tests="${RECLAG_SANITIZE_SHARED_TESTS:-OFF}"

common=(-DCMAKE_BUILD_TYPE=RelWithDebInfo "-DCMAKE_CXX_FLAGS_RELWITHDEBINFO=-O1 -g1"
        -DRECLAG_BUILD_EXAMPLES=OFF -DRECLAG_BUILD_BENCHMARKS=OFF -DRECLAG_INSTALL=OFF
        -DRECLAG_BUILD_SHARED_DATA_TESTS="$shared_tests")

echo "== AddressSanitizer + UndefinedBehaviorSanitizer: the unit tests"
cmake -S . -B build-asan "${common[@]}" -DRECLAG_SANITIZE=address,undefined >/dev/null
cmake --build build-asan -j2
ASAN_OPTIONS=detect_leaks=1:abort_on_error=0:strict_string_checks=1:detect_stack_use_after_return=1 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  ctest --test-dir build-asan --output-on-failure -j2

echo "== ThreadSanitizer: one fitted scorer of every kind scored from 4 threads"
cmake -S . -B build-tsan "${common[@]}" -DRECLAG_SANITIZE=thread >/dev/null
cmake --build build-tsan -j2 --target reclag_score_concurrent_scoring_test
TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1 ./build-tsan/tests/reclag_score_concurrent_scoring_test
