import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { ChatMessage } from '../../core/types.ts';
import type { ErrorCode } from '../../core/error-codes.ts';
import { ApiError } from '../../errors/api-error.ts';
import { toApiError } from '../../errors/to-api-error.ts';
import type { Principal } from '../../security/principal.ts';
import type { Services } from '../services.ts';
import { startVoiceAnswer } from './answer.ts';
import { relayAnswer, type AnswerSpeech } from './answer-relay.ts';
import { bargeIn } from './barge-in.ts';
import { errorFrame, type DownlinkFrame } from './frames.ts';
import type { LiveTranscriptSettings } from './stt-config.ts';
import type { VoiceMetrics } from './metrics.ts';
import { Speculator, type Speculation } from './speculation.ts';
import type { Stt } from './stt.ts';
import { DEFAULT_TTS_VOICE, type Tts } from './tts.ts';
import { newTurn, type Turn } from './turn.ts';
import { UtteranceListener, type LiveUtterance } from './utterance-listener.ts';
import type { Vad, VadEvents } from './vad.ts';

/** Earlier messages a turn sends along: the last four exchanges. */
const HISTORY = 8;

export interface VoiceSessionDeps {
  services: Services;
  metrics: VoiceMetrics;
  principal: Principal;
  sessionId: string;
  /** The transport's one writer. */
  send(frame: DownlinkFrame): void;
  /** Aborted when the transport goes away: readers stop, answers stay resumable. */
  closed: AbortSignal;
  stt: Stt | undefined;
  /** Server speech (`VOICE_TTS_ROUTE`); undefined: off, and a session asking for it is refused. */
  tts: Tts | undefined;
  /** The model alias turns ask for (`VOICE_MODEL`); the prompt's or gateway's default if unset. */
  model: string | undefined;
  /** `transcript` frames while the caller speaks, the transcript begun early (stt-config.ts). */
  live: LiveTranscriptSettings;
  vad(events: VadEvents): Promise<Vad>;
}

/**
 * One voice conversation, whatever carries it, as a lifecycle of turns: audio is heard through
 * the VAD (utterance-listener.ts); an utterance's end is transcribed and answered with the voice
 * prompt as a resumable stream, relayed as `partial` frames and one `final` (answer-relay.ts),
 * or adopted from the answer begun in the pause (speculation.ts); speech onset while an answer
 * streams cancels it upstream (barge-in.ts). Timings go out as `metrics` frames and into the
 * histograms.
 */
export class VoiceSession {
  readonly #deps: VoiceSessionDeps;
  readonly #history: ChatMessage[] = [];
  /** The turn whose answer streams now, which a barge-in or a newer turn cancels. */
  #current: Turn | undefined;
  #chain: Promise<void> = Promise.resolve();
  /** The voice answers are spoken in, once the session asked for server speech. */
  #voice: string | undefined;
  /** Undefined where no speech-to-text is configured. */
  readonly #listener: UtteranceListener | undefined;
  /** The answer begun in the current utterance's pause (`live.speculative`). */
  readonly #speculator: Speculator;

  constructor(deps: VoiceSessionDeps) {
    this.#deps = deps;
    this.#speculator = new Speculator(
      (turn, transcript) => this.#start(turn, transcript),
      deps.metrics.speculations,
    );
    this.#listener = deps.stt === undefined ? undefined : this.#listen(deps.stt);
  }

  /** One frame of 16 kHz mono samples, `arrivedAt` its arrival (performance.now()). */
  audio(samples: Float32Array, arrivedAt: number): void {
    const listener = this.#listener;
    if (listener === undefined) {
      this.#error('UPSTREAM_UNAVAILABLE', 'No speech-to-text is configured (VOICE_STT_URL).', {
        reason: 'stt_not_configured',
      });
      return;
    }
    this.#chain = this.#chain
      .then(() => listener.push(samples, arrivedAt))
      .catch((error: unknown) => {
        this.#failure(error);
      });
  }

  /** A typed turn: answered as an utterance's transcript would be. */
  text(text: string): Promise<void> {
    return this.#answer(text, performance.now(), undefined, randomUUID());
  }

  /**
   * Server speech for this session's later answers, in `voice`: refused by name where the
   * gateway has no speech route (text only, speech stays client-side).
   */
  speak(voice: string | undefined): void {
    if (this.#deps.tts === undefined)
      throw new ApiError(
        'BAD_REQUEST',
        'Server speech is off here (no VOICE_TTS_ROUTE); synthesise the answers on the client.',
        { details: { parameter: 'tts', reason: 'tts_disabled' } },
      );
    this.#voice = voice ?? DEFAULT_TTS_VOICE;
  }

  /** Relays an earlier answer after `after` (default: the token's offset) to this transport. */
  async resume(token: string, after: number | undefined): Promise<void> {
    const { services } = this.#deps;
    const position = services.resumeTokens.verify(token);
    const meta = await services.streams.meta(position.streamId);
    if (meta?.tenant !== this.#deps.principal.tenant)
      throw new ApiError('INVALID_RESUME_TOKEN', 'Resume token names a stream that has expired.');
    await relayAnswer(this.#deps, {
      turnId: randomUUID(),
      streamId: position.streamId,
      after: after ?? position.offset,
      signal: this.#deps.closed,
      speech: undefined,
    });
  }

  /** Lets go of the VAD; a streaming answer stays resumable for the resume window. */
  async close(): Promise<void> {
    await this.#chain;
    this.#speculator.discard();
    await this.#listener?.close();
  }

  /** The caller's audio heard through the VAD: onsets barge in, utterances become turns. */
  #listen(stt: Stt): UtteranceListener {
    const deps = this.#deps;
    return new UtteranceListener({
      stt,
      closed: deps.closed,
      sessionId: deps.sessionId,
      send: (frame) => {
        deps.send(frame);
      },
      live: deps.live,
      vad: (events) => deps.vad(events),
      speechStarted: (arrivedAt) => {
        if (this.#current !== undefined) bargeIn(this.#current, arrivedAt, deps);
      },
      utteranceEnded: (utterance, audio) => {
        void this.#utterance(utterance, audio, performance.now());
      },
      early: deps.live.speculative
        ? {
            ready: (turnId, text) => {
              this.#speculator.begin(turnId, text);
            },
            dropped: () => {
              this.#speculator.discard();
            },
          }
        : undefined,
    });
  }

  /**
   * An utterance the VAD ended: its transcript (often started before the end: live-transcript.ts)
   * answered. `stt_ms` is the wait for it after the end, which an early transcription shortens.
   */
  async #utterance(live: LiveUtterance, audio: Float32Array, endOfSpeechAt: number): Promise<void> {
    try {
      const { text, early } = await live.transcript.end(audio);
      const sttMs = performance.now() - endOfSpeechAt;
      this.#deps.metrics.stt.observe({ early: String(early) }, sttMs / 1000);
      const speculation = this.#speculator.adopt(live.turnId, text, early);
      if (text === '') return;
      await this.#answer(text, endOfSpeechAt, sttMs, live.turnId, speculation);
    } catch (error) {
      this.#failure(error);
    }
  }

  #start(turn: Turn, transcript: string): Promise<string> {
    const { services, principal } = this.#deps;
    return startVoiceAnswer(
      services,
      {
        requestId: turn.id,
        tenant: principal.tenant,
        principal: principal.subject,
        surface: 'voice',
        signal: turn.controller.signal,
        deadlineMs: services.snapshot().gateway.limits.requestTimeoutMs,
      },
      turn.controller,
      { transcript, history: [...this.#history], model: this.#deps.model },
    );
  }

  /**
   * A turn: the transcript's answer (begun now, or the adopted `speculation`'s) relayed live and
   * kept in the history, then its `metrics` frame. A newer turn cancels the one streaming.
   */
  async #answer(
    transcript: string,
    endOfSpeechAt: number,
    sttMs: number | undefined,
    turnId: string,
    speculation?: Speculation,
  ) {
    const { services, sessionId } = this.#deps;
    const turn = speculation?.turn ?? newTurn(turnId);
    this.#current?.controller.abort(new ApiError('BAD_REQUEST', 'A newer turn replaced it.'));
    this.#current = turn;
    try {
      const streamId = await (speculation?.streamId ?? this.#start(turn, transcript));
      this.#deps.send({
        type: 'final',
        source: 'transcript',
        turn_id: turn.id,
        session_id: sessionId,
        text: transcript,
        stream_id: streamId,
        resume_token: services.resumeTokens.sign({ streamId, offset: 0 }).token,
      });
      const answer = await relayAnswer(this.#deps, {
        turnId: turn.id,
        streamId,
        after: 0,
        signal: AbortSignal.any([this.#deps.closed, turn.controller.signal]),
        speech: this.#speech(turn.id),
      });
      this.#history.push(
        { role: 'user', content: transcript },
        { role: 'assistant', content: answer.text },
      );
      this.#history.splice(0, Math.max(0, this.#history.length - HISTORY));
      const ttftMs = answer.firstAt === undefined ? undefined : answer.firstAt - endOfSpeechAt;
      if (ttftMs !== undefined)
        this.#deps.metrics.ttft.observe(
          { speculative: String(speculation !== undefined) },
          ttftMs / 1000,
        );
      this.#deps.send({
        type: 'metrics',
        turn_id: turn.id,
        session_id: sessionId,
        ...(ttftMs === undefined ? {} : { ttft_ms: ttftMs }),
        ...(sttMs === undefined ? {} : { stt_ms: sttMs }),
        ...(speculation === undefined ? {} : { speculative: true }),
      });
    } catch (error) {
      if (!turn.bargedIn) this.#failure(error, turn.id);
    } finally {
      if (this.#current === turn) this.#current = undefined;
    }
  }

  /** The turn's server speech, where the session asked for it. */
  #speech(turnId: string): AnswerSpeech | undefined {
    const tts = this.#deps.tts;
    const voice = this.#voice;
    if (tts === undefined || voice === undefined) return undefined;
    return {
      tts,
      voice,
      failed: (error) => {
        this.#failure(error, turnId);
      },
    };
  }

  #error(code: ErrorCode, message: string, details: Record<string, unknown>): void {
    this.#deps.send(errorFrame(this.#deps.sessionId, code, message, { details }));
  }

  #failure(error: unknown, turnId?: string): void {
    if (this.#deps.closed.aborted) return;
    const apiError = toApiError(error);
    const { code, message, details } = apiError.toBody().error;
    this.#deps.send(
      errorFrame(this.#deps.sessionId, code, message, {
        ...(turnId === undefined ? {} : { turnId }),
        ...(details === undefined ? {} : { details }),
      }),
    );
  }
}
