import { randomBytes, randomUUID } from 'node:crypto';
import type { ChatMessage } from '../../core/types.ts';
import { ApiError } from '../../errors/api-error.ts';
import { toApiError } from '../../errors/to-api-error.ts';
import type { Principal } from '../../security/principal.ts';
import type { Services } from '../services.ts';
import { startVoiceAnswer } from '../voice/answer.ts';
import { answerError, answerEvents, answerFinal } from '../voice/answer-events.ts';
import { errorFrame } from '../voice/frames.ts';
import { ActionExtractor } from './actions.ts';
import type { XrDownlinkFrame, XrUplinkFrame } from './frames.ts';
import { groundingVariables } from './grounding.ts';
import type { XrMetrics } from './metrics.ts';
import { resolveGesture, resolveUtterance, type Resolution } from './resolve.ts';
import { HOLD_MS, normalPose, Scene, type SceneSnapshot } from './scene.ts';
import { applyFrame, type Fault } from './apply.ts';
import { SessionTiming } from './timing.ts';

/** The prompt XR turns are answered with (prompts/xr.yaml). */
export const XR_PROMPT = 'xr';
/** Earlier messages a turn sends along: the last four exchanges. */
const HISTORY = 8;

export interface XrSessionDeps {
  services: Services;
  metrics: XrMetrics;
  principal: Principal;
  /** The model alias turns ask for (`XR_MODEL`); the prompt's or gateway's default if unset. */
  model: string | undefined;
  /** Frames older than this (`XR_FRAME_MAX_AGE_MS`) are dropped, not processed late. */
  maxAgeMs: number;
  /** How the assistant appears in the scene (`XR_AVATAR`), for the prompt's avatar_mode. */
  avatar: string;
}

/** A session as JSON: its key, tenant, scene and history (sessions.ts keeps it in Redis). */
export interface XrSessionSnapshot {
  key: string;
  tenant: string;
  scene: SceneSnapshot;
  history: ChatMessage[];
}

/** The transport a session is attached to: one socket at a time. */
export interface XrTransport {
  sessionId: string;
  send(frame: XrDownlinkFrame): void;
  closed: AbortSignal;
}

/**
 * One XR session: its scene (anchors and the frame window), its frame timing, and its turns.
 * It outlives a dropped socket for the resume window (sessions.ts), so a client that
 * reconnects mid-gesture finds its anchors, window and held gesture where it left them.
 */
export class XrSession {
  /** The secret a new socket resumes this session with. */
  readonly key: string;
  readonly scene: Scene;
  readonly timing: SessionTiming;
  readonly #deps: XrSessionDeps;
  readonly #history: ChatMessage[];
  #transport: XrTransport | undefined;
  #current: AbortController | undefined;
  #actionsDropped = 0;

  /**
   * A new session, or one resumed from another replica's `kept` copy: its key, scene and
   * history; its frame timing starts again (the clock offset is estimated anew).
   */
  constructor(deps: XrSessionDeps, kept?: XrSessionSnapshot) {
    this.#deps = deps;
    this.timing = new SessionTiming(deps.maxAgeMs);
    this.key = kept?.key ?? randomBytes(24).toString('base64url');
    this.scene = kept === undefined ? new Scene() : Scene.restore(kept.scene);
    this.#history = kept === undefined ? [] : kept.history.slice(-HISTORY);
  }

  snapshot(): XrSessionSnapshot {
    return {
      key: this.key,
      tenant: this.tenant,
      scene: this.scene.snapshot(),
      history: [...this.#history],
    };
  }

  get tenant(): string {
    return this.#deps.principal.tenant;
  }

  get actionsDropped(): number {
    return this.#actionsDropped;
  }

  /** Sends this socket's frames from now on (a resumed session changes sockets). */
  attach(transport: XrTransport): void {
    this.#transport = transport;
  }

  detach(transport: XrTransport): void {
    if (this.#transport === transport) this.#transport = undefined;
  }

  /** The timing figures as a `timing` frame (the socket's heartbeat). */
  timingFrame(sessionId: string): XrDownlinkFrame {
    return {
      type: 'timing',
      session_id: sessionId,
      clock_offset_ms: this.timing.offsetMs ?? null,
      streams: this.timing.figures(),
      actions_dropped: this.#actionsDropped,
    };
  }

  /**
   * Takes one frame that arrived at `arrivalMs` (the gateway's clock): pose, gaze, gesture
   * and voice_vad frames go through timing first (out-of-order and stale ones are counted and
   * dropped); anchors are applied as they come. Returns a fault for a frame that parses but
   * cannot be used (a zero rotation or direction).
   */
  ingest(frame: Exclude<XrUplinkFrame, { type: 'resume' }>, arrivalMs: number): Fault | undefined {
    if (frame.type === 'anchors') return this.#anchors(frame.data);
    const admission = this.timing.admit(frame.type, frame.ts, arrivalMs);
    if (!admission.admitted) {
      this.#deps.metrics.dropped.inc({ reason: admission.reason });
      return undefined;
    }
    if (admission.deviationMs !== undefined)
      this.#deps.metrics.jitter.observe({ stream: frame.type }, admission.deviationMs / 1000);
    if (frame.type !== 'voice_vad') {
      const fault = applyFrame(this.scene, frame);
      if (fault === undefined && frame.type === 'gesture' && frame.data.phase === 'start') {
        const { kind, hand } = frame.data;
        const handPose = this.scene.hands[hand].at(frame.ts, HOLD_MS);
        const ray = this.scene.handRay(hand, frame.ts);
        const anchors = [...this.scene.anchors.values()];
        this.#referent('gesture', frame.ts, resolveGesture(anchors, kind, handPose, ray));
      }
      return fault;
    }
    const { scene } = this;
    if (frame.data.state === 'start') {
      scene.speechStartTs = frame.ts;
      // Speech over an answer cancels it (barge-in), as on the voice socket.
      this.#current?.abort(
        new ApiError('BAD_REQUEST', 'The caller spoke over the answer.', {
          details: { reason: 'barge_in' },
        }),
      );
      return undefined;
    }
    const startTs = frame.data.start_ts ?? scene.speechStartTs ?? frame.ts;
    scene.speechStartTs = undefined;
    if (frame.data.text !== undefined) void this.#turn(frame.data.text, startTs, frame.ts);
    return undefined;
  }

  /** Relays an earlier answer after `after` (default: the token's offset) to this socket. */
  async resumeAnswer(token: string, after: number | undefined): Promise<void> {
    const { services } = this.#deps;
    const position = services.resumeTokens.verify(token);
    const meta = await services.streams.meta(position.streamId);
    if (meta?.tenant !== this.tenant)
      throw new ApiError('INVALID_RESUME_TOKEN', 'Resume token names a stream that has expired.');
    await this.#relay(randomUUID(), position.streamId, after ?? position.offset, undefined);
  }

  /** Cancels the answer in flight (the session expired). */
  close(): void {
    this.#current?.abort(new ApiError('BAD_REQUEST', 'The XR session ended.'));
  }

  #send(frame: XrDownlinkFrame): void {
    this.#transport?.send(frame);
  }

  #anchors(data: Extract<XrUplinkFrame, { type: 'anchors' }>['data']): Fault | undefined {
    const upserts = [];
    for (const [index, anchor] of (data.upsert ?? []).entries()) {
      const pose = normalPose(anchor.pose);
      if (pose === undefined)
        return {
          field: `/data/upsert/${index}/pose/orientation`,
          message: 'orientation is a zero quaternion.',
        };
      upserts.push({ ...anchor, pose });
    }
    for (const id of data.remove ?? []) this.scene.anchors.delete(id);
    if (!this.scene.upsert(upserts))
      return { field: '/data/upsert', message: 'A session holds at most 512 anchors.' };
    return undefined;
  }

  #referent(
    cause: 'utterance' | 'gesture',
    atTs: number,
    resolution: Resolution,
    turnId?: string,
  ): void {
    const sessionId = this.#transport?.sessionId ?? '';
    this.#send({
      type: 'referent',
      session_id: sessionId,
      ...(turnId === undefined ? {} : { turn_id: turnId }),
      cause,
      at_ts: atTs,
      rule: resolution.rule,
      referents: [...resolution.referents],
      ...(resolution.overruled === undefined ? {} : { overruled: resolution.overruled }),
    });
  }

  async #turn(text: string, startTs: number, endTs: number): Promise<void> {
    const { services, principal } = this.#deps;
    const { scene } = this;
    const anchors = [...scene.anchors.values()];
    const evidence = scene.evidenceAt(startTs, endTs);
    const resolution = resolveUtterance(anchors, evidence, text);
    const held = (['point', 'pinch', 'grab'] as const).flatMap((kind) => {
      const by = scene.holding(kind, endTs);
      return by === undefined ? [] : [`${kind} with the ${by.hand} hand`];
    });
    const gesture = held[0] ?? 'no gesture';
    const variables = groundingVariables(
      anchors,
      evidence.head,
      resolution,
      gesture,
      this.#deps.avatar,
    );
    const turnId = randomUUID();
    this.#referent('utterance', startTs, resolution, turnId);
    const controller = new AbortController();
    this.#current?.abort(new ApiError('BAD_REQUEST', 'A newer turn replaced it.'));
    this.#current = controller;
    try {
      const streamId = await startVoiceAnswer(
        services,
        {
          requestId: turnId,
          tenant: principal.tenant,
          principal: principal.subject,
          surface: 'xr',
          signal: controller.signal,
          deadlineMs: services.snapshot().gateway.limits.requestTimeoutMs,
        },
        controller,
        {
          transcript: text,
          history: this.#history,
          model: this.#deps.model,
          prompt: { id: XR_PROMPT, variables: { ...variables } },
        },
      );
      this.#send({
        type: 'final',
        source: 'transcript',
        turn_id: turnId,
        session_id: this.#transport?.sessionId ?? '',
        text,
        stream_id: streamId,
        resume_token: services.resumeTokens.sign({ streamId, offset: 0 }).token,
      });
      const answer = await this.#relay(turnId, streamId, 0, controller.signal);
      this.#history.push({ role: 'user', content: text }, { role: 'assistant', content: answer });
      this.#history.splice(0, Math.max(0, this.#history.length - HISTORY));
    } catch (error) {
      if (!controller.signal.aborted) this.#failure(error, turnId);
    } finally {
      if (this.#current === controller) this.#current = undefined;
    }
  }

  /**
   * Relays a stored answer from its start, sending what lies after `after`: its text as
   * `partial` frames with the actions taken out, each valid action as an `action` frame
   * (an invalid one is dropped and counted), then `final` with the whole shown text. The
   * extraction reads the whole text every time, so a resumed relay sends the same actions.
   */
  async #relay(
    turnId: string,
    streamId: string,
    after: number,
    stop: AbortSignal | undefined,
  ): Promise<string> {
    const { services, metrics } = this.#deps;
    const extractor = new ActionExtractor((id) => this.scene.anchors.has(id));
    const signals = [this.#transport?.closed, stop].filter(
      (s): s is AbortSignal => s !== undefined,
    );
    const signal = AbortSignal.any(signals);
    const sessionId = this.#transport?.sessionId ?? '';
    const ids = { turn_id: turnId, session_id: sessionId, stream_id: streamId };
    let text = '';
    const emit = (offset: number, extracted: ReturnType<ActionExtractor['push']>) => {
      text += extracted.text;
      if (offset <= after) return;
      if (extracted.text !== '')
        this.#send({ type: 'partial', ...ids, offset, text: extracted.text });
      for (const action of extracted.actions)
        this.#send({ type: 'action', ...ids, offset, action });
      for (const reason of extracted.dropped) {
        this.#actionsDropped++;
        metrics.actionsDropped.inc({ reason });
      }
    };
    for await (const event of answerEvents(services, streamId, signal)) {
      if (event.type === 'data') emit(event.offset, extractor.push(event.text));
      else if (event.type === 'done') {
        emit(event.offset, extractor.finish());
        this.#send(answerFinal(ids, text, event));
      } else this.#send(answerError(ids, event));
    }
    return text;
  }

  #failure(error: unknown, turnId: string): void {
    if (this.#transport === undefined || this.#transport.closed.aborted) return;
    const { code, message, details } = toApiError(error).toBody().error;
    this.#send(
      errorFrame(this.#transport.sessionId, code, message, {
        turnId,
        ...(details === undefined ? {} : { details }),
      }),
    );
  }
}
