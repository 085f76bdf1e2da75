import { ApiError } from '../../errors/api-error.ts';
import type { VoiceMetrics } from './metrics.ts';
import { newTurn, type Turn } from './turn.ts';

/** An answer begun on the early transcript in the pause, its frames not yet sent. */
export interface Speculation {
  turn: Turn;
  transcript: string;
  streamId: Promise<string>;
}

/**
 * The answer begun in the pause (`VOICE_SPECULATIVE_ANSWER`, docs/voice.md), at most one at a
 * time: when the early transcript is ready before the end of speech, its answer starts through
 * `start`, the same pipeline call a turn makes, into its resumable stream, and nothing of it is
 * sent until the end of speech adopts it.
 */
export class Speculator {
  readonly #start: (turn: Turn, transcript: string) => Promise<string>;
  readonly #outcomes: VoiceMetrics['speculations'];
  #current: Speculation | undefined;

  constructor(
    start: (turn: Turn, transcript: string) => Promise<string>,
    outcomes: VoiceMetrics['speculations'],
  ) {
    this.#start = start;
    this.#outcomes = outcomes;
  }

  /** The early transcript of utterance `turnId` is ready: its answer starts, replacing any other. */
  begin(turnId: string, transcript: string): void {
    this.discard();
    if (transcript === '') return;
    const turn = newTurn(turnId);
    const streamId = this.#start(turn, transcript);
    // Awaited only where adopted; a discarded one must not be an unhandled rejection.
    streamId.catch(() => undefined);
    this.#current = { turn, transcript, streamId };
  }

  /**
   * Utterance `turnId` ended with the transcript `text` (`early`: the early transcription's):
   * its speculation, taken, where it was begun on that very transcript; otherwise the one begun
   * for this utterance, if any, is discarded and none is returned.
   */
  adopt(turnId: string, text: string, early: boolean): Speculation | undefined {
    const speculation = this.#current;
    if (speculation?.turn.id !== turnId) return undefined;
    if (!early || speculation.transcript !== text) {
      this.discard();
      return undefined;
    }
    this.#current = undefined;
    this.#outcomes.inc({ outcome: 'adopted' });
    return speculation;
  }

  /**
   * The caller spoke again in the pause (or it was a misfire, or the session closed): the
   * speculative answer is cancelled upstream (the pipeline settles it as cancelled, charged what
   * was produced) and none of it is sent or kept.
   */
  discard(): void {
    const speculation = this.#current;
    if (speculation === undefined) return;
    this.#current = undefined;
    speculation.turn.controller.abort(
      new ApiError('BAD_REQUEST', 'The caller spoke again in the pause.', {
        details: { reason: 'speculation_discarded' },
      }),
    );
    this.#outcomes.inc({ outcome: 'discarded' });
  }
}
