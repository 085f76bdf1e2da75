"""The one wheel `pip download --no-deps` fetches for a pinned requirement, as bytes.

pip's own index configuration applies; the fetch scripts check the SHA-256 of what they use.
"""

import os
import subprocess
import sys
import tempfile


def download(package, quiet):
    """(file name, bytes) of the wheel of `package` ("name==version"); RuntimeError otherwise."""
    with tempfile.TemporaryDirectory(prefix="pip-wheel-") as scratch:
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                   "--disable-pip-version-check", "--dest", scratch, package]
        if quiet:
            command.append("--quiet")
        result = subprocess.run(command, stdout=sys.stderr, stderr=sys.stderr)
        if result.returncode != 0:
            raise RuntimeError(f"pip download {package} failed (exit {result.returncode})")
        wheels = [name for name in os.listdir(scratch) if name.endswith(".whl")]
        if len(wheels) != 1:
            raise RuntimeError(f"pip download {package} left no single wheel")
        with open(os.path.join(scratch, wheels[0]), "rb") as handle:
            return wheels[0], handle.read()
