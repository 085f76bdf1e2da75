import type { Meta, StoryObj } from '@storybook/react-vite';
import { expect, fn, userEvent, within } from 'storybook/test';
import { VoiceMic } from '../src/VoiceMic.tsx';
import { INITIAL_VOICE, type VoiceState } from '../src/voice-state.ts';

const connected: VoiceState = { ...INITIAL_VOICE, connection: 'connected' };

const meta = {
  title: 'Components/VoiceMic',
  component: VoiceMic,
  args: { state: connected, onStart: fn(), onStop: fn() },
} satisfies Meta<typeof VoiceMic>;

export default meta;
type Story = StoryObj<typeof meta>;

/** Connected, the microphone off: pressing the button asks for it. */
export const Idle: Story = {
  play: async ({ args, canvasElement }) => {
    await userEvent.click(within(canvasElement).getByRole('button', { name: 'Start microphone' }));
    await expect(args.onStart).toHaveBeenCalledOnce();
    await expect(args.onStop).not.toHaveBeenCalled();
  },
};

/** The microphone on: pressing the button stops it. */
export const Listening: Story = {
  args: {
    state: { ...connected, microphone: 'on', transcript: ['what is the weather in london'] },
  },
  play: async ({ args, canvasElement }) => {
    await userEvent.click(within(canvasElement).getByRole('button', { name: 'Stop microphone' }));
    await expect(args.onStop).toHaveBeenCalledOnce();
    await expect(args.onStart).not.toHaveBeenCalled();
  },
};

/** The caller speaking, with the gateway's transcript frames (VOICE_PARTIAL_TRANSCRIPT_MS). */
export const Hearing: Story = {
  args: {
    state: { ...connected, microphone: 'on', speaking: true, hearing: 'what is the weather' },
  },
};

/** An answer streaming: speaking over it is a barge-in. */
export const Answering: Story = {
  args: {
    state: {
      ...connected,
      microphone: 'on',
      transcript: ['what is the weather in london'],
      answer: 'Echo: what is the',
      answering: true,
    },
  },
};

export const AfterBargeIn: Story = {
  args: {
    state: {
      ...connected,
      microphone: 'on',
      interrupted: true,
      bargeIns: 1,
      lastBargeInMs: 21.6,
    },
  },
};

export const Reconnecting: Story = {
  args: {
    state: { ...connected, microphone: 'on', connection: 'reconnecting', reconnectAttempt: 2 },
  },
};

/** Listening over the session's HTTP long-poll form: the socket could not open. */
export const OverLongPoll: Story = {
  args: { state: { ...connected, microphone: 'on', transport: 'poll' } },
};

/** The gateway refused the socket (here, the origin is not allowed). */
export const Refused: Story = {
  args: {
    state: {
      ...INITIAL_VOICE,
      connection: 'refused',
      error: { code: 'FORBIDDEN', message: 'This origin may not open the voice socket.' },
    },
  },
  // A refused socket cannot take the microphone: the button is disabled and asks for nothing.
  play: async ({ args, canvasElement }) => {
    const button = within(canvasElement).getByRole('button', { name: 'Start microphone' });
    await expect(button).toBeDisabled();
    await userEvent.click(button, { pointerEventsCheck: 0 });
    await expect(args.onStart).not.toHaveBeenCalled();
  },
};

export const MicrophoneDenied: Story = {
  args: { state: { ...connected, microphone: 'denied' } },
};
