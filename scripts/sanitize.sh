#!/usr/bin/env bash
# Sanitizer runs (clang):
#   scripts/sanitize.sh asan   ASan + UBSan build of everything into build-asan/ and the whole CTest
#                              suite there (Vulkan tests on lavapipe included); any report fails.
#   scripts/sanitize.sh tsan   ThreadSanitizer build into build-tsan/ and the threaded tests (thread
#                              pool, quantizer workers, two chat sessions at once, the GUI's workers).
#   scripts/sanitize.sh        both.
# Qt, Mesa and the Vulkan loader are not instrumented: leaks they hold at exit are not ours
# (detect_leaks=0); everything QuantBench compiles is checked.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-all}
export QT_QPA_PLATFORM=offscreen
export QTEST_FUNCTION_TIMEOUT=3000000 # instrumented code runs several times slower than the 300 s default allows
export QUANTBENCH_TIME_SCALE=10       # and the tests' "refused within seconds" bounds scale with it
build() { # dir sanitizers [targets...]
  local dir=$1 checks=$2
  shift 2
  cmake -S . -B "$dir" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo -DQUANTBENCH_SANITIZE="$checks" -DQUANTBENCH_TEST_TIMEOUT=3000 >/dev/null
  cmake --build "$dir" --parallel "$(nproc)" ${1:+--target "$@"}
}
threaded=(test_concurrency test_chat test_quantizer test_quant_methods test_gui)
if [[ $mode == asan || $mode == all ]]; then
  build build-asan "address,undefined"
  # one allocation above 4 GiB is a report: nothing in the suite needs that much, a trusted bad header would
  ASAN_OPTIONS=detect_leaks=0:abort_on_error=1:max_allocation_size_mb=4096:allocator_may_return_null=0 \
  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir build-asan --output-on-failure --parallel "$(nproc)" --timeout 3000
fi
if [[ $mode == tsan || $mode == all ]]; then
  build build-tsan "thread" "${threaded[@]}"
  TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1 suppressions=$PWD/scripts/tsan.supp" \
    ctest --test-dir build-tsan --output-on-failure --parallel "$(nproc)" --timeout 3000 \
      -R "^($(IFS='|'; echo "${threaded[*]}"))\$"
fi
echo "sanitize ($mode): clean"
