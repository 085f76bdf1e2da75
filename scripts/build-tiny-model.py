#!/usr/bin/env python3
"""Builds models/tiny: a tiny decoder-only language model in the common ONNX export layout.

The layout is what Hugging Face Optimum and onnx-community exports of Llama-style models use, so
the dataplane's local provider loads real exports the same way:

    config.json  generation_config.json  tokenizer.json  tokenizer_config.json
    onnx/model.onnx       fp32
    onnx/model_fp16.onnx  fp16 weights, fp16 inputs/outputs (past/present key/values, logits)
    onnx/model_int8.onnx  int8 weights (DequantizeLinear, per output channel) -> MatMul
    onnx/model_q4.onnx    4-bit weights in com.microsoft MatMulNBits (block 32), int8 embedding

Graph inputs: input_ids, attention_mask, position_ids, past_key_values.{i}.key/value
[batch, kv_heads, past, head_dim]; outputs: logits [batch, seq, vocab], present.{i}.key/value.
Two layers of RMSNorm, grouped-query attention with rotary embeddings (4 query heads, 2 KV
heads), and a SwiGLU MLP.

Weights are not trained by gradient descent; they are constructed: a byte-level BPE tokenizer
learned from a small corpus, the corpus's bigram table folded into the embedding and the LM head
(so sampled text is English-like), and one chain of tokens that greedy decoding follows after
`<|assistant|>`: the answer below. Attention and MLP weights are small random matrices: they
perturb the logits (so the KV cache matters and is tested) without changing the greedy answer.

Determinism: every number comes from integer arithmetic or element-wise IEEE operations on a
seeded PCG64 stream (no BLAS, no LAPACK), so the same numpy and onnx versions write the same
bytes on any machine. `--check` verifies that the files in the output folder are what this
script writes.

Usage: python3 scripts/build-tiny-model.py [--out models/tiny] [--check]
"""

import argparse
import hashlib
import json
import os
import re
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from llama_onnx import Dims, build_model as build_decoder  # noqa: E402

SEED = 20260601
HIDDEN = 64
LAYERS = 2
HEADS = 4
KV_HEADS = 2
HEAD_DIM = HIDDEN // HEADS
INTERMEDIATE = 128
EPS = 1e-5
ROPE_THETA = 10000.0
MAX_POSITIONS = 2048
NUM_MERGES = 240
DIMS = Dims(hidden=HIDDEN, layers=LAYERS, heads=HEADS, kv_heads=KV_HEADS, head_dim=HEAD_DIM, eps=EPS)

SPECIALS = ["<|endoftext|>", "<|system|>", "<|user|>", "<|assistant|>", "<|end|>"]
ANSWER = "Hello! I am a tiny local model, running on ONNX Runtime inside the gateway."
CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|' + message['role'] + '|>\\n' + message['content'] + '<|end|>\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|assistant|>' }}{% endif %}"
)
CORPUS = """
The gateway routes every request to a model. A route is a list of targets, and the first healthy
target serves the answer. When a provider fails before the first token, the next target takes
over and the client never knows. When it fails later, the stream ends with an error, or the next
target continues the answer. The local model runs inside the gateway on ONNX Runtime, on the CPU
or on a GPU when one is present. It is small, so it answers fast, and it is tiny, so it knows
very little. Tokens stream one by one. The cache keeps the keys and values of the past, so each
new token costs one step. A stop sequence ends the answer early, and the token limit ends it
too. Hello! I am a tiny local model, running on ONNX Runtime inside the gateway.
Hello! I am a tiny local model, running on ONNX Runtime inside the gateway.
Hello! I am a tiny local model, running on ONNX Runtime inside the gateway.
"""

PRETOKENIZE = re.compile(r"'s|'t|'re|'ve|'m|'ll|'d| ?[A-Za-z]+| ?[0-9]+| ?[^\sA-Za-z0-9]+|\s+(?!\S)|\s+")


# ---- tokenizer ---------------------------------------------------------------------------


def bytes_to_unicode():
    """GPT-2's reversible map from bytes to printable characters (what ByteLevel uses)."""
    visible = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    codes = visible[:]
    extra = 0
    for byte in range(256):
        if byte not in visible:
            visible.append(byte)
            codes.append(256 + extra)
            extra += 1
    return {byte: chr(code) for byte, code in zip(visible, codes)}


BYTE_CHARS = bytes_to_unicode()


def pieces(text):
    return ["".join(BYTE_CHARS[b] for b in piece.encode("utf-8")) for piece in PRETOKENIZE.findall(text)]


def learn_merges(text, count):
    words = {}
    for piece in pieces(text):
        words[tuple(piece)] = words.get(tuple(piece), 0) + 1
    merges = []
    for _ in range(count):
        pairs = {}
        for word, freq in words.items():
            for pair in zip(word, word[1:]):
                pairs[pair] = pairs.get(pair, 0) + freq
        if not pairs:
            break
        best = min(pairs, key=lambda pair: (-pairs[pair], pair))
        if pairs[best] < 2:
            break
        merges.append(best)
        merged = {}
        for word, freq in words.items():
            out, i = [], 0
            while i < len(word):
                if i + 1 < len(word) and (word[i], word[i + 1]) == best:
                    out.append(word[i] + word[i + 1])
                    i += 2
                else:
                    out.append(word[i])
                    i += 1
            merged[tuple(out)] = merged.get(tuple(out), 0) + freq
        words = merged
    return merges


def build_vocab(merges):
    vocab = {BYTE_CHARS[b]: b for b in range(256)}
    for left, right in merges:
        vocab.setdefault(left + right, len(vocab))
    for special in SPECIALS:
        vocab[special] = len(vocab)
    return vocab


def encode(text, vocab, merges):
    """Plain BPE (lowest merge rank first) over the pre-tokenised pieces; no special tokens."""
    ranks = {pair: rank for rank, pair in enumerate(merges)}
    ids = []
    for piece in pieces(text):
        word = list(piece)
        while len(word) > 1:
            candidates = [(ranks.get((a, b), 1 << 30), i) for i, (a, b) in enumerate(zip(word, word[1:]))]
            rank, i = min(candidates)
            if rank == 1 << 30:
                break
            word[i : i + 2] = [word[i] + word[i + 1]]
        ids.extend(vocab[token] for token in word)
    return ids


def tokenizer_json(vocab, merges):
    added = [
        {"id": vocab[s], "content": s, "single_word": False, "lstrip": False, "rstrip": False, "normalized": False, "special": True}
        for s in SPECIALS
    ]
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": None,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
        "post_processor": None,
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {
            "type": "BPE",
            "dropout": None,
            "unk_token": None,
            "continuing_subword_prefix": None,
            "end_of_word_suffix": None,
            "fuse_unk": False,
            "byte_fallback": False,
            "ignore_merges": False,
            "vocab": {token: i for token, i in sorted(vocab.items(), key=lambda item: item[1]) if token not in SPECIALS},
            "merges": [[left, right] for left, right in merges],
        },
    }


# ---- weights -----------------------------------------------------------------------------


def uniform(rng, shape, scale):
    """Integers in [-127, 127] scaled: deterministic on every machine (no transcendental math)."""
    return (rng.integers(-127, 128, size=shape).astype(np.float64) * (scale / 127.0)).astype(np.float32)


def build_weights(vocab, merges):
    rng = np.random.Generator(np.random.PCG64(SEED))
    size = len(vocab)
    corpus_dims = 24
    chain_dims = HIDDEN - corpus_dims

    # Bigram levels of the corpus (integers), then the answer chain after <|assistant|>.
    bigram = np.zeros((size, size), dtype=np.int64)
    for line in [line for line in CORPUS.strip().split("\n")]:
        ids = encode(line.strip(), vocab, merges)
        for a, b in zip(ids, ids[1:]):
            bigram[a, b] = min(6, bigram[a, b] + 1)
    chain = [vocab["<|assistant|>"]] + encode(ANSWER, vocab, merges) + [vocab["<|end|>"]]
    if len(set(chain)) != len(chain) or len(chain) - 1 > chain_dims:
        sys.exit(f"the answer chain must be {chain_dims} distinct tokens at most: {chain}")

    signs = rng.integers(0, 2, size=(size, corpus_dims)).astype(np.int64) * 2 - 1
    embed = np.zeros((size, HIDDEN), dtype=np.float64)
    embed[:, chain_dims:] = signs * 0.3
    lm_head = np.zeros((HIDDEN, size), dtype=np.float64)
    # signs^T @ bigram in exact integer arithmetic: every corpus successor gets its level.
    lm_head[chain_dims:, :] = (signs.T @ bigram).astype(np.float64) * (1.0 / corpus_dims)
    for position, (token, successor) in enumerate(zip(chain, chain[1:])):
        embed[token, position] = 1.0
        lm_head[position, successor] = 8.0

    weights = {"model.embed_tokens.weight": embed.astype(np.float32)}
    for layer in range(LAYERS):
        prefix = f"model.layers.{layer}"
        weights[f"{prefix}.input_layernorm.weight"] = np.ones(HIDDEN, dtype=np.float32)
        weights[f"{prefix}.self_attn.q_proj.weight"] = uniform(rng, (HIDDEN, HEADS * HEAD_DIM), 0.5)
        weights[f"{prefix}.self_attn.k_proj.weight"] = uniform(rng, (HIDDEN, KV_HEADS * HEAD_DIM), 0.5)
        weights[f"{prefix}.self_attn.v_proj.weight"] = uniform(rng, (HIDDEN, KV_HEADS * HEAD_DIM), 0.5)
        weights[f"{prefix}.self_attn.o_proj.weight"] = uniform(rng, (HEADS * HEAD_DIM, HIDDEN), 0.01)
        weights[f"{prefix}.post_attention_layernorm.weight"] = np.ones(HIDDEN, dtype=np.float32)
        weights[f"{prefix}.mlp.gate_proj.weight"] = uniform(rng, (HIDDEN, INTERMEDIATE), 0.3)
        weights[f"{prefix}.mlp.up_proj.weight"] = uniform(rng, (HIDDEN, INTERMEDIATE), 0.3)
        weights[f"{prefix}.mlp.down_proj.weight"] = uniform(rng, (INTERMEDIATE, HIDDEN), 0.01)
    weights["model.norm.weight"] = np.ones(HIDDEN, dtype=np.float32)
    weights["lm_head.weight"] = lm_head.astype(np.float32)
    inv_freq = 1.0 / (ROPE_THETA ** (np.arange(0, HEAD_DIM, 2, dtype=np.float64) / HEAD_DIM))
    return weights, inv_freq.astype(np.float32), chain


# ---- graph -------------------------------------------------------------------------------


# ---- reference forward pass (verification only) ------------------------------------------


def reference_greedy(weights, inv_freq, prompt_ids, steps, eos):
    """Greedy decoding in numpy, recomputing the whole sequence each step (no cache)."""

    def rms(x, weight):
        return x / np.sqrt((x * x).mean(-1, keepdims=True) + EPS) * weight

    ids = list(prompt_ids)
    out = []
    for _ in range(steps):
        n = len(ids)
        x = weights["model.embed_tokens.weight"][ids].astype(np.float64)
        angles = np.arange(n)[:, None] * inv_freq[None, :]
        angles = np.concatenate([angles, angles], -1)
        cos, sin = np.cos(angles), np.sin(angles)
        rot = lambda t: np.concatenate([-t[..., HEAD_DIM // 2 :], t[..., : HEAD_DIM // 2]], -1)  # noqa: E731
        mask = np.triu(np.full((n, n), -1e9), 1)
        for layer in range(LAYERS):
            p = f"model.layers.{layer}"
            h = rms(x, weights[f"{p}.input_layernorm.weight"])
            q = (h @ weights[f"{p}.self_attn.q_proj.weight"]).reshape(n, HEADS, HEAD_DIM).transpose(1, 0, 2)
            k = (h @ weights[f"{p}.self_attn.k_proj.weight"]).reshape(n, KV_HEADS, HEAD_DIM).transpose(1, 0, 2)
            v = (h @ weights[f"{p}.self_attn.v_proj.weight"]).reshape(n, KV_HEADS, HEAD_DIM).transpose(1, 0, 2)
            q, k = q * cos + rot(q) * sin, k * cos + rot(k) * sin
            k, v = np.repeat(k, HEADS // KV_HEADS, 0), np.repeat(v, HEADS // KV_HEADS, 0)
            scores = q @ k.transpose(0, 2, 1) / np.sqrt(HEAD_DIM) + mask
            probs = np.exp(scores - scores.max(-1, keepdims=True))
            probs /= probs.sum(-1, keepdims=True)
            context = (probs @ v).transpose(1, 0, 2).reshape(n, HIDDEN)
            x = x + context @ weights[f"{p}.self_attn.o_proj.weight"]
            h = rms(x, weights[f"{p}.post_attention_layernorm.weight"])
            gate = h @ weights[f"{p}.mlp.gate_proj.weight"]
            x = x + (gate / (1 + np.exp(-gate)) * (h @ weights[f"{p}.mlp.up_proj.weight"])) @ weights[f"{p}.mlp.down_proj.weight"]
        logits = rms(x, weights["model.norm.weight"]) @ weights["lm_head.weight"]
        token = int(np.argmax(logits[-1]))
        out.append(token)
        if token in eos:
            break
        ids.append(token)
    return out


# ---- files -------------------------------------------------------------------------------


def to_json(value, indent=0, prefix=0):
    """JSON as prettier formats it (printWidth 100), so the committed files pass `prettier --check`:
    objects one key a line; an array on one line when it fits and does not hold several
    objects or arrays, otherwise one element a line."""
    pad = "  " * indent
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = [f'{pad}  {json.dumps(k, ensure_ascii=False)}: {to_json(v, indent + 1, len(pad) + 4 + len(json.dumps(k, ensure_ascii=False)))}' for k, v in value.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(value, list):
        if not value:
            return "[]"
        nested = sum(1 for v in value if isinstance(v, (dict, list)) and len(v) > 1)
        flat = "[" + ", ".join(to_json(v, indent, 0) for v in value) + "]"
        if not (len(value) > 1 and nested == len(value)) and "\n" not in flat and prefix + len(flat) + 1 <= 100:
            return flat
        items = [pad + "  " + to_json(v, indent + 1, len(pad) + 2) for v in value]
        return "[\n" + ",\n".join(items) + "\n" + pad + "]"
    if isinstance(value, float):
        # Prettier writes exponents without a plus sign or leading zeros: 1e-5, not 1e-05.
        return re.sub(r"e([+-])0*(\d)", lambda m: "e" + ("-" if m.group(1) == "-" else "") + m.group(2), json.dumps(value))
    return json.dumps(value, ensure_ascii=False)



def write_all(out):
    merges = learn_merges(CORPUS, NUM_MERGES)
    vocab = build_vocab(merges)
    weights, inv_freq, chain = build_weights(vocab, merges)
    eos = [vocab["<|end|>"], vocab["<|endoftext|>"]]
    prompt = [vocab["<|user|>"]] + encode("\nhi there", vocab, merges) + [vocab["<|end|>"]] + encode("\n", vocab, merges) + [vocab["<|assistant|>"]]
    greedy = reference_greedy(weights, inv_freq, prompt, len(chain) + 2, eos)
    if greedy != chain[1:]:
        sys.exit(f"the reference greedy answer {greedy} is not the chain {chain[1:]}")

    files = {}
    for dtype, filename in (("fp32", "model.onnx"), ("fp16", "model_fp16.onnx"), ("int8", "model_int8.onnx"), ("q4", "model_q4.onnx")):
        model = build_decoder(dtype, weights, inv_freq, len(vocab), DIMS, "tiny", "inference-service/scripts/build-tiny-model.py")
        files[f"onnx/{filename}"] = model.SerializeToString()
    special = {s: vocab[s] for s in SPECIALS}
    config = {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "hidden_size": HIDDEN,
        "intermediate_size": INTERMEDIATE,
        "num_hidden_layers": LAYERS,
        "num_attention_heads": HEADS,
        "num_key_value_heads": KV_HEADS,
        "head_dim": HEAD_DIM,
        "vocab_size": len(vocab),
        "max_position_embeddings": MAX_POSITIONS,
        "rms_norm_eps": EPS,
        "rope_theta": ROPE_THETA,
        "bos_token_id": None,
        "eos_token_id": eos,
        "pad_token_id": special["<|endoftext|>"],
        "tie_word_embeddings": False,
        "torch_dtype": "float32",
    }
    generation = {"eos_token_id": eos, "pad_token_id": special["<|endoftext|>"], "do_sample": False, "max_new_tokens": 64}
    tokenizer_config = {
        "tokenizer_class": "PreTrainedTokenizerFast",
        "bos_token": None,
        "eos_token": "<|end|>",
        "pad_token": "<|endoftext|>",
        "unk_token": None,
        "model_max_length": MAX_POSITIONS,
        "clean_up_tokenization_spaces": False,
        "chat_template": CHAT_TEMPLATE,
        "added_tokens_decoder": {
            str(vocab[s]): {"content": s, "lstrip": False, "normalized": False, "rstrip": False, "single_word": False, "special": True}
            for s in SPECIALS
        },
    }
    for name, value in (
        ("config.json", config),
        ("generation_config.json", generation),
        ("tokenizer.json", tokenizer_json(vocab, merges)),
        ("tokenizer_config.json", tokenizer_config),
    ):
        files[name] = (to_json(value) + "\n").encode("utf-8")
    files["README.md"] = (
        "# tiny\n\nA tiny decoder-only model built by `scripts/build-tiny-model.py` (constructed, not trained):\n"
        f"greedy decoding answers `{ANSWER}` to any chat. Do not edit: rerun the script.\n"
    ).encode("utf-8")
    return files


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", default=os.path.join(os.path.dirname(__file__), "..", "models", "tiny"))
    parser.add_argument("--check", action="store_true", help="fail when the files in --out differ from what this script writes")
    args = parser.parse_args()
    files = write_all(args.out)
    stale = []
    for name, content in sorted(files.items()):
        path = os.path.join(args.out, name)
        if args.check:
            try:
                with open(path, "rb") as existing:
                    if existing.read() != content:
                        stale.append(name)
            except FileNotFoundError:
                stale.append(name)
            continue
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=os.path.dirname(path), delete=False) as temporary:
            temporary.write(content)
        os.chmod(temporary.name, 0o644)
        os.replace(temporary.name, path)
        print(f"wrote {os.path.relpath(path)} ({len(content)} bytes, sha256 {hashlib.sha256(content).hexdigest()[:12]})")
    if stale:
        sys.exit("stale (rerun scripts/build-tiny-model.py): " + ", ".join(stale))


if __name__ == "__main__":
    main()
