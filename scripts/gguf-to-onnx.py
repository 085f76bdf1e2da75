#!/usr/bin/env python3
"""Converts a Llama-family GGUF (SmolLM2-135M-Instruct's) into the onnx-community export layout
the dataplane's ONNX runtime loads, so both local runtimes serve the same weights:

    config.json  generation_config.json  tokenizer.json  tokenizer_config.json  SHA256SUMS
    onnx/model.onnx       fp32: the GGUF's weights dequantized (Q4_1, Q8_0 -> float32)
    onnx/model_int8.onnx  int8 weights (DequantizeLinear per output channel) -> MatMul
    onnx/model_q4.onnx    4-bit weights in com.microsoft MatMulNBits (block 32), int8 embedding

The graph is scripts/llama_onnx.py's (shared with the tiny model). GGUF stores the query and key
projections permuted for llama.cpp's interleaved rotary embedding; they are permuted back to
Hugging Face's half-split layout. The tied output head is the token embedding. The tokenizer is
rebuilt from the GGUF's vocabulary and merges as a Hugging Face byte-level BPE tokenizer.json
(digits split one by one, as llama.cpp's `smollm` pre-tokenizer does); the chat template is the
GGUF's.

Determinism: dequantization and requantization are element-wise numpy on the file's bytes, and
graph nodes are named in build order, so the same gguf, numpy and onnx versions (pinned in
tests/requirements.txt) write the same bytes. SHA256SUMS lists every file written; --check fails
when the folder differs from what the script writes; --expect FILE fails when SHA256SUMS differs
from FILE (the committed sums).

Usage: python3 scripts/gguf-to-onnx.py GGUF OUT_DIR [--dtypes fp32,int8,q4] [--check] [--expect FILE]
"""

import argparse
import hashlib
import json
import os
import sys
import tempfile

import numpy as np
from gguf import GGMLQuantizationType, GGUFReader
from gguf.quants import dequantize

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from llama_onnx import Dims, Q4Blocks, build_model  # noqa: E402

FILES = {"fp32": "model.onnx", "int8": "model_int8.onnx", "q4": "model_q4.onnx"}
CONTROL = 3  # llama.cpp token type of special tokens


def field(reader, key, default=None):
    found = reader.fields.get(key)
    if found is None:
        return default
    value = found.contents()
    return value


def q4_1_blocks(raw, rows):
    """A Q4_1 matrix's blocks (per 32 inputs: f16 scale d, f16 minimum m, 16 bytes of nibbles,
    low nibbles the first 16 values) as (q packed for MatMulNBits, d, d * 8 + m): d*q + m is
    d * (q - 8) + (d * 8 + m), exactly."""
    blocks = np.frombuffer(raw.tobytes(), dtype=np.uint8).reshape(rows, -1, 20)
    d = blocks[:, :, 0:2].copy().view(np.float16)[:, :, 0].astype(np.float32)
    m = blocks[:, :, 2:4].copy().view(np.float16)[:, :, 0].astype(np.float32)
    nibbles = blocks[:, :, 4:]
    q = np.concatenate([nibbles & 0x0F, nibbles >> 4], axis=2)  # [rows, blocks, 32] in order
    packed = (q[:, :, 0::2] | (q[:, :, 1::2] << 4)).astype(np.uint8)
    return packed, d, (d * 8 + m).astype(np.float32)


def read_weights(reader, dims):
    """HF-named weights: norms and the embedding float32, matrices [in, out] (what the graph
    multiplies by), kept as Q4Blocks where the GGUF stores them as Q4_1."""
    tensors = {}
    blocks = {}
    for tensor in reader.tensors:
        values = dequantize(tensor.data, tensor.tensor_type).astype(np.float32)
        shape = tuple(int(n) for n in reversed(tensor.shape))  # numpy order: [out, in]
        tensors[tensor.name] = values.reshape(shape)
        if tensor.tensor_type == GGMLQuantizationType.Q4_1:
            blocks[tensor.name] = q4_1_blocks(tensor.data, shape[0])

    def rows(heads, count):
        """The order that undoes llama.cpp's q/k permutation (interleaved -> half-split rotary)."""
        return np.arange(count).reshape(heads, 2, count // heads // 2).swapaxes(1, 2).reshape(-1)

    def unpermute(weight, heads):
        order = np.argsort(rows(heads, weight.shape[0]))
        return weight[order]

    def matrix(name, heads=None):
        dense = tensors[name] if heads is None else unpermute(tensors[name], heads)
        dense = np.ascontiguousarray(dense.T)
        if name not in blocks:
            return dense
        packed, scale, offset = blocks[name]
        if heads is not None:
            order = np.argsort(rows(heads, packed.shape[0]))
            packed, scale, offset = packed[order], scale[order], offset[order]
        return Q4Blocks(np.ascontiguousarray(packed), scale.reshape(-1), np.ascontiguousarray(offset.T), dense)

    weights = {"model.embed_tokens.weight": tensors["token_embd.weight"], "model.norm.weight": tensors["output_norm.weight"]}
    head = tensors.get("output.weight", tensors["token_embd.weight"])
    weights["lm_head.weight"] = np.ascontiguousarray(head.T)
    for layer in range(dims.layers):
        t = lambda name: tensors[f"blk.{layer}.{name}.weight"]  # noqa: E731
        p = f"model.layers.{layer}"
        weights[f"{p}.input_layernorm.weight"] = t("attn_norm")
        weights[f"{p}.post_attention_layernorm.weight"] = t("ffn_norm")
        b = f"blk.{layer}"
        weights[f"{p}.self_attn.q_proj.weight"] = matrix(f"{b}.attn_q.weight", dims.heads)
        weights[f"{p}.self_attn.k_proj.weight"] = matrix(f"{b}.attn_k.weight", dims.kv_heads)
        weights[f"{p}.self_attn.v_proj.weight"] = matrix(f"{b}.attn_v.weight")
        weights[f"{p}.self_attn.o_proj.weight"] = matrix(f"{b}.attn_output.weight")
        weights[f"{p}.mlp.gate_proj.weight"] = matrix(f"{b}.ffn_gate.weight")
        weights[f"{p}.mlp.up_proj.weight"] = matrix(f"{b}.ffn_up.weight")
        weights[f"{p}.mlp.down_proj.weight"] = matrix(f"{b}.ffn_down.weight")
    return weights


def tokenizer_files(reader):
    tokens = [str(token) for token in field(reader, "tokenizer.ggml.tokens")]
    types = [int(kind) for kind in field(reader, "tokenizer.ggml.token_type")]
    merges = [str(merge) for merge in field(reader, "tokenizer.ggml.merges")]
    if field(reader, "tokenizer.ggml.model") != "gpt2":
        sys.exit("only byte-level BPE (tokenizer.ggml.model gpt2) vocabularies are converted")
    bos = tokens[int(field(reader, "tokenizer.ggml.bos_token_id"))]
    eos_id = int(field(reader, "tokenizer.ggml.eos_token_id"))
    pad_id = int(field(reader, "tokenizer.ggml.padding_token_id", eos_id))
    specials = [index for index, kind in enumerate(types) if kind == CONTROL]
    byte_level = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True}
    tokenizer = {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [
            {"id": index, "content": tokens[index], "single_word": False, "lstrip": False, "rstrip": False, "normalized": False, "special": True}
            for index in specials
        ],
        "normalizer": None,
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [{"type": "Digits", "individual_digits": True}, byte_level]},
        "post_processor": {**byte_level, "trim_offsets": False},
        "decoder": byte_level,
        "model": {
            "type": "BPE",
            "dropout": None,
            "unk_token": None,
            "continuing_subword_prefix": None,
            "end_of_word_suffix": None,
            "fuse_unk": False,
            "byte_fallback": False,
            "ignore_merges": False,
            "vocab": {token: index for index, token in enumerate(tokens)},
            "merges": merges,
        },
    }
    config = {
        "tokenizer_class": "GPT2Tokenizer",
        "bos_token": bos,
        "eos_token": tokens[eos_id],
        "pad_token": tokens[pad_id],
        "unk_token": None,
        "add_bos_token": bool(field(reader, "tokenizer.ggml.add_bos_token", False)),
        "clean_up_tokenization_spaces": False,
        "chat_template": field(reader, "tokenizer.chat_template"),
        "added_tokens_decoder": {
            str(index): {"content": tokens[index], "lstrip": False, "normalized": False, "rstrip": False, "single_word": False, "special": True}
            for index in specials
        },
    }
    return tokenizer, config, eos_id, pad_id, len(tokens)


def convert(gguf_path, dtypes):
    reader = GGUFReader(gguf_path)
    arch = field(reader, "general.architecture")
    if arch != "llama":
        sys.exit(f"general.architecture is {arch}; only llama is converted")
    a = lambda key: field(reader, f"llama.{key}")  # noqa: E731
    hidden, heads = int(a("embedding_length")), int(a("attention.head_count"))
    dims = Dims(
        hidden=hidden,
        layers=int(a("block_count")),
        heads=heads,
        kv_heads=int(a("attention.head_count_kv")),
        head_dim=int(a("rope.dimension_count") or hidden // heads),
        eps=float(np.float32(a("attention.layer_norm_rms_epsilon"))),
    )
    theta = float(a("rope.freq_base"))
    inv_freq = (1.0 / (theta ** (np.arange(0, dims.head_dim, 2, dtype=np.float64) / dims.head_dim))).astype(np.float32)
    weights = read_weights(reader, dims)
    tokenizer, tokenizer_config, eos_id, pad_id, vocab_size = tokenizer_files(reader)
    producer = "inference-service/scripts/gguf-to-onnx.py"
    files = {}
    for dtype in dtypes:
        # Under q4 the output head stays float32: int8 would dequantize 28M weights every step
        # (a quarter of the step), and 4 bits cost accuracy on the most sensitive matrix.
        head = "fp32" if dtype == "q4" else None
        name = str(field(reader, "general.name", "model"))
        model = build_model(dtype, weights, inv_freq, vocab_size, dims, name, producer, head, row_lookup=True)
        files[f"onnx/{FILES[dtype]}"] = model.SerializeToString()
        del model
    config = {
        "architectures": ["LlamaForCausalLM"],
        "model_type": "llama",
        "hidden_size": dims.hidden,
        "intermediate_size": int(a("feed_forward_length")),
        "num_hidden_layers": dims.layers,
        "num_attention_heads": dims.heads,
        "num_key_value_heads": dims.kv_heads,
        "head_dim": dims.head_dim,
        "vocab_size": vocab_size,
        "max_position_embeddings": int(a("context_length")),
        "rms_norm_eps": dims.eps,
        "rope_theta": theta,
        "bos_token_id": int(field(reader, "tokenizer.ggml.bos_token_id")),
        "eos_token_id": eos_id,
        "pad_token_id": pad_id,
        "tie_word_embeddings": "output.weight" not in [t.name for t in reader.tensors],
        "torch_dtype": "float32",
    }
    generation = {"eos_token_id": eos_id, "pad_token_id": pad_id, "do_sample": False}
    for name, value in (
        ("config.json", config),
        ("generation_config.json", generation),
        ("tokenizer.json", tokenizer),
        ("tokenizer_config.json", tokenizer_config),
    ):
        files[name] = (json.dumps(value, indent=2, ensure_ascii=False) + "\n").encode("utf-8")
    files["SHA256SUMS"] = "".join(f"{hashlib.sha256(content).hexdigest()}  {name}\n" for name, content in sorted(files.items())).encode()
    return files


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("gguf")
    parser.add_argument("out")
    parser.add_argument("--dtypes", default="fp32,int8,q4")
    parser.add_argument("--check", action="store_true", help="fail when the files in OUT differ from what this script writes")
    parser.add_argument("--expect", help="fail when SHA256SUMS differs from this file")
    args = parser.parse_args()
    dtypes = [dtype for dtype in args.dtypes.split(",") if dtype]
    unknown = [dtype for dtype in dtypes if dtype not in FILES]
    if unknown:
        sys.exit(f"unknown dtypes {unknown}; known: {', '.join(FILES)}")
    files = convert(args.gguf, dtypes)
    if args.expect is not None:
        with open(args.expect, "rb") as handle:
            expected = dict(line.split(b"  ", 1)[::-1] for line in handle.read().splitlines() if line)
        actual = dict(line.split(b"  ", 1)[::-1] for line in files["SHA256SUMS"].splitlines())
        differ = sorted(name.decode() for name in actual if expected.get(name) != actual[name])
        if differ:
            sys.exit(f"not the committed checksums ({args.expect}): {', '.join(differ)}")
    stale = []
    # SHA256SUMS last: a folder that has it is complete (make's target is that file).
    for name, content in sorted(files.items(), key=lambda item: (item[0] == "SHA256SUMS", item[0])):
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
        print(f"wrote {path} ({len(content)} bytes, sha256 {hashlib.sha256(content).hexdigest()[:12]})")
    if stale:
        sys.exit("stale (rerun scripts/gguf-to-onnx.py): " + ", ".join(stale))


if __name__ == "__main__":
    main()
