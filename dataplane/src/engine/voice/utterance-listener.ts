import { randomUUID } from 'node:crypto';
import type { DownlinkFrame } from './frames.ts';
import { LiveTranscript } from './live-transcript.ts';
import type { LiveTranscriptSettings } from './stt-config.ts';
import type { Stt } from './stt.ts';
import { PRE_SPEECH_PAD_FRAMES, type Vad, type VadEvents } from './vad.ts';

/** An utterance being spoken: its transcript, begun while it is spoken, and its turn's id. */
export interface LiveUtterance {
  transcript: LiveTranscript;
  turnId: string;
}

export interface UtteranceListenerOptions {
  stt: Stt;
  /** Aborted when the transport goes away: transcriptions stop. */
  closed: AbortSignal;
  sessionId: string;
  /** The transport's one writer. */
  send(frame: DownlinkFrame): void;
  live: LiveTranscriptSettings;
  vad(events: VadEvents): Promise<Vad>;
  /** The VAD declared speech (an onset, not a click) in the audio frame that arrived at `arrivedAt`. */
  speechStarted(arrivedAt: number): void;
  /** The VAD ended `utterance`; `audio` is its samples. */
  utteranceEnded(utterance: LiveUtterance, audio: Float32Array): void;
  /** Told of the early transcript (live-transcript.ts); undefined: nobody listens for it. */
  early:
    | {
        /** Utterance `turnId`'s early transcript is ready before its end. */
        ready(turnId: string, text: string): void;
        /** The early transcript told was dropped: the caller spoke again, or a misfire. */
        dropped(): void;
      }
    | undefined;
}

/**
 * The caller's audio heard through the VAD (created at the first frame): each utterance, from
 * the frames just before its first speech frame, is transcribed while it is spoken
 * (live-transcript.ts) under a turn id of its own, with its `transcript` and `vad` frames; its
 * onset and its end are told to the session, a misfire only cancels its transcript.
 */
export class UtteranceListener {
  readonly #options: UtteranceListenerOptions;
  #vad: Promise<Vad> | undefined;
  /** When the audio frame the VAD is reading arrived (performance.now()). */
  #arrivedAt = 0;
  /** The utterance being spoken; undefined between utterances. */
  #live: LiveUtterance | undefined;
  /** The last frames before speech, which an utterance's audio starts with. */
  #recent: { frame: Float32Array; probability: number }[] = [];

  constructor(options: UtteranceListenerOptions) {
    this.#options = options;
  }

  /** One frame of 16 kHz mono samples, `arrivedAt` its arrival; calls must not overlap. */
  async push(samples: Float32Array, arrivedAt: number): Promise<void> {
    this.#arrivedAt = arrivedAt;
    const vad = await (this.#vad ??= this.#options.vad(this.#events()));
    await vad.push(samples);
  }

  /** Lets go of the VAD. */
  async close(): Promise<void> {
    const vad = this.#vad;
    this.#vad = undefined;
    await (await vad)?.close();
  }

  #events(): VadEvents {
    return {
      onFrame: (frame, probability) => {
        if (this.#live !== undefined) {
          this.#live.transcript.frame(frame, probability);
          return;
        }
        this.#recent.push({ frame, probability });
        if (this.#recent.length > PRE_SPEECH_PAD_FRAMES + 1) this.#recent.shift();
      },
      onSpeechCandidate: () => {
        this.#begin();
      },
      onSpeechStart: () => {
        this.#options.speechStarted(this.#arrivedAt);
        this.#vadFrame('start');
      },
      onSpeechEnd: (audio) => {
        this.#vadFrame('end');
        const live = this.#live;
        this.#live = undefined;
        if (live !== undefined) this.#options.utteranceEnded(live, audio);
      },
      onMisfire: () => {
        this.#live?.transcript.cancel();
        this.#live = undefined;
      },
    };
  }

  /** The first speech frame: an utterance begins, with the frames before it. */
  #begin(): void {
    const { stt, closed, live, sessionId, early } = this.#options;
    const turnId = randomUUID();
    const transcript = new LiveTranscript({
      stt,
      signal: closed,
      ...live,
      partial: (text) => {
        this.#options.send({ type: 'transcript', turn_id: turnId, session_id: sessionId, text });
      },
      ...(early === undefined
        ? {}
        : {
            earlyReady: (text: string) => {
              early.ready(turnId, text);
            },
            earlyDropped: () => {
              early.dropped();
            },
          }),
    });
    // The frame that began speech is the last of them (onFrame comes first).
    for (const { frame, probability } of this.#recent) transcript.frame(frame, probability);
    this.#recent = [];
    this.#live = { transcript, turnId };
  }

  /** The VAD's decision, for a page to show that it hears the caller. */
  #vadFrame(speech: 'start' | 'end'): void {
    const turnId = this.#live?.turnId;
    if (turnId === undefined) return;
    this.#options.send({
      type: 'vad',
      speech,
      turn_id: turnId,
      session_id: this.#options.sessionId,
    });
  }
}
