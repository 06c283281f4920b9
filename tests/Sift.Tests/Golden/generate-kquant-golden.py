#!/usr/bin/python3
"""Regenerates kquant-golden.json with ggml's own reference quantizers and dequantizers.

Not run by CI. Needs numpy and libggml-base.so from node-llama-cpp's prebuilt binaries:
  npm install --ignore-scripts node-llama-cpp@3.22.1 @node-llama-cpp/linux-x64@3.22.1
  /usr/bin/python3 generate-kquant-golden.py node_modules/@node-llama-cpp/linux-x64/bins/linux-x64/libggml-base.so > kquant-golden.json
"""
import base64, ctypes, json, sys
import numpy as np

ggml = ctypes.CDLL(sys.argv[1])
FORMATS = [("Q8_0", 32, 34, "q8_0"), ("Q4_K", 256, 144, "q4_K"), ("Q5_K", 256, 176, "q5_K"), ("Q6_K", 256, 210, "q6_K")]
rng = np.random.default_rng(20261122)
cases = []
for name, block_values, block_bytes, suffix in FORMATS:
    count = 2 * 256
    # Two super-blocks with different magnitudes and an offset, so scales and mins both matter.
    values = np.concatenate([rng.standard_normal(256) * 0.05 + 0.01, rng.standard_normal(256) * 2.0 - 0.5]).astype(np.float32)
    packed = (ctypes.c_uint8 * (count // block_values * block_bytes))()
    quantize = getattr(ggml, f"quantize_row_{suffix}_ref")
    quantize(values.ctypes.data_as(ctypes.c_void_p), packed, ctypes.c_int64(count))
    restored = np.zeros(count, dtype=np.float32)
    dequantize = getattr(ggml, f"dequantize_row_{suffix}")
    dequantize(packed, restored.ctypes.data_as(ctypes.c_void_p), ctypes.c_int64(count))
    cases.append({
        "type": name,
        "source": [float(v) for v in values],
        "bytes": base64.b64encode(bytes(packed)).decode(),
        "values": [float(v) for v in restored],
    })
print(json.dumps({"note": "ggml reference quantize_row_*_ref / dequantize_row_* from node-llama-cpp 3.22.1's libggml-base.so", "cases": cases}))
