import type { DownlinkFrame, VoiceEvent } from '@enis/client';

/** The voice socket's life as a page shows it. */
export type Connection =
  'connecting' | 'connected' | 'reconnecting' | 'reconnected' | 'refused' | 'closed';

/** The microphone: `denied` when getUserMedia or the AudioWorklet failed. */
export type Microphone = 'off' | 'starting' | 'on' | 'denied';

/** One line of the event log. */
export interface LogEntry {
  kind: 'connection' | 'answer' | 'barge-in' | 'error' | 'microphone' | 'token';
  text: string;
}

export interface VoiceState {
  connection: Connection;
  /**
   * How the session is carried: the socket, or the HTTP long-poll form once the socket could
   * not be opened (`VoiceSocket`'s `transport: 'auto'` fallback, told by `onTransport`).
   */
  transport: 'ws' | 'poll';
  /** The reconnect attempt in progress (1 for the first), 0 when none. */
  reconnectAttempt: number;
  microphone: Microphone;
  /** The final transcripts of the turns, oldest first; a typed question is one too. */
  transcript: string[];
  /**
   * The words heard so far of the utterance being spoken (the gateway's `transcript` frames,
   * where it sends them: VOICE_PARTIAL_TRANSCRIPT_MS), until its final transcript.
   */
  hearing: string | undefined;
  /** The gateway's VAD hears speech now (its `vad` frames). */
  speaking: boolean;
  /** The answer streamed so far (each chunk once), or the whole answer once final. */
  answer: string;
  /** An answer is streaming: its first chunk came and neither its final nor a barge-in yet. */
  answering: boolean;
  /** The current answer is whole (its `final` frame came). */
  answerFinal: boolean;
  /** The current answer was cut off by a barge-in. */
  interrupted: boolean;
  /** Barge-ins so far, and the gateway's latency of the last one. */
  bargeIns: number;
  lastBargeInMs: number | undefined;
  /** The last error the gateway or the page reported. */
  error: { code: string; message: string } | undefined;
  /** The newest `LOG_LIMIT` entries, oldest first. */
  log: LogEntry[];
}

export const LOG_LIMIT = 50;

/** What changes the state: the socket's events and the page's own actions. */
export type VoiceAction =
  | VoiceEvent
  | { type: 'typed'; text: string }
  | { type: 'refused'; message: string }
  | { type: 'microphone'; state: Microphone; message?: string }
  | { type: 'token-refreshed' }
  | { type: 'transport'; transport: 'poll'; reason: string };

export const INITIAL_VOICE: VoiceState = {
  connection: 'connecting',
  transport: 'ws',
  reconnectAttempt: 0,
  microphone: 'off',
  transcript: [],
  hearing: undefined,
  speaking: false,
  answer: '',
  answering: false,
  answerFinal: false,
  interrupted: false,
  bargeIns: 0,
  lastBargeInMs: undefined,
  error: undefined,
  log: [],
};

function logged(state: VoiceState, entry: LogEntry): LogEntry[] {
  return [...state.log, entry].slice(-LOG_LIMIT);
}

function frame(state: VoiceState, frame: DownlinkFrame): VoiceState {
  switch (frame.type) {
    case 'final':
      if (frame.source === 'transcript')
        return {
          ...state,
          transcript: [...state.transcript, frame.text],
          hearing: undefined,
          answer: '',
          answering: false,
          answerFinal: false,
          interrupted: false,
        };
      return {
        ...state,
        answer: frame.text,
        answering: false,
        answerFinal: true,
        log: logged(state, {
          kind: 'answer',
          text: `answer complete (${frame.finish_reason ?? 'stop'})`,
        }),
      };
    case 'transcript':
      return { ...state, hearing: frame.text };
    case 'vad':
      return { ...state, speaking: frame.speech === 'start' };
    case 'partial':
      return { ...state, answer: state.answer + frame.text, answering: true };
    case 'barge_in':
      return {
        ...state,
        answering: false,
        interrupted: true,
        bargeIns: state.bargeIns + 1,
        lastBargeInMs: frame.latency_ms,
        log: logged(state, {
          kind: 'barge-in',
          text: `barge-in: answer cancelled in ${Math.round(frame.latency_ms)} ms`,
        }),
      };
    case 'error':
      return {
        ...state,
        error: { code: frame.code, message: frame.message },
        log: logged(state, { kind: 'error', text: `error ${frame.code}: ${frame.message}` }),
      };
    case 'metrics':
    case 'audio':
      return state;
  }
}

/** The state after `action`: a pure function, so the hook is `useReducer` over it. */
export function reduceVoice(state: VoiceState, action: VoiceAction): VoiceState {
  switch (action.type) {
    case 'frame':
      return frame(state, action.frame);
    case 'open':
      return {
        ...state,
        connection: action.reconnect ? 'reconnected' : 'connected',
        reconnectAttempt: 0,
        log: logged(state, {
          kind: 'connection',
          text: action.reconnect ? 'reconnected, answer resumed' : 'connected',
        }),
      };
    case 'reconnecting':
      return {
        ...state,
        connection: 'reconnecting',
        reconnectAttempt: action.attempt,
        log: logged(state, {
          kind: 'connection',
          text: `connection lost (${action.code}), reconnecting in ${Math.round(action.delayMs)} ms`,
        }),
      };
    case 'closed':
      return { ...state, connection: 'closed', reconnectAttempt: 0 };
    case 'error':
      return {
        ...state,
        error: { code: action.error.code, message: action.error.message },
        log: logged(state, {
          kind: 'error',
          text: `error ${action.error.code}: ${action.error.message}`,
        }),
      };
    case 'refused':
      return {
        ...state,
        connection: 'refused',
        log: logged(state, { kind: 'error', text: `could not connect: ${action.message}` }),
      };
    case 'typed':
      return {
        ...state,
        transcript: [...state.transcript, `(typed) ${action.text}`],
        answer: '',
        answering: false,
        answerFinal: false,
        interrupted: false,
      };
    case 'microphone':
      return {
        ...state,
        microphone: action.state,
        log:
          action.state === 'on' || action.state === 'denied'
            ? logged(state, {
                kind: 'microphone',
                text:
                  action.state === 'on'
                    ? 'microphone on'
                    : `microphone: ${action.message ?? 'denied'}`,
              })
            : state.log,
      };
    case 'token-refreshed':
      return { ...state, log: logged(state, { kind: 'token', text: 'token expired, refreshed' }) };
    case 'transport':
      return {
        ...state,
        transport: action.transport,
        log: logged(state, {
          kind: 'connection',
          text: `the socket could not open (${action.reason}): long-polling`,
        }),
      };
  }
}
