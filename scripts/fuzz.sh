#!/usr/bin/env bash
# libFuzzer targets (clang, ASan + UBSan) built into build-fuzz/, one per reader:
# fuzz_gguf, fuzz_safetensors, fuzz_llama2c, fuzz_tokenizer_json, fuzz_chat_template.
#
#   scripts/fuzz.sh [SECONDS]        each target SECONDS (default 60) from the checked-in corpus
#                                    (tests/fuzz/corpus/) plus larger seeds from $QUANTBENCH_SHARED
#   scripts/fuzz.sh --runs N         each target until N executions (the long run: --runs 10000000)
#   scripts/fuzz.sh --smoke [SECONDS]  CI: the checked-in corpus only, SECONDS per target (default 8),
#                                    after replaying every input in tests/data/regressions/
#   scripts/fuzz.sh seeds            regenerates tests/fuzz/corpus/ (tests/fuzz/make_seeds.cpp)
#
# TARGETS="fuzz_gguf fuzz_llama2c" restricts the targets. JOBS=2 runs each target as one campaign on
# two cores (libFuzzer's fork mode: worker processes share the corpus; --runs counts all of their
# executions, and a crash in any worker stops the campaign). Prints, per target: executions, exec/s
# and findings (crash, sanitizer report, leak, timeout or out-of-memory; the input is saved under
# build-fuzz/findings/<target>/). Exits 1 when anything was found.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
shared=${QUANTBENCH_SHARED:-../shared}
mode=time secs=60 runs=0
case ${1:-} in
  --runs) mode=runs runs=${2:?--runs N} ;;
  --smoke) mode=smoke secs=${2:-8} ;;
  seeds) mode=seeds ;;
  "") ;;
  *) secs=$1 ;;
esac
targets=${TARGETS:-fuzz_gguf fuzz_safetensors fuzz_llama2c fuzz_tokenizer_json fuzz_chat_template}

mkdir -p build-fuzz
exec 9>build-fuzz/.configure.lock # two runs at once (one per core) must not configure the same tree together
flock 9
cmake -S . -B build-fuzz -G Ninja -DQUANTBENCH_FUZZ=ON -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-fuzz --parallel "$(nproc)" | grep -v "^\[" || true
flock -u 9
# short allocation stacks keep each execution cheap; rerun a saved finding with a longer one
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:allocator_may_return_null=0:malloc_context_size=2}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

if [[ $mode == seeds ]]; then
  rm -rf tests/fuzz/corpus
  build-fuzz/bin/fuzz_make_seeds tests/fuzz/corpus
  find tests/fuzz/corpus -type f | wc -l | xargs echo "seed files written:"
  exit 0
fi

options() { # target -> its libFuzzer options (dictionary, input size cap)
  case $1 in
    fuzz_gguf) echo "-dict=$root/tests/fuzz/gguf.dict -max_len=32768" ;;
    fuzz_safetensors | fuzz_tokenizer_json) echo "-dict=$root/tests/fuzz/json.dict -max_len=8192" ;;
    fuzz_llama2c) echo "-max_len=8192" ;;
    fuzz_chat_template) echo "-dict=$root/tests/fuzz/jinja.dict -max_len=4096" ;;
  esac
}
extra_seeds() { # target -> seeds from ../shared and the build (not checked in; the long runs use them)
  case $1 in
    fuzz_gguf) ls build/tests/data/malformed/*.gguf 2>/dev/null ;;
    fuzz_llama2c) ls build/tests/data/malformed/*.bin 2>/dev/null ;;
    fuzz_safetensors) ls build/tests/data/malformed/st-*/model.safetensors 2>/dev/null ;;
    fuzz_tokenizer_json) ls build/test-scratch/*/tokenizer.json build/test-scratch/*/hf/tokenizer.json 2>/dev/null ;;
  esac
}
regressions() { # target -> the regression inputs it reads
  local ext
  case $1 in
    fuzz_gguf) ext=gguf ;; fuzz_llama2c) ext=bin ;; fuzz_safetensors) ext=safetensors ;;
    fuzz_tokenizer_json) ext=json ;; fuzz_chat_template) ext=jinja ;;
  esac
  ls tests/data/regressions/*."$ext" 2>/dev/null || true
}

failed=0
for t in $targets; do
  findings=build-fuzz/findings/$t
  mkdir -p "$findings"
  log=build-fuzz/$t.log
  # replay the regression inputs first: each must run clean
  mapfile -t reg < <(regressions "$t")
  if ((${#reg[@]})) && ! build-fuzz/bin/$t "${reg[@]}" >"$log" 2>&1; then
    echo "$t: a regression input fails again (see $log)"; failed=1; continue
  fi
  if [[ $mode == smoke ]]; then
    corpus=$(mktemp -d) # the checked-in corpus, copied so the run adds nothing to the repository
    cp tests/fuzz/corpus/"$t"/* "$corpus"/
  else
    corpus=build-fuzz/corpus/$t
    mkdir -p "$corpus"
    cp -n tests/fuzz/corpus/"$t"/* "$corpus"/
    for s in $(extra_seeds "$t"); do cp -n "$s" "$corpus/extra-$(basename "$(dirname "$s")")-$(basename "$s")" || true; done
    if [[ $t == fuzz_chat_template && -f $shared/chat/templates.json ]]; then
      python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); [open("%s/extra-template-%02d.jinja" % (sys.argv[2], i), "w").write(t) for i, t in enumerate(d["templates"].values())]' "$shared/chat/templates.json" "$corpus"
    fi
  fi
  limit=(-max_total_time="$secs")
  [[ $mode == runs ]] && limit=(-runs="$runs")
  jobs=${JOBS:-1}
  ((jobs > 1)) && limit+=(-fork="$jobs")
  before=$(ls "$findings" | wc -l)
  start=$(date +%s.%N)
  rc=0
  # shellcheck disable=SC2046
  build-fuzz/bin/$t "$corpus" $(options "$t") "${limit[@]}" -timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=512 \
    -print_final_stats=1 -artifact_prefix="$findings/" >"$log" 2>&1 || rc=$?
  end=$(date +%s.%N)
  [[ $mode == smoke ]] && rm -rf "$corpus"
  if ((jobs > 1)); then # fork mode: the campaign's running total
    execs=$(grep -oE "^#[0-9]+:" "$log" | tr -d '#:' | tail -1 || true)
  else
    execs=$(grep -o "stat::number_of_executed_units: *[0-9]*" "$log" | grep -o "[0-9]*$" | tail -1 || true)
  fi
  found=$(( $(ls "$findings" | wc -l) - before ))
  interrupted=
  grep -q "run interrupted" "$log" && interrupted=" (interrupted)"
  ((rc != 0 && found == 0)) && [[ -z $interrupted ]] && found=1 # a report without a saved input still counts
  awk -v t="$t" -v n="${execs:-0}" -v b="$start" -v e="$end" -v f="$found" -v d="$(date -u +%F)" \
    -v i="$interrupted" 'BEGIN { s = e - b; printf "%-20s %10d execs in %7.1f s = %7.0f exec/s   findings: %d   (%s)%s\n", t, n, s, n / s, f, d, i }'
  if ((found)); then
    failed=1
    grep -E "ERROR|SUMMARY|runtime error|Test unit written" "$log" | head -5 | sed 's/^/    /'
  fi
done
exit $failed
