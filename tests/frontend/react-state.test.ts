import { describe, expect, it } from 'vitest';
import { voicePhase } from '../../sdk/react/src/VoiceMic.tsx';
import {
  INITIAL_VOICE,
  LOG_LIMIT,
  reduceVoice,
  type VoiceAction,
} from '../../sdk/react/src/voice-state.ts';
import { INITIAL_XR, reduceXr, type XrStateAction } from '../../sdk/react/src/xr-state.ts';
import type { DownlinkFrame } from '../../sdk/ts/src/voice.ts';
import type { XrDownlinkFrame } from '../../sdk/ts/src/xr-socket.ts';

const ids = { turn_id: 't1', session_id: 's1' };
const voice = (frame: DownlinkFrame): VoiceAction => ({ type: 'frame', frame });
const xr = (frame: XrDownlinkFrame): XrStateAction => ({ type: 'frame', frame });

describe('the voice state of useVoice()', () => {
  it('shows the words heard while the caller speaks, until the final transcript replaces them', () => {
    const hearing = [
      voice({ ...ids, type: 'vad', speech: 'start' }),
      voice({ ...ids, type: 'transcript', text: 'what is' }),
      voice({ ...ids, type: 'transcript', text: 'what is the weather' }),
    ].reduce(reduceVoice, INITIAL_VOICE);
    expect(hearing).toMatchObject({
      speaking: true,
      hearing: 'what is the weather',
      transcript: [],
    });
    const heard = [
      voice({ ...ids, type: 'vad', speech: 'end' }),
      voice({ ...ids, type: 'final', source: 'transcript', text: 'what is the weather?' }),
    ].reduce(reduceVoice, hearing);
    expect(heard).toMatchObject({
      speaking: false,
      hearing: undefined,
      transcript: ['what is the weather?'],
    });
  });

  it('shows the transcript, the answer as it streams, then the whole answer', () => {
    const steps: VoiceAction[] = [
      { type: 'open', reconnect: false },
      voice({ ...ids, type: 'final', source: 'transcript', text: 'hello', stream_id: 'a' }),
      voice({ ...ids, type: 'partial', stream_id: 'a', offset: 1, text: 'Echo: ' }),
      voice({ ...ids, type: 'partial', stream_id: 'a', offset: 2, text: 'hello' }),
    ];
    const streaming = steps.reduce(reduceVoice, INITIAL_VOICE);
    expect(streaming).toMatchObject({
      connection: 'connected',
      transcript: ['hello'],
      answer: 'Echo: hello',
      answering: true,
      answerFinal: false,
    });
    const done = reduceVoice(
      streaming,
      voice({ ...ids, type: 'final', source: 'answer', text: 'Echo: hello!', stream_id: 'a' }),
    );
    expect(done).toMatchObject({ answer: 'Echo: hello!', answering: false, answerFinal: true });
    expect(done.log.map((entry) => entry.text)).toEqual(['connected', 'answer complete (stop)']);
  });

  it('marks the answer interrupted on a barge-in and counts it, until the next question', () => {
    const cut = [
      voice({ ...ids, type: 'partial', stream_id: 'a', offset: 1, text: 'Echo' }),
      voice({ ...ids, type: 'barge_in', latency_ms: 12.4 }),
    ].reduce(reduceVoice, INITIAL_VOICE);
    expect(cut).toMatchObject({
      interrupted: true,
      answering: false,
      bargeIns: 1,
      lastBargeInMs: 12.4,
    });
    expect(cut.log.at(-1)).toEqual({
      kind: 'barge-in',
      text: 'barge-in: answer cancelled in 12 ms',
    });
    const next = reduceVoice(cut, { type: 'typed', text: 'again' });
    expect(next).toMatchObject({ interrupted: false, answer: '', bargeIns: 1 });
    expect(next.transcript).toEqual(['(typed) again']);
  });

  it('goes reconnecting, then reconnected, and refused or closed', () => {
    const lost = reduceVoice(INITIAL_VOICE, {
      type: 'reconnecting',
      attempt: 2,
      delayMs: 310,
      code: 1006,
    });
    expect(lost).toMatchObject({ connection: 'reconnecting', reconnectAttempt: 2 });
    expect(reduceVoice(lost, { type: 'open', reconnect: true })).toMatchObject({
      connection: 'reconnected',
      reconnectAttempt: 0,
    });
    expect(reduceVoice(INITIAL_VOICE, { type: 'refused', message: 'no' }).connection).toBe(
      'refused',
    );
    expect(reduceVoice(lost, { type: 'closed', code: 1006, reason: '' }).connection).toBe('closed');
  });

  it(`keeps the newest ${LOG_LIMIT} log entries`, () => {
    const actions = Array.from({ length: LOG_LIMIT + 5 }, (): VoiceAction => ({
      type: 'token-refreshed',
    }));
    expect(actions.reduce(reduceVoice, INITIAL_VOICE).log).toHaveLength(LOG_LIMIT);
  });

  it('gives <VoiceMic/> its phase: idle, listening, answering, reconnecting, error', () => {
    const on = { ...INITIAL_VOICE, connection: 'connected' as const, microphone: 'on' as const };
    expect(voicePhase({ ...on, microphone: 'off' })).toBe('idle');
    expect(voicePhase(on)).toBe('listening');
    expect(voicePhase({ ...on, answering: true })).toBe('answering');
    expect(voicePhase({ ...on, connection: 'reconnecting' })).toBe('reconnecting');
    expect(voicePhase({ ...on, connection: 'refused' })).toBe('error');
    expect(voicePhase({ ...on, microphone: 'denied' })).toBe('error');
  });
});

describe('the XR state of useXR()', () => {
  const anchor = (id: string, x: number) => ({
    id,
    label: id,
    pose: {
      position: [x, 1, -2] as [number, number, number],
      orientation: [0, 0, 0, 1] as [number, number, number, number],
    },
    extent: [0.2, 0.2, 0.2] as [number, number, number],
  });

  it('keeps the anchors by id, a moved one replacing its old pose', () => {
    const steps: XrStateAction[] = [
      { type: 'anchors', anchors: [anchor('lamp', -0.5), anchor('mug', 0.5)] },
      { type: 'anchors', anchors: [anchor('lamp', -1)] },
    ];
    const state = steps.reduce(reduceXr, INITIAL_XR);
    expect(state.anchors.map((a) => [a.id, a.pose.position[0]])).toEqual([
      ['lamp', -1],
      ['mug', 0.5],
    ]);
  });

  it('follows the session, the answer and its actions, highlighting the anchors named', () => {
    const state = [
      xr({ type: 'session', session_id: 's1', session_key: 'k', resumed: false, anchors: 0 }),
      xr({ ...ids, type: 'final', source: 'transcript', text: 'what is this', stream_id: 'a' }),
      xr({ ...ids, type: 'partial', stream_id: 'a', offset: 1, text: 'The lamp.' }),
      xr({
        ...ids,
        type: 'action',
        stream_id: 'a',
        offset: 2,
        action: { type: 'highlight', anchor_id: 'lamp', color: '#ff0000' },
      }),
    ].reduce(reduceXr, INITIAL_XR);
    expect(state).toMatchObject({
      sessionKey: 'k',
      utterance: 'what is this',
      answer: 'The lamp.',
      answering: true,
      highlighted: { lamp: '#ff0000' },
    });
    expect(state.actions).toHaveLength(1);
    const next = reduceXr(state, { type: 'utterance', text: 'and that?' });
    expect(next).toMatchObject({
      answer: '',
      actions: [],
      highlighted: {},
      utterance: 'and that?',
    });
  });
});

describe('the voice transport of useVoice()', () => {
  it('is the socket until the socket could not open, then long-poll, and says why in the log', () => {
    expect(INITIAL_VOICE.transport).toBe('ws');
    const polled = reduceVoice(INITIAL_VOICE, {
      type: 'transport',
      transport: 'poll',
      reason: 'the upgrade was refused',
    });
    expect(polled.transport).toBe('poll');
    expect(polled.log.at(-1)).toEqual({
      kind: 'connection',
      text: 'the socket could not open (the upgrade was refused): long-polling',
    });
  });
});
