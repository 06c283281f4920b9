#!/usr/bin/python3
"""llama.cpp's own CPU matrix multiply (ggml_mul_mat, 2 threads) per weight type at Qwen3-0.6B layer
shapes: does a native k-quant kernel beat Q8_0 on this machine? Sift converts Q4_K/Q5_K/Q6_K to
int8 at load; this measures the peer's best kernels for each type, in one run.

Not run by CI. Needs numpy and node-llama-cpp's prebuilt ggml (see ../../docs/benchmarks.md):
  npm install --prefix /tmp/llamabase --ignore-scripts node-llama-cpp@3.22.1 @node-llama-cpp/linux-x64@3.22.1
  /usr/bin/python3 bench/kquant/ggml_mulmat.py /tmp/llamabase/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64 zen4
Prints one JSON line per (type, shape, M): best of several runs, GOPS (2 ops per multiply-add).
"""
import ctypes, json, os, sys, time
import numpy as np

directory, variant = sys.argv[1], (sys.argv[2] if len(sys.argv) > 2 else "zen4")
base = ctypes.CDLL(os.path.join(directory, "libggml-base.so"), mode=ctypes.RTLD_GLOBAL)
cpu = ctypes.CDLL(os.path.join(directory, f"libggml-cpu-{variant}.so"), mode=ctypes.RTLD_GLOBAL)
cpu.ggml_cpu_init()

class InitParams(ctypes.Structure):
    _fields_ = [("mem_size", ctypes.c_size_t), ("mem_buffer", ctypes.c_void_p), ("no_alloc", ctypes.c_bool)]

vp = ctypes.c_void_p
base.ggml_init.restype = vp
base.ggml_init.argtypes = [InitParams]
base.ggml_new_tensor_2d.restype = vp
base.ggml_new_tensor_2d.argtypes = [vp, ctypes.c_int, ctypes.c_int64, ctypes.c_int64]
base.ggml_mul_mat.restype = vp
base.ggml_mul_mat.argtypes = [vp, vp, vp]
base.ggml_new_graph.restype = vp
base.ggml_new_graph.argtypes = [vp]
base.ggml_build_forward_expand.argtypes = [vp, vp]
base.ggml_get_data.restype = vp
base.ggml_get_data.argtypes = [vp]
base.ggml_free.argtypes = [vp]
base.ggml_quantize_chunk.restype = ctypes.c_size_t
base.ggml_quantize_chunk.argtypes = [ctypes.c_int, vp, vp, ctypes.c_int64, ctypes.c_int64, ctypes.c_int64, vp]
cpu.ggml_graph_compute_with_ctx.restype = ctypes.c_int
cpu.ggml_graph_compute_with_ctx.argtypes = [vp, vp, ctypes.c_int]

F32, F16, Q8_0, Q4_K, Q5_K, Q6_K = 0, 1, 8, 12, 13, 14
# "Q4_K>Q8_0": k-quant weights dequantized and requantized to Q8_0 blocks, as Sift loads them.
TYPES = [("F16", F16, None), ("Q8_0", Q8_0, None), ("Q6_K", Q6_K, None), ("Q5_K", Q5_K, None), ("Q4_K", Q4_K, None),
         ("Q6_K>Q8_0", Q8_0, Q6_K), ("Q5_K>Q8_0", Q8_0, Q5_K), ("Q4_K>Q8_0", Q8_0, Q4_K)]
DEQUANTIZE = {Q6_K: "dequantize_row_q6_K", Q5_K: "dequantize_row_q5_K", Q4_K: "dequantize_row_q4_K"}
SHAPES = [("qkv", 4096, 1024), ("gate_up", 6144, 1024), ("down", 1024, 3072)]
rng = np.random.default_rng(1)


def converted(weights, source_type):
    """weights through a k-quant and back to fp32: what a k-quant GGUF holds."""
    n, k = weights.shape
    packed = np.zeros(n * k * 2, dtype=np.uint8)
    base.ggml_quantize_chunk(source_type, weights.ctypes.data, packed.ctypes.data, 0, n, k, None)
    restored = np.zeros((n, k), dtype=np.float32)
    dequantize = getattr(base, DEQUANTIZE[source_type])
    dequantize.argtypes = [vp, vp, ctypes.c_int64]
    dequantize(packed.ctypes.data, restored.ctypes.data, n * k)
    return restored
threads = int(os.environ.get("THREADS", "2"))

for shape, n, k in SHAPES:
    weights = (rng.standard_normal((n, k)) * 0.05).astype(np.float32)
    sources = {source_type: converted(weights, source_type) for _, _, source_type in TYPES if source_type is not None}
    for m in (1, 32, 256):
        activations = rng.standard_normal((m, k)).astype(np.float32)
        for name, ggml_type, source_type in TYPES:
            source = weights if source_type is None else sources[source_type]
            ctx = base.ggml_init(InitParams(mem_size=(n * k * 4 + m * k * 4 + m * n * 4) + (64 << 20), mem_buffer=None, no_alloc=False))
            w = base.ggml_new_tensor_2d(ctx, ggml_type, k, n)
            base.ggml_quantize_chunk(ggml_type, source.ctypes.data, base.ggml_get_data(w), 0, n, k, None)
            x = base.ggml_new_tensor_2d(ctx, F32, k, m)
            ctypes.memmove(base.ggml_get_data(x), activations.ctypes.data, activations.nbytes)
            y = base.ggml_mul_mat(ctx, w, x)
            graph = base.ggml_new_graph(ctx)
            base.ggml_build_forward_expand(graph, y)
            cpu.ggml_graph_compute_with_ctx(ctx, graph, threads)
            ops = 2.0 * m * n * k
            repeats = max(3, int(4e9 / ops))
            best = float("inf")
            for _ in range(repeats):
                start = time.perf_counter()
                cpu.ggml_graph_compute_with_ctx(ctx, graph, threads)
                best = min(best, time.perf_counter() - start)
            result = np.ctypeslib.as_array(ctypes.cast(base.ggml_get_data(y), ctypes.POINTER(ctypes.c_float)), shape=(m, n))
            reference = activations.astype(np.float64) @ weights.astype(np.float64).T
            error = float(np.sqrt(np.mean((result - reference) ** 2)) / np.sqrt(np.mean(reference ** 2)))
            print(json.dumps({"workload": "ggml_mul_mat", "type": name, "shape": shape, "m": m, "n": n, "k": k,
                              "ms": round(best * 1000, 3), "gops": round(ops / best / 1e9, 1), "relative_rms_error": float(f"{error:.2e}")}), flush=True)
            base.ggml_free(ctx)
