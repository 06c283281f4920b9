#!/usr/bin/env bash
# W1-W3 of Sift beside ONNX Runtime and llama.cpp, interleaved so that a shared, loaded machine
# slows every engine alike: in each round every engine runs each workload once, in one order in odd
# rounds and in the reverse order in even rounds (A B C ... C B A). One JSON line per run on stdout,
# tagged with the round, the engine and the load average before and after. Not run by CI.
#   PEERS:   a scratch folder outside the repository where the peers were set up as
#            ../shared/bench/README.md and ../shared/bench/ort/README.md say (node_modules with
#            onnxruntime-node@1.30.0 and node-llama-cpp@3.22.1; q06b-int8/, q06b-fp32/;
#            gguf/rand-{embedding,reranker}-0.6b-{q8_0,f16}.gguf)
#   TOOLS:   ../shared/bench
#   SIFT:    a built Sift.Bench.dll (default: bench/Sift.Bench/bin/Release/net10.0/Sift.Bench.dll, built here)
#   ROUNDS:  rounds (default 2);  WORKLOADS: default "W2 W1 W3"
#   LLAMA_ROUNDS: llama.cpp runs only in the first LLAMA_ROUNDS rounds (default: all); LLAMA_TIMEOUT: seconds a
#            llama.cpp run may take before it is stopped and recorded as timed out (default 1200). Its thread
#            pool spins and waits for every thread, so on an oversubscribed machine it slows far more than the others.
#   DEADLINE: optional, seconds since the epoch: no run starts after it (the rounds done so far stand)
#   ENGINES: default "sift-avx512-int8 sift-avx2-int8 ort-int8 llama-q8_0 sift-avx512-bf16 sift-avx2-bf16 ort-fp32 llama-f16"
#            (also sift-avx512-int8-managed: the avx512 int8 path with the emitted kernels switched off; and
#            sift-avx2novnni-int8: the avx2 path with AVX-VNNI switched off too (vpmaddubsw, what an AMD Zen 3 runs);
#            ort-avx2-int8, ort-avx2-fp32, ort-avxvnni-int8: ONNX Runtime made to see an AVX2-only CPU, without and
#            with AVX-VNNI (bench/peers/avx2-view: its CPUID and XGETBV answered with those bits cleared, so that
#            MLAS picks the kernels it runs on such a CPU; needs gcc, objdump and python3);
#            before-avx512-int8, before-avx2-int8, before-avx2novnni-int8, before-avx512-bf16, before-avx2-bf16: the same runs of
#            SIFT_BEFORE, another build's Sift.Bench.dll, for an A/B of a change beside the peers in one run)
# usage: PEERS=/work/peers TOOLS=../shared/bench bench/peers/interleaved.sh > results.jsonl
#        python3 bench/peers/summarize.py results.jsonl
set -uo pipefail
cd "$(dirname "$0")/../.."
: "${PEERS:?set PEERS}" "${TOOLS:?set TOOLS}"
rounds=${ROUNDS:-2}
workloads=${WORKLOADS:-W2 W1 W3}
engines=${ENGINES:-sift-avx512-int8 sift-avx2-int8 ort-int8 llama-q8_0 sift-avx512-bf16 sift-avx2-bf16 ort-fp32 llama-f16}
dll=${SIFT:-}
if [ -z "$dll" ]; then
  dotnet build bench/Sift.Bench -c Release >/dev/null || exit 1
  dll=bench/Sift.Bench/bin/Release/net10.0/Sift.Bench.dll
fi

tokenizer=$PWD/tests/fixtures/qwen3-tiny-embedding   # the real Qwen3 tokenizer
sift() { dotnet "${SIFT_DLL:-$dll}" --workload "$1" --shape qwen3-0.6b --precision "$2" --threads 2 --rounds 1 --model "$tokenizer" | tail -1; }
before() { SIFT_DLL="${SIFT_BEFORE:?set SIFT_BEFORE for the before-* engines}" sift "$@"; }
ort() {
  [ "$1" = W3 ] && return 0   # the ORT graph is the embedding model only
  local view_env=()
  if [ -n "${ORT_VIEW:-}" ]; then
    # Only node gets the view; AVX2_VIEW_REQUIRE fails the run if the patched copy was not the library loaded.
    view_env=(env LD_LIBRARY_PATH="$view${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" LD_PRELOAD="$view/avx2_view.so${LD_PRELOAD:+:$LD_PRELOAD}"
      AVX2_VIEW_REQUIRE=1 AVX2_VIEW_VNNI="$ORT_VIEW_VNNI")
  fi
  (cd "$PEERS" && ORT_WORK="$PEERS" "${view_env[@]}" node "$TOOLS/ort/run_ort.mjs" --model "$PEERS/$2" --workloads "$1" --batches 8 --threads 2) \
    | grep "\"workload\":\"$1\""
}
# ONNX Runtime on an AVX2-only view of this CPU (bench/peers/avx2-view): a copy of its library with CPUID and
# XGETBV trapped, loaded ahead of the original (the binding finds it by RUNPATH, after LD_LIBRARY_PATH).
# Built once here, not in run(): each run is a subshell.
view=""
if [[ " $engines " == *" ort-avx"* ]]; then
  view=$(mktemp -d)
  trap 'rm -rf "$view"' EXIT
  gcc -O2 -shared -fPIC -o "$view/avx2_view.so" bench/peers/avx2-view/avx2_view.c >&2 || exit 1
  python3 bench/peers/avx2-view/patch.py "$PEERS/node_modules/onnxruntime-node/bin/napi-v6/linux/x64/libonnxruntime.so.1" \
    "$view/libonnxruntime.so.1" >&2 || exit 1
fi
# llama_baseline prints one tab-separated line per workload, "LABEL<tab>a|b|c<tab>tokens=...<tab>tok/s=...";
# no waiting for a quiet machine and no discarded runs, so that it sees the same load as the others.
llama() {
  local w=${1/W1/a}; w=${w/W2/b}; w=${w/W3/c}
  timeout "${LLAMA_TIMEOUT:-1200}" node "$TOOLS/llama_baseline.mjs" bench --base "$PEERS" --label "$2" --only "$w" --runs 1 --threads 2 \
      --quiet-wait 0 --max-other 1000 \
      --emb "$PEERS/gguf/rand-embedding-0.6b-$3.gguf" --rr "$PEERS/gguf/rand-reranker-0.6b-$3.gguf" \
    | grep -P "^$2\t${w}_" | tail -1 | sed -e 's/"/\\"/g' -e 's/\t/ /g' -e 's/^/{"line":"/' -e 's/$/"}/'
}
run() {
  local engine=$1 w=$2
  case $engine in
    sift-avx512-int8) sift "$w" int8 ;;
    sift-avx512-int8-managed) SIFT_EMITTED_KERNELS=0 sift "$w" int8 ;;
    sift-avx2-int8) DOTNET_EnableAVX512=0 sift "$w" int8 ;;
    sift-avx2novnni-int8) DOTNET_EnableAVX512=0 DOTNET_EnableAVXVNNI=0 sift "$w" int8 ;;
    sift-avx512-bf16) sift "$w" bf16 ;;
    sift-avx2-bf16) DOTNET_EnableAVX512=0 sift "$w" bf16 ;;
    before-avx512-int8) before "$w" int8 ;;
    before-avx2-int8) DOTNET_EnableAVX512=0 before "$w" int8 ;;
    before-avx2novnni-int8) DOTNET_EnableAVX512=0 DOTNET_EnableAVXVNNI=0 before "$w" int8 ;;
    before-avx512-bf16) before "$w" bf16 ;;
    before-avx2-bf16) DOTNET_EnableAVX512=0 before "$w" bf16 ;;
    ort-int8) ort "$w" q06b-int8 ;;
    ort-fp32) ort "$w" q06b-fp32 ;;
    ort-avx2-int8) ORT_VIEW=1 ORT_VIEW_VNNI=0 ort "$w" q06b-int8 ;;
    ort-avx2-fp32) ORT_VIEW=1 ORT_VIEW_VNNI=0 ort "$w" q06b-fp32 ;;
    ort-avxvnni-int8) ORT_VIEW=1 ORT_VIEW_VNNI=1 ort "$w" q06b-int8 ;;
    llama-q8_0) llama "$w" Q8_0 q8_0 ;;
    llama-f16) llama "$w" F16 f16 ;;
    *) echo "unknown engine $engine" >&2; return 1 ;;
  esac
}
load() { cut -d' ' -f1 /proc/loadavg; }

echo "{\"start\":\"$(date -u +%FT%TZ)\",\"cpu\":\"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')\",\"rounds\":$rounds}"
for round in $(seq 1 "$rounds"); do
  order=$engines
  if [ $((round % 2)) -eq 0 ]; then order=$(echo "$engines" | tr ' ' '\n' | tac | tr '\n' ' '); fi
  for w in $workloads; do
    for engine in $order; do
      if [ -n "${DEADLINE:-}" ] && [ "$(date +%s)" -ge "$DEADLINE" ]; then echo "{\"stopped\":\"deadline\",\"round\":$round}"; break 3; fi
      if [[ $engine == llama-* ]] && [ "$round" -gt "${LLAMA_ROUNDS:-$rounds}" ]; then continue; fi
      before=$(load); started=$(date +%s.%N)
      line=$(run "$engine" "$w")
      if [ -z "$line" ] && [[ $engine == llama-* ]]; then line='{"timed_out":true}'; fi
      [ -z "$line" ] && continue
      wall=$(echo "$(date +%s.%N) - $started" | bc)
      echo "$line" | sed -e "s/^{/{\"round\":$round,\"engine_run\":\"$engine\",\"w\":\"$w\",\"load_before\":$before,\"load_after\":$(load),\"process_s\":$wall,/"
    done
  done
done
echo "{\"end\":\"$(date -u +%FT%TZ)\"}"
