import type { Connection } from './voice-state.ts';
import type { XrDownlinkFrame, XrEvent, XrUplinkFrame } from '@enis/client';

/** An anchor as the `anchors` frame registers it. */
export type Anchor = NonNullable<
  Extract<XrUplinkFrame, { type: 'anchors' }>['data']['upsert']
>[number];
export type XrAction = Extract<XrDownlinkFrame, { type: 'action' }>['action'];
export type Referent = Extract<XrDownlinkFrame, { type: 'referent' }>;
export type Timing = Extract<XrDownlinkFrame, { type: 'timing' }>;

export interface XrState {
  connection: Connection;
  reconnectAttempt: number;
  /** The session's key and whether the last `session` frame was a resumed one. */
  sessionKey: string | undefined;
  resumed: boolean;
  /** The anchors this page registered, by id, in registration order. */
  anchors: Anchor[];
  /** The last referent the gateway resolved (an utterance's or a gesture's). */
  referent: Referent | undefined;
  /** The last utterance's transcript, as the gateway took it. */
  utterance: string | undefined;
  /** The answer streamed so far (markup taken out), or the whole answer once final. */
  answer: string;
  answering: boolean;
  answerFinal: boolean;
  /** The actions of the current answer, in arrival order. */
  actions: XrAction[];
  /** The anchors the current answer highlighted, with the colour asked for (if any). */
  highlighted: Record<string, string | undefined>;
  /** The last `timing` frame (every second). */
  timing: Timing | undefined;
  /** The gateway's last error (a frame's or a reconnect's). */
  error: { code: string; message: string } | undefined;
  /** Why the socket could not open, when `connection` is `refused`. */
  refusal: string | undefined;
}

export type XrStateAction =
  | XrEvent
  | { type: 'anchors'; anchors: Anchor[] }
  | { type: 'utterance'; text: string }
  | { type: 'refused'; message: string };

export const INITIAL_XR: XrState = {
  connection: 'connecting',
  reconnectAttempt: 0,
  sessionKey: undefined,
  resumed: false,
  anchors: [],
  referent: undefined,
  utterance: undefined,
  answer: '',
  answering: false,
  answerFinal: false,
  actions: [],
  highlighted: {},
  timing: undefined,
  error: undefined,
  refusal: undefined,
};

const newAnswer = {
  answer: '',
  answering: false,
  answerFinal: false,
  actions: [],
  highlighted: {},
};

function frame(state: XrState, frame: XrDownlinkFrame): XrState {
  switch (frame.type) {
    case 'session':
      return { ...state, sessionKey: frame.session_key, resumed: frame.resumed };
    case 'referent':
      return { ...state, referent: frame };
    case 'final':
      if (frame.source === 'transcript') return { ...state, ...newAnswer, utterance: frame.text };
      return { ...state, answer: frame.text, answering: false, answerFinal: true };
    case 'partial':
      return { ...state, answer: state.answer + frame.text, answering: true };
    case 'action': {
      const { action } = frame;
      const highlighted =
        action.type === 'highlight'
          ? { ...state.highlighted, [action.anchor_id]: action.color }
          : state.highlighted;
      return { ...state, actions: [...state.actions, action], highlighted };
    }
    case 'timing':
      return { ...state, timing: frame };
    case 'error':
      return { ...state, error: { code: frame.code, message: frame.message } };
  }
}

/** The state after `action`: a pure function, so the hook is `useReducer` over it. */
export function reduceXr(state: XrState, action: XrStateAction): XrState {
  switch (action.type) {
    case 'frame':
      return frame(state, action.frame);
    case 'open':
      return {
        ...state,
        connection: action.reconnect ? 'reconnected' : 'connected',
        reconnectAttempt: 0,
      };
    case 'reconnecting':
      return { ...state, connection: 'reconnecting', reconnectAttempt: action.attempt };
    case 'closed':
      return { ...state, connection: 'closed', reconnectAttempt: 0 };
    case 'error':
      return { ...state, error: { code: action.error.code, message: action.error.message } };
    case 'refused':
      return { ...state, connection: 'refused', refusal: action.message };
    case 'anchors': {
      const byId = new Map(state.anchors.map((anchor) => [anchor.id, anchor]));
      for (const anchor of action.anchors) byId.set(anchor.id, anchor);
      return { ...state, anchors: [...byId.values()] };
    }
    case 'utterance':
      return { ...state, ...newAnswer, utterance: action.text };
  }
}
