import { ApiError } from '../../errors/api-error.ts';
import { createOpusStream } from './opus.ts';
import { pcm16ToFloat } from './wav.ts';

/**
 * One recorded utterance as `POST /api/v1/voice:stream` carries it: `pcm16` one base64 string
 * of 16-bit little-endian samples (16 kHz, mono); `opus` its packets in order, one raw Opus
 * packet each (mono, any rate, no Ogg container: as the socket's audio frames and WebRTC and
 * `MediaRecorder` packets are), base64.
 */
export type Utterance =
  { codec: 'pcm16'; audio: string | string[] } | { codec: 'opus'; audio: string | string[] };

/**
 * The utterance's 16 kHz mono samples (what STT reads): Opus decoded by libopus, one decoder for
 * the utterance (packets depend on the ones before). BAD_REQUEST naming `body.audio` (or the
 * packet, `body.audio/<i>`) for audio of the wrong shape or a packet libopus cannot decode.
 */
export async function utteranceSamples(utterance: Utterance): Promise<Float32Array> {
  if (utterance.codec === 'pcm16') {
    if (typeof utterance.audio !== 'string')
      throw refused('body.audio', 'pcm16 audio is one base64 string.');
    const pcm = Buffer.from(utterance.audio, 'base64');
    if (pcm.length === 0 || pcm.length % 2 !== 0)
      throw refused('body.audio', 'pcm16 audio holds one or more whole 16-bit samples.');
    return pcm16ToFloat(pcm);
  }
  if (typeof utterance.audio === 'string' || utterance.audio.length === 0)
    throw refused('body.audio', 'opus audio is an array of base64 Opus packets, one or more.');
  const stream = await createOpusStream();
  try {
    const decoded: Float32Array[] = [];
    for (const [index, packet] of utterance.audio.entries()) {
      const samples = stream.decode(Buffer.from(packet, 'base64'));
      if (samples === undefined)
        throw refused(`body.audio/${index}`, `Opus packet ${index} could not be decoded.`);
      // The decoder reuses its output buffer: copy before the next packet.
      decoded.push(samples.slice());
    }
    const out = new Float32Array(decoded.reduce((sum, part) => sum + part.length, 0));
    let at = 0;
    for (const part of decoded) {
      out.set(part, at);
      at += part.length;
    }
    return out;
  } finally {
    stream.free();
  }
}

function refused(path: string, message: string): ApiError {
  return new ApiError('BAD_REQUEST', message, { details: { path } });
}
