#!/usr/bin/python3
# Vendored for the tests from the workplace's shared benchmark folder (shared/bench/gguf_write.py,
# unchanged): an independent numpy implementation of llama.cpp's convert_hf_to_gguf.py layout, so the
# GGUF compatibility tests compare Sift's converter and loader with files Sift did not write.
"""Minimal, self-contained GGUF v3 writer for Qwen3-shaped embedding / reranker models.

Only needs numpy (Debian's python3-numpy for /usr/bin/python3); no gguf-py, no torch.

Two input modes:
  (a) a Hugging Face folder with config.json + safetensors (bf16/f16/f32, single file or sharded)
      -> converts the real weights;
  (b) a config.json only (a folder without *.safetensors, a .json file, or --random)
      -> random weights (normal, std 0.02; every norm weight = 1.0), for benchmarking.

usage:
  gguf_write.py SRC OUT.gguf [--type f32|f16|q8_0] [--kind auto|embedding|reranker]
                [--tokenizer tokenizer.json] [--random] [--seed N] [--name NAME]

  SRC   a HF model folder, or a config.json file
  --kind  auto: "reranker" when the folder/config name contains "rerank" or the architecture is
          *SequenceClassification, else "embedding".
  --tokenizer  default: SRC/tokenizer.json when it exists, else the real Qwen3 tokenizer.json at
          the tokenizer.json of the fixtures beside this folder (../shared/fixtures/qwen3-tiny-reranker)

What it writes (mirrors llama.cpp's convert_hf_to_gguf.py, class Qwen3Model):
  general.architecture = "qwen3", qwen3.* hyperparameters, qwen3.pooling_type = LAST (3) for
  embedding models, RANK (4) for rerankers (+ qwen3.classifier.output_labels = ["yes","no"],
  tokenizer.chat_template.rerank, and cls.output.weight = rows ["yes", "no"] of lm_head, or of
  embed_tokens when tied; no output.weight for rerankers).
  Tokenizer: gpt2-style BPE, pre-tokenizer "qwen2"; tokens/token_type/merges; ids missing from
  the tokenizer up to config vocab_size are "[PAD<i>]" UNUSED tokens.
  Embedding models append <|endoftext|> (add_eos_token = true, eos = <|endoftext|>,
  eot = <|im_end|>), like the HF Qwen3-Embedding tokenizer's post-processor;
  rerankers: eos = <|im_end|>, add_eos_token = false.
  Tensor types: 1-D / *_norm tensors always F32; 2-D tensors F32, F16 or Q8_0 (blocks of 32:
  fp16 scale + 32 int8, bit-exact with ggml's reference quantize_row_q8_0).
"""
import argparse, glob, json, os, struct, sys
import numpy as np

_HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_TOKENIZER = next((p for p in (os.path.join(_HERE, "..", "shared", "fixtures", "qwen3-tiny-reranker", "tokenizer.json"),
                                      os.path.join(_HERE, "..", "fixtures", "qwen3-tiny-reranker", "tokenizer.json"))
                          if os.path.exists(p)), "tokenizer.json")

GGUF_MAGIC = b"GGUF"
GGUF_VERSION = 3
ALIGN = 32

# gguf value types
T_UINT8, T_INT8, T_UINT16, T_INT16, T_UINT32, T_INT32, T_FLOAT32, T_BOOL, T_STRING, T_ARRAY, \
    T_UINT64, T_INT64, T_FLOAT64 = range(13)
# ggml tensor types
GGML_F32, GGML_F16, GGML_Q8_0 = 0, 1, 8
# llama_ftype
FTYPE = {"f32": 0, "f16": 1, "q8_0": 7}
TYPE = {"f32": GGML_F32, "f16": GGML_F16, "q8_0": GGML_Q8_0}
# token types
TOK_NORMAL, TOK_CONTROL, TOK_USER_DEFINED, TOK_UNUSED = 1, 3, 4, 5
POOLING_LAST, POOLING_RANK = 3, 4

RERANK_TEMPLATE = (
    "<|im_start|>system\nJudge whether the Document meets the requirements based on the Query and "
    "the Instruct provided. Note that the answer can only be \"yes\" or \"no\".<|im_end|>\n"
    "<|im_start|>user\n<Instruct>: Given a web search query, retrieve relevant passages that "
    "answer the query\n<Query>: {query}\n<Document>: {document}<|im_end|>\n"
    "<|im_start|>assistant\n<think>\n\n</think>\n\n")


# ----------------------------------------------------------------------------- encoding helpers
def _str(s):
    b = s.encode("utf-8") if isinstance(s, str) else s
    return struct.pack("<Q", len(b)) + b


class KV:
    def __init__(self):
        self.items = []

    def add(self, key, vtype, value):
        self.items.append((key, vtype, value))

    def u32(self, k, v): self.add(k, T_UINT32, v)
    def f32(self, k, v): self.add(k, T_FLOAT32, v)
    def b(self, k, v): self.add(k, T_BOOL, v)
    def s(self, k, v): self.add(k, T_STRING, v)
    def arr(self, k, etype, v): self.add(k, T_ARRAY, (etype, v))

    @staticmethod
    def _val(vtype, v):
        if vtype == T_UINT32: return struct.pack("<I", v)
        if vtype == T_INT32: return struct.pack("<i", v)
        if vtype == T_FLOAT32: return struct.pack("<f", v)
        if vtype == T_BOOL: return struct.pack("<B", 1 if v else 0)
        if vtype == T_STRING: return _str(v)
        if vtype == T_UINT64: return struct.pack("<Q", v)
        raise ValueError(vtype)

    def encode(self):
        out = []
        for key, vtype, v in self.items:
            out.append(_str(key) + struct.pack("<I", vtype))
            if vtype == T_ARRAY:
                etype, vals = v
                out.append(struct.pack("<IQ", etype, len(vals)))
                if etype == T_STRING:
                    out.append(b"".join(_str(x) for x in vals))
                elif etype == T_INT32:
                    out.append(np.asarray(vals, dtype="<i4").tobytes())
                elif etype == T_UINT32:
                    out.append(np.asarray(vals, dtype="<u4").tobytes())
                elif etype == T_FLOAT32:
                    out.append(np.asarray(vals, dtype="<f4").tobytes())
                else:
                    raise ValueError(etype)
            else:
                out.append(self._val(vtype, v))
        return b"".join(out)


def _roundf(x):
    # C roundf (half away from zero), as ggml's quantize_row_q8_0_ref uses
    a = np.abs(x)
    fl = np.floor(a)
    return np.sign(x) * (fl + np.floor(2 * (a - fl)))


def quantize_q8_0(rows):
    """rows: float32 (n, k) with k % 32 == 0 -> bytes of n*k/32 blocks (fp16 d, 32 x int8)."""
    blocks = rows.reshape(-1, 32).astype(np.float32, copy=False)
    d = np.abs(blocks).max(axis=1, keepdims=True) / np.float32(127)
    with np.errstate(divide="ignore"):
        idv = np.where(d == 0, np.float32(0), np.float32(1) / d).astype(np.float32)
    qs = _roundf(blocks * idv).astype(np.int8)
    out = np.empty((blocks.shape[0], 34), dtype=np.uint8)
    out[:, :2] = d.astype(np.float16).view(np.uint8).reshape(-1, 2)
    out[:, 2:] = qs.view(np.uint8)
    return out.tobytes()


def tensor_nbytes(shape, gtype):
    n = int(np.prod(shape))
    if gtype == GGML_F32: return 4 * n
    if gtype == GGML_F16: return 2 * n
    if gtype == GGML_Q8_0: return n // 32 * 34
    raise ValueError(gtype)


def encode_tensor(arr, gtype, chunk_rows=8192):
    """yields byte chunks of a 1-D/2-D float array in the given ggml type"""
    arr2 = arr.reshape(-1, arr.shape[-1]) if arr.ndim > 1 else arr.reshape(1, -1)
    for i in range(0, arr2.shape[0], chunk_rows):
        c = np.asarray(arr2[i:i + chunk_rows], dtype=np.float32)
        if gtype == GGML_F32: yield c.astype("<f4").tobytes()
        elif gtype == GGML_F16: yield c.astype("<f2").tobytes()
        elif gtype == GGML_Q8_0: yield quantize_q8_0(c)
        else: raise ValueError(gtype)


# ----------------------------------------------------------------------------- safetensors
class SafeTensors:
    """lazy reader for one or more .safetensors files (dtype BF16 / F16 / F32)"""

    def __init__(self, files):
        self.index = {}
        for f in files:
            with open(f, "rb") as fh:
                n = struct.unpack("<Q", fh.read(8))[0]
                header = json.loads(fh.read(n))
            base = 8 + n
            for name, info in header.items():
                if name == "__metadata__":
                    continue
                self.index[name] = (f, base, info)

    def keys(self):
        return list(self.index)

    def get(self, name):
        f, base, info = self.index[name]
        a, b = info["data_offsets"]
        dt = {"BF16": np.uint16, "F16": np.float16, "F32": np.float32}[info["dtype"]]
        raw = np.memmap(f, dtype=np.uint8, mode="r", offset=base + a, shape=(b - a,))
        x = raw.view(dt).reshape(info["shape"])
        if info["dtype"] == "BF16":
            x = (x.astype(np.uint32) << 16).view(np.float32)
        return np.asarray(x, dtype=np.float32)


# ----------------------------------------------------------------------------- tokenizer
def load_vocab(tok_path, vocab_size):
    tok = json.load(open(tok_path, encoding="utf-8"))
    vocab = tok["model"]["vocab"]
    id2tok = {i: t for t, i in vocab.items()}
    added = {a["id"]: a for a in tok.get("added_tokens", [])}
    n = max(vocab_size, max(list(id2tok) + list(added)) + 1)
    tokens, types = [], []
    for i in range(n):
        if i in added:
            t = added[i]["content"]
            special = added[i].get("special", False) or (t.startswith("<|") and t.endswith("|>"))
            tokens.append(t); types.append(TOK_CONTROL if special else TOK_USER_DEFINED)
        elif i in id2tok:
            tokens.append(id2tok[i]); types.append(TOK_NORMAL)
        else:
            tokens.append(f"[PAD{i}]"); types.append(TOK_UNUSED)
    merges = tok["model"]["merges"]
    if merges and not isinstance(merges[0], str):
        # transformers >= 4.45 list format; spaces inside a part are encoded as U+0120+... like gguf-py
        merges = [" ".join("".join(chr(ord(c) + 256) if c == " " else c for c in p) for p in m)
                  for m in merges]
    tok2id = {t: i for i, t in enumerate(tokens)}
    return tokens, types, merges, tok2id


# ----------------------------------------------------------------------------- model
HF2GGUF = {
    "input_layernorm.weight": "attn_norm.weight",
    "self_attn.q_proj.weight": "attn_q.weight",
    "self_attn.k_proj.weight": "attn_k.weight",
    "self_attn.v_proj.weight": "attn_v.weight",
    "self_attn.o_proj.weight": "attn_output.weight",
    "self_attn.q_norm.weight": "attn_q_norm.weight",
    "self_attn.k_norm.weight": "attn_k_norm.weight",
    "post_attention_layernorm.weight": "ffn_norm.weight",
    "mlp.gate_proj.weight": "ffn_gate.weight",
    "mlp.up_proj.weight": "ffn_up.weight",
    "mlp.down_proj.weight": "ffn_down.weight",
}


def plan_tensors(cfg):
    """(gguf_name, hf_suffix, numpy shape) for all base-model tensors"""
    h, nl = cfg["hidden_size"], cfg["num_hidden_layers"]
    nh, kv = cfg["num_attention_heads"], cfg["num_key_value_heads"]
    hd = cfg.get("head_dim") or h // nh
    it, V = cfg["intermediate_size"], cfg["vocab_size"]
    shapes = {
        "input_layernorm.weight": (h,), "post_attention_layernorm.weight": (h,),
        "self_attn.q_proj.weight": (nh * hd, h), "self_attn.k_proj.weight": (kv * hd, h),
        "self_attn.v_proj.weight": (kv * hd, h), "self_attn.o_proj.weight": (h, nh * hd),
        "self_attn.q_norm.weight": (hd,), "self_attn.k_norm.weight": (hd,),
        "mlp.gate_proj.weight": (it, h), "mlp.up_proj.weight": (it, h), "mlp.down_proj.weight": (h, it),
    }
    plan = [("token_embd.weight", "embed_tokens.weight", (V, h))]
    for l in range(nl):
        for hf, gg in HF2GGUF.items():
            plan.append((f"blk.{l}.{gg}", f"layers.{l}.{hf}", shapes[hf]))
    plan.append(("output_norm.weight", "norm.weight", (h,)))
    return plan


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("src"); ap.add_argument("out")
    ap.add_argument("--type", default="f16", choices=list(TYPE))
    ap.add_argument("--kind", default="auto", choices=["auto", "embedding", "reranker"])
    ap.add_argument("--tokenizer", default=None)
    ap.add_argument("--random", action="store_true", help="ignore safetensors, use random weights")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--name", default=None)
    args = ap.parse_args()

    if os.path.isdir(args.src):
        folder, cfg_path = args.src, os.path.join(args.src, "config.json")
    else:
        folder, cfg_path = os.path.dirname(os.path.abspath(args.src)), args.src
    cfg = json.load(open(cfg_path))
    st_files = sorted(glob.glob(os.path.join(folder, "*.safetensors"))) if os.path.isdir(args.src) else []
    random_mode = args.random or not st_files

    kind = args.kind
    if kind == "auto":
        hint = (os.path.basename(os.path.abspath(args.src)) + " " + str(cfg.get("_name_or_path", "")) + " "
                + " ".join(cfg.get("architectures") or [])).lower()
        kind = "reranker" if ("rerank" in hint or "sequenceclassification" in hint) else "embedding"

    tok_path = args.tokenizer or (os.path.join(folder, "tokenizer.json")
                                  if os.path.isfile(os.path.join(folder, "tokenizer.json")) else DEFAULT_TOKENIZER)
    V = cfg["vocab_size"]
    tokens, toktypes, merges, tok2id = load_vocab(tok_path, V)
    if len(tokens) != V:
        sys.exit(f"tokenizer has {len(tokens)} ids but config vocab_size is {V}")

    h = cfg["hidden_size"]
    nh = cfg["num_attention_heads"]
    hd = cfg.get("head_dim") or h // nh
    tied = cfg.get("tie_word_embeddings", False)
    gtype = TYPE[args.type]
    rng = np.random.default_rng(args.seed)

    # ---- tensor sources
    st = None if random_mode else SafeTensors(st_files)
    prefix = ""
    if st is not None:
        ks = st.keys()
        prefix = "model." if any(k.startswith("model.embed_tokens") for k in ks) else ""

    def load(hf_suffix, shape):
        if st is None:
            if hf_suffix.endswith("norm.weight"):
                return np.ones(shape, dtype=np.float32)
            return (rng.standard_normal(shape, dtype=np.float32) * np.float32(0.02))
        x = st.get(prefix + hf_suffix if not hf_suffix.startswith("lm_head") else hf_suffix)
        assert tuple(x.shape) == tuple(shape), (hf_suffix, x.shape, shape)
        return x

    plan = plan_tensors(cfg)
    extra = []   # (gguf name, callable giving array, shape)
    cache = {}
    if kind == "reranker":
        yes_id, no_id = tok2id["yes"], tok2id["no"]
        have_lm_head = st is not None and "lm_head.weight" in st.index
        if not tied and (have_lm_head or st is None):
            def cls_rows():
                lm = load("lm_head.weight", (V, h))
                return np.stack([lm[yes_id], lm[no_id]])
        else:
            def cls_rows():
                emb = cache.get("token_embd.weight")
                if emb is None:
                    emb = load("embed_tokens.weight", (V, h))
                return np.stack([emb[yes_id], emb[no_id]])
        extra.append(("cls.output.weight", cls_rows, (2, h)))
    elif not tied and ((st is not None and "lm_head.weight" in st.index) or st is None):
        extra.append(("output.weight", lambda: load("lm_head.weight", (V, h)), (V, h)))

    # token_embd first so that a tied cls.output can reuse its rows
    entries = []
    for name, hf_suffix, shape in plan:
        entries.append((name, (lambda s=hf_suffix, sh=shape, n=name: cache.setdefault(n, load(s, sh)) if n == "token_embd.weight" else load(s, sh)), shape))
    entries += extra

    def ttype(name, shape):
        if len(shape) <= 1 or name.endswith("_norm.weight"):
            return GGML_F32
        if gtype == GGML_Q8_0 and shape[-1] % 32 != 0:
            return GGML_F16
        return gtype

    # ---- metadata
    a = "qwen3"
    kvs = KV()
    kvs.s("general.architecture", a)
    kvs.s("general.type", "model")
    kvs.s("general.name", args.name or os.path.basename(os.path.abspath(args.src)).replace(".json", ""))
    kvs.u32("general.file_type", FTYPE[args.type])
    kvs.u32("general.quantization_version", 2)
    kvs.u32("general.alignment", ALIGN)
    kvs.u32(f"{a}.context_length", cfg.get("max_position_embeddings", 32768))
    kvs.u32(f"{a}.embedding_length", h)
    kvs.u32(f"{a}.block_count", cfg["num_hidden_layers"])
    kvs.u32(f"{a}.feed_forward_length", cfg["intermediate_size"])
    kvs.u32(f"{a}.attention.head_count", nh)
    kvs.u32(f"{a}.attention.head_count_kv", cfg.get("num_key_value_heads", nh))
    kvs.u32(f"{a}.attention.key_length", hd)
    kvs.u32(f"{a}.attention.value_length", hd)
    kvs.f32(f"{a}.attention.layer_norm_rms_epsilon", cfg.get("rms_norm_eps", 1e-6))
    kvs.f32(f"{a}.rope.freq_base", cfg.get("rope_theta", 1000000.0))
    kvs.u32(f"{a}.pooling_type", POOLING_RANK if kind == "reranker" else POOLING_LAST)
    if kind == "reranker":
        kvs.arr(f"{a}.classifier.output_labels", T_STRING, ["yes", "no"])
    kvs.s("tokenizer.ggml.model", "gpt2")
    kvs.s("tokenizer.ggml.pre", "qwen2")
    kvs.arr("tokenizer.ggml.tokens", T_STRING, tokens)
    kvs.arr("tokenizer.ggml.token_type", T_INT32, toktypes)
    kvs.arr("tokenizer.ggml.merges", T_STRING, merges)
    endoftext, im_end = tok2id["<|endoftext|>"], tok2id["<|im_end|>"]
    if kind == "embedding":
        kvs.u32("tokenizer.ggml.eos_token_id", endoftext)
        kvs.u32("tokenizer.ggml.eot_token_id", im_end)
    else:
        kvs.u32("tokenizer.ggml.eos_token_id", im_end)
    kvs.u32("tokenizer.ggml.padding_token_id", endoftext)
    kvs.u32("tokenizer.ggml.bos_token_id", cfg.get("bos_token_id", endoftext))
    kvs.b("tokenizer.ggml.add_bos_token", False)
    kvs.b("tokenizer.ggml.add_eos_token", kind == "embedding")
    if kind == "reranker":
        kvs.s("tokenizer.chat_template.rerank", RERANK_TEMPLATE)
        kvs.arr("tokenizer.chat_templates", T_STRING, ["rerank"])

    # ---- tensor infos
    infos, offset = [], 0
    for name, _, shape in entries:
        t = ttype(name, shape)
        nb = tensor_nbytes(shape, t)
        infos.append((name, shape, t, offset, nb))
        offset += (nb + ALIGN - 1) // ALIGN * ALIGN

    header = [GGUF_MAGIC, struct.pack("<IQQ", GGUF_VERSION, len(entries), len(kvs.items)), kvs.encode()]
    for name, shape, t, off, _ in infos:
        ne = list(reversed(shape))          # ggml order: ne[0] is the contiguous (last numpy) dim
        header.append(_str(name) + struct.pack("<I", len(ne)) + struct.pack(f"<{len(ne)}Q", *ne)
                      + struct.pack("<IQ", t, off))
    hdr = b"".join(header)
    hdr += b"\0" * ((ALIGN - len(hdr) % ALIGN) % ALIGN)

    tmp = args.out + ".tmp"
    with open(tmp, "wb") as f:
        f.write(hdr)
        data_start = f.tell()
        for (name, get, shape), (_, _, t, off, nb) in zip(entries, infos):
            assert f.tell() - data_start == off
            x = get()
            assert tuple(x.shape) == tuple(shape), (name, x.shape, shape)
            written = 0
            for chunk in encode_tensor(x, t):
                f.write(chunk); written += len(chunk)
            assert written == nb, (name, written, nb)
            f.write(b"\0" * ((ALIGN - nb % ALIGN) % ALIGN))
            if name != "token_embd.weight":
                del x
    os.replace(tmp, args.out)
    n_params = sum(int(np.prod(s)) for _, _, s in entries)
    print(f"wrote {args.out}: kind={kind} type={args.type} weights={'random' if random_mode else 'safetensors'} "
          f"tensors={len(entries)} params={n_params} bytes={os.path.getsize(args.out)} vocab={len(tokens)}")


if __name__ == "__main__":
    main()
