import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { ChatMessage } from '../../core/types.ts';
import type { ErrorCode } from '../../core/error-codes.ts';
import { ApiError } from '../../errors/api-error.ts';
import { toApiError } from '../../errors/to-api-error.ts';
import type { Principal } from '../../security/principal.ts';
import type { Services } from '../services.ts';
import { startVoiceAnswer } from './answer.ts';
import { errorFrame, type DownlinkFrame } from './frames.ts';
import { LiveTranscript } from './live-transcript.ts';
import type { LiveTranscriptSettings } from './stt-config.ts';
import type { VoiceMetrics } from './metrics.ts';
import { Speaker } from './speaker.ts';
import type { Stt } from './stt.ts';
import { DEFAULT_TTS_VOICE, TTS_CODEC, type Tts } from './tts.ts';
import { PRE_SPEECH_PAD_FRAMES, type Vad, type VadEvents } from './vad.ts';

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

interface Turn {
  id: string;
  controller: AbortController;
  bargedIn: boolean;
}

/** An answer begun on the early transcript in the pause, its frames not yet sent. */
interface Speculation {
  turn: Turn;
  transcript: string;
  streamId: Promise<string>;
}

/**
 * One voice conversation, whatever carries it: audio goes through the VAD; an utterance's end
 * is transcribed and answered with the voice prompt as a resumable stream, relayed as
 * `partial` frames and one `final`; speech onset while an answer streams cancels it upstream
 * (barge-in). Timings go out as `metrics` frames and into the histograms.
 */
export class VoiceSession {
  readonly #deps: VoiceSessionDeps;
  readonly #history: ChatMessage[] = [];
  #current: Turn | undefined;
  #vad: Promise<Vad> | undefined;
  #chain: Promise<void> = Promise.resolve();
  /** When the audio frame the VAD is reading arrived (performance.now()). */
  #frameArrivedAt = 0;
  /** The voice answers are spoken in, once the session asked for server speech. */
  #voice: string | undefined;
  /** The utterance being spoken, and its turn's id; undefined between utterances. */
  #live: { transcript: LiveTranscript; turnId: string } | undefined;
  /** The last frames before speech, which an utterance's audio starts with. */
  #recent: { frame: Float32Array; probability: number }[] = [];
  /** The answer begun in the current utterance's pause (`live.speculative`). */
  #speculation: Speculation | undefined;

  constructor(deps: VoiceSessionDeps) {
    this.#deps = deps;
  }

  /** One frame of 16 kHz mono samples, `arrivedAt` its arrival (performance.now()). */
  audio(samples: Float32Array, arrivedAt: number): void {
    const stt = this.#deps.stt;
    if (stt === undefined) {
      this.#error('UPSTREAM_UNAVAILABLE', 'No speech-to-text is configured (VOICE_STT_URL).', {
        reason: 'stt_not_configured',
      });
      return;
    }
    this.#chain = this.#chain
      .then(async () => {
        this.#frameArrivedAt = arrivedAt;
        const vad = await (this.#vad ??= this.#deps.vad(this.#vadEvents(stt)));
        await vad.push(samples);
      })
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
    await this.#relay(randomUUID(), position.streamId, after ?? position.offset, undefined);
  }

  /** Lets go of the VAD; a streaming answer stays resumable for the resume window. */
  async close(): Promise<void> {
    await this.#chain;
    this.#discard();
    const vad = this.#vad;
    this.#vad = undefined;
    await (await vad)?.close();
  }

  #vadEvents(stt: Stt): VadEvents {
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
        const turnId = randomUUID();
        const transcript = new LiveTranscript({
          stt,
          signal: this.#deps.closed,
          ...this.#deps.live,
          partial: (text) => {
            this.#deps.send({
              type: 'transcript',
              turn_id: turnId,
              session_id: this.#deps.sessionId,
              text,
            });
          },
          ...(this.#deps.live.speculative
            ? {
                earlyReady: (text: string) => {
                  this.#speculate(turnId, text);
                },
                earlyDropped: () => {
                  this.#discard();
                },
              }
            : {}),
        });
        // The frame that began speech is the last of them (onFrame comes first).
        for (const { frame, probability } of this.#recent) transcript.frame(frame, probability);
        this.#recent = [];
        this.#live = { transcript, turnId };
      },
      onSpeechStart: () => {
        this.#bargeIn(this.#frameArrivedAt);
        this.#vadFrame('start');
      },
      onSpeechEnd: (audio) => {
        this.#vadFrame('end');
        const live = this.#live;
        this.#live = undefined;
        if (live !== undefined) void this.#utterance(live, audio, performance.now());
      },
      onMisfire: () => {
        this.#live?.transcript.cancel();
        this.#live = undefined;
      },
    };
  }

  /** The VAD's decision, for a page to show that it hears the caller. */
  #vadFrame(speech: 'start' | 'end'): void {
    const turnId = this.#live?.turnId;
    if (turnId === undefined) return;
    this.#deps.send({ type: 'vad', speech, turn_id: turnId, session_id: this.#deps.sessionId });
  }

  #bargeIn(arrivedAt: number): void {
    const turn = this.#current;
    if (turn === undefined || turn.bargedIn) return;
    turn.bargedIn = true;
    turn.controller.abort(
      new ApiError('BAD_REQUEST', 'The caller spoke over the answer.', {
        details: { reason: 'barge_in' },
      }),
    );
    const latencyMs = performance.now() - arrivedAt;
    this.#deps.metrics.bargeIn.observe(latencyMs / 1000);
    const ids = { turn_id: turn.id, session_id: this.#deps.sessionId };
    this.#deps.send({ type: 'barge_in', ...ids, latency_ms: latencyMs });
    this.#deps.send({ type: 'metrics', ...ids, barge_in_ms: latencyMs });
  }

  /**
   * An utterance the VAD ended: its transcript (often started before the end: live-transcript.ts)
   * answered. `stt_ms` is the wait for it after the end, which an early transcription shortens.
   */
  async #utterance(
    live: { transcript: LiveTranscript; turnId: string },
    audio: Float32Array,
    endOfSpeechAt: number,
  ): Promise<void> {
    try {
      const { text, early } = await live.transcript.end(audio);
      const sttMs = performance.now() - endOfSpeechAt;
      this.#deps.metrics.stt.observe({ early: String(early) }, sttMs / 1000);
      const speculation = this.#speculation;
      const adopted =
        speculation !== undefined &&
        early &&
        speculation.turn.id === live.turnId &&
        speculation.transcript === text;
      if (adopted) {
        this.#speculation = undefined;
        this.#deps.metrics.speculations.inc({ outcome: 'adopted' });
      } else if (speculation?.turn.id === live.turnId) this.#discard();
      if (text === '') return;
      await this.#answer(
        text,
        endOfSpeechAt,
        sttMs,
        live.turnId,
        adopted ? speculation : undefined,
      );
    } catch (error) {
      this.#failure(error);
    }
  }

  /**
   * The early transcript is ready before the end of speech: its answer starts now through the
   * same pipeline call a turn makes, into its resumable stream, and nothing of it is sent until
   * the end of speech adopts it (#utterance).
   */
  #speculate(turnId: string, transcript: string): void {
    this.#discard();
    if (transcript === '') return;
    const turn: Turn = { id: turnId, controller: new AbortController(), bargedIn: false };
    const streamId = this.#start(turn, transcript);
    // Awaited only where adopted; a discarded one must not be an unhandled rejection.
    streamId.catch(() => undefined);
    this.#speculation = { turn, transcript, streamId };
  }

  /**
   * The caller spoke again in the pause (or it was a misfire): the speculative answer is
   * cancelled upstream (the pipeline settles it as cancelled, charged what was produced) and
   * none of it is sent or kept.
   */
  #discard(): void {
    const speculation = this.#speculation;
    if (speculation === undefined) return;
    this.#speculation = undefined;
    speculation.turn.controller.abort(
      new ApiError('BAD_REQUEST', 'The caller spoke again in the pause.', {
        details: { reason: 'speculation_discarded' },
      }),
    );
    this.#deps.metrics.speculations.inc({ outcome: 'discarded' });
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

  async #answer(
    transcript: string,
    endOfSpeechAt: number,
    sttMs: number | undefined,
    turnId: string,
    speculation?: Speculation,
  ) {
    const { services, sessionId } = this.#deps;
    const turn: Turn = speculation?.turn ?? {
      id: turnId,
      controller: new AbortController(),
      bargedIn: false,
    };
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
      const answer = await this.#relay(turn.id, streamId, 0, { endOfSpeechAt, turn });
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

  /**
   * Relays a stored answer from the start, sending the frames after `after`: `partial` per
   * chunk, then `final` with the whole text, or an `error`. A barged-in turn stops at once.
   */
  async #relay(
    turnId: string,
    streamId: string,
    after: number,
    live: { endOfSpeechAt: number; turn: Turn } | undefined,
  ): Promise<{ text: string; firstAt?: number }> {
    const { services, sessionId } = this.#deps;
    const send = (frame: DownlinkFrame) => {
      this.#deps.send(frame);
    };
    const detach = services.sessions.attach(streamId);
    const stop = live === undefined ? [] : [live.turn.controller.signal];
    const signal = AbortSignal.any([this.#deps.closed, ...stop]);
    const ids = { turn_id: turnId, session_id: sessionId, stream_id: streamId };
    const speaker = live === undefined ? undefined : this.#speaker(signal, ids);
    let text = '';
    let firstAt: number | undefined;
    try {
      for await (const event of services.streams.tail(streamId, 0, signal)) {
        if (signal.aborted) break;
        if (event.type === 'data') {
          text += event.text;
          if (event.offset <= after) continue;
          firstAt ??= performance.now();
          send({ type: 'partial', ...ids, offset: event.offset, text: event.text });
          speaker?.push(event.text);
        } else if (event.type === 'done') {
          const { usage } = event.done;
          send({
            type: 'final',
            source: 'answer',
            ...ids,
            text,
            offset: event.offset,
            finish_reason: event.done.finishReason,
            usage: {
              input_tokens: usage.inputTokens,
              output_tokens: usage.outputTokens,
              cached_tokens: usage.cachedTokens,
            },
          });
          await speaker?.end();
        } else {
          const { code, message, details } = event.error;
          send(
            errorFrame(sessionId, code, message, {
              turnId,
              ...(details === undefined ? {} : { details }),
            }),
          );
        }
      }
    } finally {
      detach();
    }
    return { text, ...(firstAt === undefined ? {} : { firstAt }) };
  }

  /** The turn's speaker where the session asked for server speech; stopped by `signal`. */
  #speaker(
    signal: AbortSignal,
    ids: { turn_id: string; session_id: string; stream_id: string },
  ): Speaker | undefined {
    const tts = this.#deps.tts;
    const voice = this.#voice;
    if (tts === undefined || voice === undefined) return undefined;
    return new Speaker({
      tts,
      voice,
      signal,
      deliver: (audio, text, index) => {
        this.#deps.send({
          type: 'audio',
          ...ids,
          index,
          codec: TTS_CODEC,
          text,
          payload: audio.toString('base64'),
        });
      },
      failed: (error) => {
        this.#failure(error, ids.turn_id);
      },
    });
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
