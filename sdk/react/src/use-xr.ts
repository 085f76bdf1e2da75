import { useCallback, useEffect, useMemo, useReducer, useRef } from 'react';
import {
  XrSocket,
  type RetryPolicy,
  type TokenSource,
  type XrEvent,
  type XrUplinkFrame,
} from '@enis/client';
import { INITIAL_XR, reduceXr, type Anchor, type XrState } from './xr-state.ts';

type Data<T extends XrUplinkFrame['type']> = Extract<XrUplinkFrame, { type: T }>['data'];

export interface UseXROptions {
  /** The gateway, e.g. `http://127.0.0.1:8080`. A new one opens a new socket. */
  baseUrl: string;
  token: TokenSource;
  reconnect?: Partial<RetryPolicy>;
  /** Every event of the socket (each answer chunk and action once). */
  onEvent?: (event: XrEvent) => void;
}

export interface XR {
  state: XrState;
  /** The clock of every frame's `ts`: ms, `performance.timeOrigin + performance.now()`. */
  now: () => number;
  /**
   * Registers (or moves) anchors: sent at once when the socket is open, and sent again on a new
   * session (the first, or one after a reconnect whose kept session was gone); kept in
   * `state.anchors`.
   */
  upsertAnchors: (anchors: Anchor[]) => void;
  pose: (data: Data<'pose'>, ts?: number) => void;
  gaze: (data: Data<'gaze'>, ts?: number) => void;
  gesture: (data: Data<'gesture'>, ts?: number) => void;
  /** Speech onset (`voice_vad` start): cancels an answer that is streaming. */
  speechStart: (ts?: number) => void;
  /** An utterance's end with its transcript: a turn, resolved at `startTs` (its onset). */
  utterance: (text: string, startTs?: number, ts?: number) => void;
}

const clock = () => performance.timeOrigin + performance.now();

/**
 * The XR socket (docs/xr.md) as React state: opened on mount (and when `baseUrl` changes),
 * closed on unmount; frames sent stamped with one monotonic clock; the state follows the
 * gateway's frames (referent, answer, actions, timing) and the socket's life.
 */
export function useXR(options: UseXROptions): XR {
  const [state, dispatch] = useReducer(reduceXr, INITIAL_XR);
  const latest = useRef(options);
  useEffect(() => {
    latest.current = options;
  });
  const socket = useRef<XrSocket | undefined>(undefined);
  /** What this page registered, sent again on a new session (a resumed one still has them). */
  const anchors = useRef(new Map<string, Anchor>());
  const { baseUrl } = options;

  useEffect(() => {
    let live = true;
    const { token, reconnect } = latest.current;
    const xr = new XrSocket({
      baseUrl,
      token,
      ...(reconnect === undefined ? {} : { reconnect }),
      onEvent: (event) => {
        if (!live) return;
        // A new session, or a kept one that is gone: it has none of this page's anchors.
        const fresh =
          (event.type === 'open' && !event.reconnect) ||
          (event.type === 'frame' &&
            event.frame.type === 'error' &&
            event.frame.field === '/data/session_key');
        if (fresh && anchors.current.size > 0)
          xr.send({
            type: 'anchors',
            data: { upsert: [...anchors.current.values()] },
            ts: clock(),
          });
        latest.current.onEvent?.(event);
        dispatch(event);
      },
    });
    socket.current = xr;
    xr.open().catch((error: unknown) => {
      if (live)
        dispatch({
          type: 'refused',
          message: error instanceof Error ? error.message : String(error),
        });
    });
    return () => {
      live = false;
      xr.close();
      socket.current = undefined;
    };
  }, [baseUrl]);

  const send = useCallback((frame: XrUplinkFrame) => {
    socket.current?.send(frame);
  }, []);

  const upsertAnchors = useCallback(
    (upsert: Anchor[]) => {
      for (const anchor of upsert) anchors.current.set(anchor.id, anchor);
      send({ type: 'anchors', data: { upsert }, ts: clock() });
      dispatch({ type: 'anchors', anchors: upsert });
    },
    [send],
  );

  const utterance = useCallback(
    (text: string, startTs?: number, ts = clock()) => {
      send({
        type: 'voice_vad',
        data: { state: 'end', text, ...(startTs === undefined ? {} : { start_ts: startTs }) },
        ts,
      });
      dispatch({ type: 'utterance', text });
    },
    [send],
  );

  const rest = useMemo(
    () => ({
      now: clock,
      pose: (data: Data<'pose'>, ts = clock()) => {
        send({ type: 'pose', data, ts });
      },
      gaze: (data: Data<'gaze'>, ts = clock()) => {
        send({ type: 'gaze', data, ts });
      },
      gesture: (data: Data<'gesture'>, ts = clock()) => {
        send({ type: 'gesture', data, ts });
      },
      speechStart: (ts = clock()) => {
        send({ type: 'voice_vad', data: { state: 'start' }, ts });
      },
    }),
    [send],
  );

  return { state, upsertAnchors, utterance, ...rest };
}
