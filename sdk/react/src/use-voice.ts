import { useCallback, useEffect, useReducer, useRef } from 'react';
import { startMicrophone } from '@enis/client/microphone';
import { VoiceSocket, type RetryPolicy, type TokenSource, type VoiceEvent } from '@enis/client';
import { INITIAL_VOICE, reduceVoice, type VoiceState } from './voice-state.ts';

export interface UseVoiceOptions {
  /** The gateway, e.g. `http://127.0.0.1:8080`. A new one opens a new socket. */
  baseUrl: string;
  /** A token, or a callback asked again when the gateway answered 401 (docs/frontend.md). */
  token: TokenSource;
  reconnect?: Partial<RetryPolicy>;
  /** Every event of the socket, as `VoiceSocket` reports it (each answer chunk once). */
  onEvent?: (event: VoiceEvent) => void;
}

export interface Voice {
  state: VoiceState;
  /** Starts the microphone (getUserMedia, then 20 ms pcm16 frames to the socket). */
  startMicrophone: () => Promise<void>;
  stopMicrophone: () => void;
  /** A typed question, answered as a spoken one. */
  sendText: (text: string) => void;
}

/**
 * The voice socket of `@enis/client` as React state: opened on mount (and when `baseUrl`
 * changes), closed on unmount, with the microphone's frames sent to it. The gateway's VAD does
 * the endpointing and the barge-in; the state follows its frames (transcript, the streamed
 * answer, barge-ins) and the socket's life (connected, reconnecting, refused).
 */
export function useVoice(options: UseVoiceOptions): Voice {
  const [state, dispatch] = useReducer(reduceVoice, INITIAL_VOICE);
  const latest = useRef(options);
  useEffect(() => {
    latest.current = options;
  });
  const socket = useRef<VoiceSocket | undefined>(undefined);
  const stop = useRef<(() => void) | undefined>(undefined);
  const { baseUrl } = options;

  useEffect(() => {
    let live = true;
    const { token, reconnect } = latest.current;
    const source: TokenSource =
      typeof token === 'string'
        ? token
        : async (why) => {
            const fresh = await token(why);
            if (why === 'expired' && live) dispatch({ type: 'token-refreshed' });
            return fresh;
          };
    const voice = new VoiceSocket({
      baseUrl,
      token: source,
      ...(reconnect === undefined ? {} : { reconnect }),
      onTransport: (change) => {
        if (live) dispatch({ type: 'transport', ...change });
      },
      onEvent: (event) => {
        if (!live) return;
        latest.current.onEvent?.(event);
        dispatch(event);
      },
    });
    socket.current = voice;
    voice.open().catch((error: unknown) => {
      if (live)
        dispatch({
          type: 'refused',
          message: error instanceof Error ? error.message : String(error),
        });
    });
    return () => {
      live = false;
      stop.current?.();
      stop.current = undefined;
      voice.close();
      socket.current = undefined;
    };
  }, [baseUrl]);

  const start = useCallback(async () => {
    if (stop.current !== undefined) return;
    dispatch({ type: 'microphone', state: 'starting' });
    try {
      stop.current = await startMicrophone((pcm16) => {
        socket.current?.sendAudio(pcm16);
      });
      dispatch({ type: 'microphone', state: 'on' });
    } catch (error) {
      dispatch({
        type: 'microphone',
        state: 'denied',
        message: error instanceof Error ? error.message : String(error),
      });
    }
  }, []);

  const stopMicrophone = useCallback(() => {
    stop.current?.();
    stop.current = undefined;
    dispatch({ type: 'microphone', state: 'off' });
  }, []);

  const sendText = useCallback((text: string) => {
    if (text.trim() === '') return;
    dispatch({ type: 'typed', text });
    socket.current?.sendText(text);
  }, []);

  return { state, startMicrophone: start, stopMicrophone, sendText };
}
