import type { Stt } from './stt.ts';
import { FRAME_MS, SILENCE_THRESHOLD, SPEECH_THRESHOLD } from './vad.ts';
/**
 * Silent frames after speech before the early transcription starts (96 ms): a pause between
 * words seldom lasts that long, so few early requests are dropped, and about 290 ms of the
 * VAD's 384 ms are still saved.
 */
export const EARLY_AFTER_SILENT_FRAMES = 3;

export interface LiveTranscriptOptions {
  stt: Stt;
  /** Aborts every transcription (the socket went away). */
  signal: AbortSignal;
  /** Transcribe the speech so far every this many ms of it and tell `partial`; 0: never. */
  partialEveryMs: number;
  /** Start the transcript in the silence before the VAD ends the utterance. */
  early: boolean;
  /** The transcript so far, newer than the last one told, never after the utterance ended. */
  partial(text: string): void;
  /** The early transcript, done before the utterance ended (it may still be dropped). */
  earlyReady?(text: string): void;
  /** The early transcript told by `earlyReady` (or still running) was dropped. */
  earlyDropped?(): void;
}

interface Early {
  /** Frames it transcribes: the utterance up to its last speech frame. */
  frames: number;
  text: Promise<string>;
  controller: AbortController;
}

/**
 * One utterance transcribed while it is spoken. The VAD ends an utterance only after about
 * 384 ms of silence (its redemption frames); the transcription of the speech up to its last
 * speech frame starts 96 ms into that silence, and is the utterance's transcript unless the caller speaks again
 * before the VAD ends it (then it is dropped and the whole utterance transcribed at the end).
 * Every `partialEveryMs` of speech the transcript so far is told, one request at a time.
 */
export class LiveTranscript {
  readonly #options: LiveTranscriptOptions;
  readonly #frames: Float32Array[] = [];
  #lastSpeech = -1;
  #silent = 0;
  #early: Early | undefined;
  #partialFrames = 0;
  #partialBusy = false;
  #told = '';
  #ended = false;

  constructor(options: LiveTranscriptOptions) {
    this.#options = options;
  }

  /** A frame of the utterance and its speech probability, in order. */
  frame(frame: Float32Array, probability: number): void {
    this.#frames.push(frame);
    if (probability >= SPEECH_THRESHOLD) {
      this.#lastSpeech = this.#frames.length - 1;
      this.#silent = 0;
      if (this.#early !== undefined) this.#dropEarly();
      this.#maybePartial();
    } else if (probability < SILENCE_THRESHOLD) {
      this.#silent += 1;
      if (
        this.#options.early &&
        this.#silent === EARLY_AFTER_SILENT_FRAMES &&
        this.#early === undefined
      )
        this.#startEarly();
    }
  }

  /**
   * The utterance's transcript once the VAD ended it with `audio`: the early transcription
   * where the caller said nothing after it began, else `audio` transcribed now.
   */
  async end(audio: Float32Array): Promise<{ text: string; early: boolean }> {
    this.#ended = true;
    const early = this.#early;
    if (early !== undefined) {
      try {
        return { text: await early.text, early: true };
      } catch (error) {
        if (this.#options.signal.aborted) throw error;
        // The early request failed: the whole utterance gets its own try.
      }
    }
    return { text: await this.#options.stt.transcribe(audio, this.#options.signal), early: false };
  }

  /** The utterance was a click, not speech (the VAD's misfire): nothing more is told. */
  cancel(): void {
    this.#ended = true;
    this.#dropEarly();
  }

  #startEarly(): void {
    if (this.#lastSpeech < 0) return;
    const frames = this.#lastSpeech + 1;
    const controller = new AbortController();
    const signal = AbortSignal.any([this.#options.signal, controller.signal]);
    const text = this.#options.stt.transcribe(this.#audio(frames), signal);
    // Awaited only by end(); a dropped one must not be an unhandled rejection.
    text.catch(() => undefined);
    const early = { frames, text, controller };
    this.#early = early;
    void text.then(
      (done) => {
        if (this.#early === early && !this.#ended) this.#options.earlyReady?.(done);
      },
      () => undefined,
    );
  }

  #dropEarly(): void {
    if (this.#early === undefined) return;
    this.#early.controller.abort();
    this.#early = undefined;
    this.#options.earlyDropped?.();
  }

  #maybePartial(): void {
    const { partialEveryMs } = this.#options;
    if (partialEveryMs <= 0 || this.#partialBusy) return;
    const frames = this.#frames.length;
    if ((frames - this.#partialFrames) * FRAME_MS < partialEveryMs) return;
    this.#partialFrames = frames;
    this.#partialBusy = true;
    this.#options.stt
      .transcribe(this.#audio(frames), this.#options.signal)
      .then((text) => {
        if (this.#ended || text === '' || text === this.#told) return;
        this.#told = text;
        this.#options.partial(text);
      })
      .catch(() => undefined)
      .finally(() => {
        this.#partialBusy = false;
      });
  }

  #audio(frames: number): Float32Array {
    const parts = this.#frames.slice(0, frames);
    const audio = new Float32Array(parts.reduce((sum, part) => sum + part.length, 0));
    let at = 0;
    for (const part of parts) {
      audio.set(part, at);
      at += part.length;
    }
    return audio;
  }
}
