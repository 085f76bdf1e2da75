import type { VoiceState } from './voice-state.ts';

/** What the microphone control shows, from the voice state. */
export type VoicePhase = 'idle' | 'starting' | 'listening' | 'answering' | 'reconnecting' | 'error';

export function voicePhase(state: VoiceState): VoicePhase {
  if (state.connection === 'refused' || state.connection === 'closed') return 'error';
  if (state.microphone === 'denied') return 'error';
  if (state.connection === 'reconnecting') return 'reconnecting';
  if (state.microphone === 'starting') return 'starting';
  if (state.microphone === 'off') return 'idle';
  return state.answering ? 'answering' : 'listening';
}

function caption(state: VoiceState, phase: VoicePhase): string {
  switch (phase) {
    case 'idle':
      return state.connection === 'connecting' ? 'connecting' : 'microphone off';
    case 'starting':
      return 'starting the microphone';
    case 'listening':
      return state.speaking ? 'listening (hearing you)' : 'listening';
    case 'answering':
      return 'answering (speak to interrupt)';
    case 'reconnecting':
      return `reconnecting (attempt ${state.reconnectAttempt})`;
    case 'error':
      if (state.microphone === 'denied') return 'microphone unavailable';
      return state.connection === 'refused' ? 'refused by the gateway' : 'disconnected';
  }
}

export interface VoiceMicProps {
  state: VoiceState;
  onStart: () => void;
  onStop: () => void;
}

/**
 * The microphone button of a voice page and what the voice socket is doing: idle, listening,
 * answering (speaking over the answer interrupts it: the gateway's barge-in), reconnecting,
 * or an error. Stateless: it shows `useVoice().state`.
 */
export function VoiceMic({ state, onStart, onStop }: VoiceMicProps) {
  const phase = voicePhase(state);
  const on = state.microphone === 'on';
  const usable = state.connection === 'connected' || state.connection === 'reconnected';
  return (
    <div className="enis-voice-mic" data-phase={phase} data-transport={state.transport}>
      <button
        type="button"
        aria-pressed={on}
        disabled={!on && (!usable || state.microphone === 'starting')}
        onClick={on ? onStop : onStart}
      >
        {on ? 'Stop microphone' : 'Start microphone'}
      </button>
      <span className="enis-voice-mic-phase" role="status">
        {caption(state, phase)}
        {state.transport === 'poll' ? ' (over long-poll)' : ''}
      </span>
      {state.hearing !== undefined && (
        <span className="enis-voice-mic-hearing" aria-live="polite">
          {state.hearing}
        </span>
      )}
      {state.bargeIns > 0 && (
        <span className="enis-voice-mic-barge-ins">
          {state.bargeIns} barge-in{state.bargeIns === 1 ? '' : 's'}
          {state.lastBargeInMs === undefined ? '' : `, last ${Math.round(state.lastBargeInMs)} ms`}
        </span>
      )}
      {state.error !== undefined && (
        <span className="enis-voice-mic-error" role="alert">
          {state.error.code}: {state.error.message}
        </span>
      )}
    </div>
  );
}
