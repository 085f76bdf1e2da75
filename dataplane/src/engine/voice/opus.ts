import { OpusDecoder } from 'opus-decoder';

/** One socket's Opus stream: packets in, 16 kHz mono samples out. */
export interface OpusStream {
  /** One Opus packet's samples, or undefined when libopus could not decode it. */
  decode(packet: Uint8Array): Float32Array | undefined;
  free(): void;
}

/**
 * An Opus decoder (libopus in WASM, the npm package opus-decoder) for one mono stream, its
 * output at 16 kHz (libopus resamples), what the VAD and STT read. An audio frame's payload is
 * one Opus packet (any frame duration Opus allows; 20 ms is usual), as WebRTC and
 * MediaRecorder produce them, without an Ogg container.
 */
export async function createOpusStream(): Promise<OpusStream> {
  const decoder = new OpusDecoder({ channels: 1, sampleRate: 16000 });
  await decoder.ready;
  return {
    decode(packet) {
      const { channelData, samplesDecoded, errors } = decoder.decodeFrame(packet);
      const samples = channelData[0];
      if (errors.length > 0 || samples === undefined || samplesDecoded === 0) return undefined;
      return samples.subarray(0, samplesDecoded);
    },
    free: () => {
      decoder.free();
    },
  };
}
