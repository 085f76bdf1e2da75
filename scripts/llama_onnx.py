"""The decoder-only ONNX graph of the common export layout (Llama family), shared by
scripts/build-tiny-model.py (models/tiny) and scripts/gguf-to-onnx.py (SmolLM2 from its GGUF).

Graph inputs: input_ids, attention_mask, position_ids, past_key_values.{i}.key/value
[batch, kv_heads, past, head_dim]; outputs: logits [batch, seq, vocab], present.{i}.key/value.
RMSNorm, grouped-query attention with rotary embeddings (half-split, as Hugging Face's Llama),
a SwiGLU MLP. Weight storage per variant: fp32; fp16 (fp16 weights and fp16 inputs/outputs);
int8 (DequantizeLinear per output channel, then MatMul); q4 (com.microsoft MatMulNBits, 4 bits,
block 32, int8 embedding). Node names are numbered in build order, so equal inputs give equal bytes.
"""

from dataclasses import dataclass

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17


@dataclass(frozen=True)
class Q4Blocks:
    """A matrix already in asymmetric 4-bit blocks of 32 along its input dimension (GGUF's
    Q4_1: w = scale * q + offset), kept exact: MatMulNBits computes x @ (scale * (q - 8)) on its
    fast kernel (no zero points: they would need to be fractional, and ONNX Runtime's float
    zero-point path is ~6x slower), and the per-block constant scale * 8 + offset is added as
    the block sums of x times a small [in / 32, out] matrix. `dense` ([in, out] float32) serves
    the other variants."""

    packed: np.ndarray  # uint8 [out, in / 32, 16]: element 2i in the low nibble of byte i
    scales: np.ndarray  # float32 [out * in / 32]
    offsets: np.ndarray  # float32 [in / 32, out]: scale * 8 + offset per block
    dense: np.ndarray


@dataclass(frozen=True)
class Dims:
    hidden: int
    layers: int
    heads: int
    kv_heads: int
    head_dim: int
    eps: float


class Graph:
    """A small builder: unique names, constants and the weight-storage variants."""

    def __init__(self, dtype, eps):
        self.dtype = dtype
        self.eps = eps
        self.nodes = []
        self.initializers = []
        self.count = 0

    def name(self, hint):
        self.count += 1
        return f"/{hint}_{self.count}"

    def node(self, op, inputs, hint=None, domain=None, **attrs):
        out = self.name(hint or op)
        self.nodes.append(helper.make_node(op, inputs, [out], name=out + "/node", domain=domain, **attrs))
        return out

    def const(self, value, hint="const"):
        name = self.name(hint)
        self.initializers.append(numpy_helper.from_array(np.asarray(value), name))
        return name

    def float_weight(self, name, value):
        """A float tensor (norm weights), fp16-stored in the fp16 variant."""
        if self.dtype == "fp16":
            self.initializers.append(numpy_helper.from_array(value.astype(np.float16), name))
            return self.node("Cast", [name], hint=name, to=TensorProto.FLOAT)
        self.initializers.append(numpy_helper.from_array(value, name))
        return name

    def embedding(self, name, value):
        if self.dtype in ("int8", "q4"):
            scale = np.maximum(np.abs(value).max(axis=1), 1e-8) / 127.0
            quantized = np.clip(np.round(value / scale[:, None]), -127, 127).astype(np.int8)
            self.initializers.append(numpy_helper.from_array(quantized, name + "_quantized"))
            self.initializers.append(numpy_helper.from_array(scale.astype(np.float32), name + "_scale"))
            return self.node("DequantizeLinear", [name + "_quantized", name + "_scale"], hint=name, axis=0)
        return self.float_weight(name, value)

    def lookup(self, name, value, ids):
        """Rows of the embedding for `ids`; int8-stored rows are gathered before they are
        dequantized, not the whole table dequantized every step."""
        if self.dtype not in ("int8", "q4"):
            return self.node("Gather", [self.float_weight(name, value), ids], axis=0)
        scale = np.maximum(np.abs(value).max(axis=1), 1e-8) / 127.0
        quantized = np.clip(np.round(value / scale[:, None]), -127, 127).astype(np.int8)
        self.initializers.append(numpy_helper.from_array(quantized, name + "_quantized"))
        self.initializers.append(numpy_helper.from_array(scale.astype(np.float32), name + "_scale"))
        rows = self.node("Cast", [self.node("Gather", [name + "_quantized", ids], axis=0)], to=TensorProto.FLOAT)
        scales = self.node("Unsqueeze", [self.node("Gather", [name + "_scale", ids], axis=0), self.const(np.array([-1], dtype=np.int64), "axes")])
        return self.node("Mul", [rows, scales])

    def matmul(self, x, name, weight, dtype=None):
        """x @ weight ([in, out], or Q4Blocks) in this variant's storage (or `dtype`'s)."""
        dtype = dtype or self.dtype
        if isinstance(weight, Q4Blocks):
            if dtype == "q4":
                n, blocks, _ = weight.packed.shape
                self.initializers.append(numpy_helper.from_array(weight.packed, name + "_q4"))
                self.initializers.append(numpy_helper.from_array(weight.scales, name + "_scales"))
                self.initializers.append(numpy_helper.from_array(weight.offsets, name + "_offsets"))
                inputs = [x, name + "_q4", name + "_scales"]
                product = self.node("MatMulNBits", inputs, domain="com.microsoft", K=blocks * 32, N=n, bits=4, block_size=32)
                shape = self.const(np.array([0, 0, blocks, 32], dtype=np.int64), "shape")
                sums = self.node("ReduceSum", [self.node("Reshape", [x, shape]), self.const(np.array([-1], dtype=np.int64), "axes")], keepdims=0)
                return self.node("Add", [product, self.node("MatMul", [sums, name + "_offsets"])])
            weight = weight.dense
        if dtype == "int8":
            scale = np.maximum(np.abs(weight).max(axis=0), 1e-8) / 127.0
            quantized = np.clip(np.round(weight / scale[None, :]), -127, 127).astype(np.int8)
            self.initializers.append(numpy_helper.from_array(quantized, name + "_quantized"))
            self.initializers.append(numpy_helper.from_array(scale.astype(np.float32), name + "_scale"))
            w = self.node("DequantizeLinear", [name + "_quantized", name + "_scale"], hint=name, axis=1)
            return self.node("MatMul", [x, w])
        if dtype == "q4":
            k, n = weight.shape
            block = 32
            blocks = weight.T.reshape(n, k // block, block)
            scale = np.maximum(np.abs(blocks).max(axis=2), 1e-8) / 7.0
            q = (np.clip(np.round(blocks / scale[:, :, None]), -8, 7) + 8).astype(np.uint8)
            packed = (q[:, :, 0::2] | (q[:, :, 1::2] << 4)).astype(np.uint8)
            self.initializers.append(numpy_helper.from_array(packed, name + "_q4"))
            self.initializers.append(numpy_helper.from_array(scale.reshape(-1).astype(np.float32), name + "_scales"))
            return self.node(
                "MatMulNBits", [x, name + "_q4", name + "_scales"], domain="com.microsoft", K=k, N=n, bits=4, block_size=block
            )
        return self.node("MatMul", [x, self.float_weight(name, weight)])

    def rms_norm(self, x, name, weight):
        squared = self.node("Mul", [x, x])
        mean = self.node("ReduceMean", [squared], axes=[-1], keepdims=1)
        std = self.node("Sqrt", [self.node("Add", [mean, self.const(np.float32(self.eps))])])
        return self.node("Mul", [self.node("Div", [x, std]), self.float_weight(name, weight)])


def build_model(dtype, weights, inv_freq, vocab_size, dims, graph_name, producer, head_dtype=None, row_lookup=False):
    """The decoder graph of one weight-storage variant (fp32, fp16, int8, q4) from HF-named
    weights with matrices stored [in, out] (x @ weight) or as Q4Blocks; `head_dtype` stores
    the output head differently; `row_lookup` dequantizes only the embedding rows a step uses
    (Graph.lookup), not the whole table (the tiny model's graph predates it)."""
    HIDDEN, LAYERS, HEADS, KV_HEADS, HEAD_DIM = dims.hidden, dims.layers, dims.heads, dims.kv_heads, dims.head_dim
    g = Graph(dtype, dims.eps)
    io_type = TensorProto.FLOAT16 if dtype == "fp16" else TensorProto.FLOAT
    inputs = [
        helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch_size", "sequence_length"]),
        helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch_size", "total_sequence_length"]),
        helper.make_tensor_value_info("position_ids", TensorProto.INT64, ["batch_size", "sequence_length"]),
    ]
    outputs = [helper.make_tensor_value_info("logits", io_type, ["batch_size", "sequence_length", vocab_size])]
    kv_shape = lambda length: ["batch_size", KV_HEADS, length, HEAD_DIM]  # noqa: E731
    for layer in range(LAYERS):
        for kind in ("key", "value"):
            inputs.append(helper.make_tensor_value_info(f"past_key_values.{layer}.{kind}", io_type, kv_shape("past_sequence_length")))
            outputs.append(helper.make_tensor_value_info(f"present.{layer}.{kind}", io_type, kv_shape("total_sequence_length")))

    def io_in(name):
        return g.node("Cast", [name], hint=name, to=TensorProto.FLOAT) if dtype == "fp16" else name

    def io_out(value, name):
        op = "Cast" if dtype == "fp16" else "Identity"
        attrs = {"to": TensorProto.FLOAT16} if dtype == "fp16" else {}
        g.nodes.append(helper.make_node(op, [value], [name], name=f"/{name}/node", **attrs))

    i64 = lambda *values: g.const(np.array(values, dtype=np.int64), "shape")  # noqa: E731

    # Positions, rotary tables and the additive attention mask (causal and padding).
    past_length = g.node("Shape", ["past_key_values.0.key"], start=2, end=3)
    seq_length = g.node("Shape", ["input_ids"], start=1, end=2)
    total_length = g.node("Add", [past_length, seq_length])
    scalar = lambda x: g.node("Squeeze", [x, i64(0)])  # noqa: E731
    query_index = g.node("Range", [scalar(past_length), scalar(total_length), g.const(np.int64(1))])
    key_index = g.node("Range", [g.const(np.int64(0)), scalar(total_length), g.const(np.int64(1))])
    causal = g.node("LessOrEqual", [g.node("Unsqueeze", [key_index, i64(0)]), g.node("Unsqueeze", [query_index, i64(1)])])
    padding = g.node("Unsqueeze", [g.node("Cast", ["attention_mask"], to=TensorProto.BOOL), i64(1, 2)])
    allowed = g.node("And", [causal, padding])
    mask = g.node("Where", [allowed, g.const(np.float32(0.0)), g.const(np.float32(-1e9))])
    mask5 = g.node("Unsqueeze", [mask, i64(1)])
    positions = g.node("Unsqueeze", [g.node("Cast", ["position_ids"], to=TensorProto.FLOAT), i64(-1)])
    freqs = g.node("Mul", [positions, g.const(inv_freq, "inv_freq")])
    angles = g.node("Concat", [freqs, freqs], axis=-1)
    cos = g.node("Unsqueeze", [g.node("Cos", [angles]), i64(1)])
    sin = g.node("Unsqueeze", [g.node("Sin", [angles]), i64(1)])
    half = HEAD_DIM // 2

    def rotary(x):
        first = g.node("Slice", [x, i64(0), i64(half), i64(-1)])
        second = g.node("Slice", [x, i64(half), i64(HEAD_DIM), i64(-1)])
        rotated = g.node("Concat", [g.node("Neg", [second]), first], axis=-1)
        return g.node("Add", [g.node("Mul", [x, cos]), g.node("Mul", [rotated, sin])])

    def heads(x, count):
        return g.node("Transpose", [g.node("Reshape", [x, i64(0, 0, count, HEAD_DIM)])], perm=[0, 2, 1, 3])

    if row_lookup:
        hidden = g.lookup("model.embed_tokens.weight", weights["model.embed_tokens.weight"], "input_ids")
    else:
        hidden = g.node("Gather", [g.embedding("model.embed_tokens.weight", weights["model.embed_tokens.weight"]), "input_ids"], axis=0)
    for layer in range(LAYERS):
        p = f"model.layers.{layer}"
        w = lambda suffix: weights[f"{p}.{suffix}"]  # noqa: E731
        normed = g.rms_norm(hidden, f"{p}.input_layernorm.weight", w("input_layernorm.weight"))
        q = rotary(heads(g.matmul(normed, f"{p}.self_attn.q_proj.weight", w("self_attn.q_proj.weight")), HEADS))
        k = rotary(heads(g.matmul(normed, f"{p}.self_attn.k_proj.weight", w("self_attn.k_proj.weight")), KV_HEADS))
        v = heads(g.matmul(normed, f"{p}.self_attn.v_proj.weight", w("self_attn.v_proj.weight")), KV_HEADS)
        keys = g.node("Concat", [io_in(f"past_key_values.{layer}.key"), k], axis=2)
        values = g.node("Concat", [io_in(f"past_key_values.{layer}.value"), v], axis=2)
        io_out(keys, f"present.{layer}.key")
        io_out(values, f"present.{layer}.value")
        groups = HEADS // KV_HEADS
        q5 = g.node("Reshape", [q, i64(0, KV_HEADS, groups, -1, HEAD_DIM)])
        k5 = g.node("Transpose", [g.node("Unsqueeze", [keys, i64(2)])], perm=[0, 1, 2, 4, 3])
        scores = g.node("Mul", [g.node("MatMul", [q5, k5]), g.const(np.float32(1.0 / np.sqrt(HEAD_DIM)))])
        probs = g.node("Softmax", [g.node("Add", [scores, mask5])], axis=-1)
        context = g.node("MatMul", [probs, g.node("Unsqueeze", [values, i64(2)])])
        context = g.node("Reshape", [context, i64(0, HEADS, -1, HEAD_DIM)])
        context = g.node("Reshape", [g.node("Transpose", [context], perm=[0, 2, 1, 3]), i64(0, 0, HIDDEN)])
        hidden = g.node("Add", [hidden, g.matmul(context, f"{p}.self_attn.o_proj.weight", w("self_attn.o_proj.weight"))])
        normed = g.rms_norm(hidden, f"{p}.post_attention_layernorm.weight", w("post_attention_layernorm.weight"))
        gate = g.matmul(normed, f"{p}.mlp.gate_proj.weight", w("mlp.gate_proj.weight"))
        up = g.matmul(normed, f"{p}.mlp.up_proj.weight", w("mlp.up_proj.weight"))
        activated = g.node("Mul", [g.node("Mul", [gate, g.node("Sigmoid", [gate])]), up])
        hidden = g.node("Add", [hidden, g.matmul(activated, f"{p}.mlp.down_proj.weight", w("mlp.down_proj.weight"))])
    normed = g.rms_norm(hidden, "model.norm.weight", weights["model.norm.weight"])
    io_out(g.matmul(normed, "lm_head.weight", weights["lm_head.weight"], head_dtype), "logits")

    graph = helper.make_graph(g.nodes, graph_name, inputs, outputs, g.initializers)
    opsets = [helper.make_opsetid("", OPSET)]
    if dtype == "q4":
        opsets.append(helper.make_opsetid("com.microsoft", 1))
    model = helper.make_model(graph, opset_imports=opsets, producer_name=producer)
    model.ir_version = 8
    onnx.checker.check_model(model)
    return model
