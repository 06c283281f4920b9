#!/usr/bin/python3
"""What converting k-quant weights to Sift's int8 blocks adds to their own error, per block size.

Gaussian weights (sigma 0.05) at two Qwen3-0.6B layer shapes go through ggml's own quantizer and
dequantizer (Q4_K, Q5_K, Q6_K: what a GGUF holds), then through Q8_0's rules (scale = max|w| / 127
rounded to fp16, q = round half away from zero) in blocks of 32 and of 128 inputs, as Sift packs
them (src/Sift/Kernels/Int8Layout.cs). Weight error only: the layer output X·Wᵀ with fp32
activations against fp64 and the original weights, relative RMS.

Not run by CI. Needs numpy and node-llama-cpp's prebuilt ggml (see ../../docs/benchmarks.md):
  /usr/bin/python3 bench/kquant/conversion_error.py <node_modules>/@node-llama-cpp/linux-x64/bins/linux-x64
"""
import ctypes, json, os, sys
import numpy as np

base = ctypes.CDLL(os.path.join(sys.argv[1], "libggml-base.so"), mode=ctypes.RTLD_GLOBAL)
vp = ctypes.c_void_p
base.ggml_quantize_chunk.restype = ctypes.c_size_t
base.ggml_quantize_chunk.argtypes = [ctypes.c_int, vp, vp, ctypes.c_int64, ctypes.c_int64, ctypes.c_int64, vp]
TYPES = {"Q6_K": (14, "dequantize_row_q6_K"), "Q5_K": (13, "dequantize_row_q5_K"), "Q4_K": (12, "dequantize_row_q4_K")}
rng = np.random.default_rng(1)


def through_kquant(weights, name):
    ggml_type, dequantizer = TYPES[name]
    n, k = weights.shape
    packed = np.zeros(n * k * 2, dtype=np.uint8)
    base.ggml_quantize_chunk(ggml_type, weights.ctypes.data, packed.ctypes.data, 0, n, k, None)
    restored = np.zeros((n, k), dtype=np.float32)
    dequantize = getattr(base, dequantizer)
    dequantize.argtypes = [vp, vp, ctypes.c_int64]
    dequantize(packed.ctypes.data, restored.ctypes.data, n * k)
    return restored


def through_int8(weights, block):
    n, k = weights.shape
    blocks = weights.reshape(n, k // block, block)
    scale = np.abs(blocks).max(axis=2, keepdims=True) / np.float32(127)
    inverse = np.where(scale != 0, np.float32(1) / np.where(scale != 0, scale, 1), 0).astype(np.float32)
    scaled = blocks * inverse
    q = np.sign(scaled) * np.floor(np.abs(scaled) + np.float32(0.5))
    return (q * scale.astype(np.float16).astype(np.float32)).reshape(n, k)


for shape, n, k in (("qkv", 4096, 1024), ("down", 1024, 3072)):
    weights = (rng.standard_normal((n, k)) * 0.05).astype(np.float32)
    activations = rng.standard_normal((32, k)).astype(np.float32)
    reference = activations.astype(np.float64) @ weights.astype(np.float64).T

    def error(w):
        result = activations @ w.T
        return float(np.sqrt(np.mean((result - reference) ** 2)) / np.sqrt(np.mean(reference ** 2)))

    rows = {"int8 blocks of 32": error(through_int8(weights, 32)), "int8 blocks of 128": error(through_int8(weights, 128))}
    for name in TYPES:
        restored = through_kquant(weights, name)
        rows[name] = error(restored)
        rows[f"{name} > int8 blocks of 32"] = error(through_int8(restored, 32))
        rows[f"{name} > int8 blocks of 128"] = error(through_int8(restored, 128))
    for weights_as, value in rows.items():
        print(json.dumps({"shape": shape, "weights": weights_as, "relative_rms_error": float(f"{value:.3e}")}), flush=True)
