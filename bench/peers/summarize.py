#!/usr/bin/env python3
"""Medians and same-round ratios of bench/peers/interleaved.sh's JSON lines, as Markdown tables.

usage: python3 bench/peers/summarize.py results.jsonl [more.jsonl ...]
Several files (runs one after another) are read as consecutive rounds: round r of file f is round
100·f + r. A Sift avx512 int8 run is labelled by what it ran (its kernel_int8 field): the managed tile
unless the emitted one was in use. Engines that did not run are left out.
W1 and W3 are tokens/s (higher is better), W2 the median latency of one 32-token query in ms
(lower is better). A ratio is Sift over the peer, computed within each round (the same load) and
then the median over the rounds: > 1 means Sift is faster for W1/W3; < 1 means faster for W2.
"""
import json
import re
import statistics
import sys

ENGINES = [
    ("sift-avx512-int8", "Sift int8, avx512 (emitted VNNI tile)"),
    ("sift-avx512-int8-managed", "Sift int8, avx512 (managed tile)"),
    ("sift-avx2-int8", "Sift int8, avx2 (AVX-VNNI)"),
    ("sift-avx2novnni-int8", "Sift int8, avx2 without AVX-VNNI"),
    ("ort-int8", "ONNX Runtime int8"),
    ("ort-avxvnni-int8", "ONNX Runtime int8, AVX2 + AVX-VNNI view"),
    ("ort-avx2-int8", "ONNX Runtime int8, AVX2 view"),
    ("llama-q8_0", "llama.cpp Q8_0"),
    ("sift-avx512-bf16", "Sift bf16, avx512"),
    ("sift-avx2-bf16", "Sift bf16, avx2"),
    ("ort-fp32", "ONNX Runtime fp32"),
    ("ort-avx2-fp32", "ONNX Runtime fp32, AVX2 view"),
    ("llama-f16", "llama.cpp F16"),
    ("before-avx512-int8", "before the change: Sift int8, avx512"),
    ("before-avx2-int8", "before the change: Sift int8, avx2"),
    ("before-avx2novnni-int8", "before the change: Sift int8, avx2 without AVX-VNNI"),
    ("before-avx512-bf16", "before the change: Sift bf16, avx512"),
    ("before-avx2-bf16", "before the change: Sift bf16, avx2"),
]
RATIOS = [
    ("sift-avx512-int8", "ort-int8"), ("sift-avx512-int8-managed", "ort-int8"), ("sift-avx2-int8", "ort-int8"),
    ("sift-avx512-int8", "sift-avx512-int8-managed"),
    ("sift-avx2-int8", "ort-avxvnni-int8"), ("sift-avx2novnni-int8", "ort-avx2-int8"),
    ("sift-avx512-bf16", "ort-fp32"), ("sift-avx2-bf16", "ort-fp32"), ("sift-avx2-bf16", "ort-avx2-fp32"),
    ("sift-avx512-int8", "llama-q8_0"), ("sift-avx2-int8", "llama-q8_0"), ("sift-avx2novnni-int8", "llama-q8_0"),
    ("sift-avx512-bf16", "llama-f16"), ("sift-avx2-bf16", "llama-f16"),
    ("sift-avx512-int8", "before-avx512-int8"), ("sift-avx2-int8", "before-avx2-int8"), ("sift-avx2novnni-int8", "before-avx2novnni-int8"),
    ("sift-avx512-bf16", "before-avx512-bf16"), ("sift-avx2-bf16", "before-avx2-bf16"),
]
WORKLOADS = [("W1", "W1 embed 64 × 256, tok/s"), ("W2", "W2 one 32-token query, median ms"), ("W3", "W3 rerank 1 × 32 docs, tok/s")]


def value(run):
    """tok/s for W1/W3, ms for W2; None when the run produced no figure."""
    w = run["w"]
    if run.get("timed_out"):
        return None
    if "line" in run:  # llama_baseline's tab-separated line
        line = run["line"]
        if w == "W2":
            return float(re.search(r"seconds=([0-9.]+)", line).group(1)) * 1000
        return float(re.search(r"tok/s=([0-9.]+)", line).group(1))
    if run.get("engine") == "onnxruntime":
        return run["p50_ms"] if w == "W2" else run["tokens_per_s"]
    return run["median_ms"] if w == "W2" else run["tokens_per_s"]


def main(paths):
    runs = []
    for f, path in enumerate(paths):
        for line in open(path):
            if line.strip().startswith("{"):
                run = json.loads(line)
                if "round" in run:
                    run["round"] += 100 * f
                runs.append(run)
    header = next((r for r in runs if "start" in r), {})
    end = [r for r in runs if "end" in r or "stopped" in r]
    end = end[-1] if end else {}
    runs = [r for r in runs if "engine_run" in r]
    for r in runs:
        if r["engine_run"] == "sift-avx512-int8" and "emitted" not in r.get("kernel_int8", "emitted"):
            r["engine_run"] = "sift-avx512-int8-managed"
        if r["engine_run"] == "sift-avx2novnni-int8" and "vpmaddubsw" not in r.get("kernel_int8", "vpmaddubsw"):
            sys.exit(f"a sift-avx2novnni-int8 run used {r['kernel_int8']}, not vpmaddubsw: DOTNET_EnableAVXVNNI=0 did not take effect")
    table = {}
    loads = []
    for r in runs:
        loads += [r["load_before"], r["load_after"]]
        table.setdefault((r["engine_run"], r["w"]), {})[r["round"]] = value(r)
    print(f"start {header.get('start')}, end {end.get('end') or end}; {len(runs)} runs; "
          f"load average (1 min) {min(loads):.1f}-{max(loads):.1f}, median {statistics.median(loads):.1f}\n")

    def fmt(x, w):
        return "—" if x is None else (f"{x:,.0f}" if w == "W2" else f"{x:,.1f}")

    print("| engine | " + " | ".join(label for _, label in WORKLOADS) + " |")
    print("|---|" + "---|" * len(WORKLOADS))
    ran = {engine for engine, _ in table}
    for engine, label in ENGINES:
        if engine not in ran:
            continue
        cells = []
        for w, _ in WORKLOADS:
            per_round = table.get((engine, w), {})
            got = [v for v in per_round.values() if v is not None]
            if not per_round:
                cells.append("not run")
                continue
            timed_out = len(per_round) - len(got)
            median = statistics.median(got) if got else None
            rounds = ", ".join(fmt(per_round[k], w) for k in sorted(per_round))
            cells.append(f"**{fmt(median, w)}** ({rounds})" + (f", {timed_out} timed out" if timed_out else ""))
        print(f"| {label} | " + " | ".join(cells) + " |")

    print("\n| ratio (same round, median over rounds) | " + " | ".join(w for w, _ in WORKLOADS) + " |")
    print("|---|" + "---|" * len(WORKLOADS))
    for a, b in RATIOS:
        if a not in ran or b not in ran:
            continue
        cells = []
        for w, _ in WORKLOADS:
            ra, rb = table.get((a, w), {}), table.get((b, w), {})
            paired = [ra[k] / rb[k] for k in ra if k in rb and ra[k] and rb[k]]
            cells.append(f"{statistics.median(paired):.2f}× (n={len(paired)})" if paired else "—")
        print(f"| {dict(ENGINES)[a]} / {dict(ENGINES)[b]} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main(sys.argv[1:])
