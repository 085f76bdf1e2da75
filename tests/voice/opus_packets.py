"""Test fixture: 16 kHz mono pcm16 on stdin, one base64 Opus packet (20 ms) per line on stdout,
encoded by libopus through PyAV (in the tests' venv)."""

import base64
import sys

import av
import numpy

pcm = numpy.frombuffer(sys.stdin.buffer.read(), dtype="<i2")
encoder = av.CodecContext.create("libopus", "w")
encoder.sample_rate = 16000
encoder.layout = "mono"
encoder.format = "s16"
encoder.bit_rate = 24000
encoder.open()
FRAME = 320  # 20 ms at 16 kHz
for at in range(0, len(pcm) - len(pcm) % FRAME, FRAME):
    frame = av.AudioFrame.from_ndarray(pcm[at : at + FRAME].reshape(1, -1), format="s16", layout="mono")
    frame.sample_rate = 16000
    frame.pts = at
    for packet in encoder.encode(frame):
        sys.stdout.write(base64.b64encode(bytes(packet)).decode() + "\n")
for packet in encoder.encode(None):
    sys.stdout.write(base64.b64encode(bytes(packet)).decode() + "\n")
