import type { Meta, StoryObj } from '@storybook/react-vite';
import { XRFeed } from '../src/XRFeed.tsx';
import { INITIAL_XR, type Anchor, type XrState } from '../src/xr-state.ts';

const upright: [number, number, number, number] = [0, 0, 0, 1];
const anchor = (id: string, label: string, x: number): Anchor => ({
  id,
  label,
  pose: { position: [x, 1, -2], orientation: upright },
  extent: [0.3, 0.3, 0.3],
});
const anchors = [
  anchor('lamp', 'desk lamp', -0.6),
  anchor('mug', 'red mug', 0),
  anchor('plant', 'plant', 0.6),
];

const connected: XrState = {
  ...INITIAL_XR,
  connection: 'connected',
  sessionKey: 'key',
  anchors,
};

const referent: XrState['referent'] = {
  type: 'referent',
  session_id: 'story',
  turn_id: 'turn-1',
  cause: 'utterance',
  at_ts: 1000,
  rule: 'pointing_over_gaze',
  referents: [
    { anchor_id: 'mug', label: 'red mug', source: 'point', distance_m: 2, angle_deg: 0.4 },
  ],
  overruled: {
    anchor_id: 'lamp',
    label: 'desk lamp',
    source: 'gaze',
    distance_m: 2.1,
    angle_deg: 1.2,
  },
};

const meta = {
  title: 'Components/XRFeed',
  component: XRFeed,
  args: { state: connected },
} satisfies Meta<typeof XRFeed>;

export default meta;
type Story = StoryObj<typeof meta>;

/** Connected, three anchors registered, nothing asked yet. */
export const Anchors: Story = {};

/** "What is this?" while pointing at the mug and looking at the lamp: the answer streaming. */
export const Answering: Story = {
  args: {
    state: {
      ...connected,
      referent,
      utterance: 'what is this',
      answer: 'That is the red mug',
      answering: true,
    },
  },
};

/** The answer whole, with its actions: the mug highlighted and annotated, a haptic pulse. */
export const WithActions: Story = {
  args: {
    state: {
      ...connected,
      referent,
      utterance: 'what is this',
      answer: 'That is the red mug you left this morning.',
      answerFinal: true,
      actions: [
        { type: 'highlight', anchor_id: 'mug', color: '#e5484d', duration_ms: 3000 },
        { type: 'annotate', anchor_id: 'mug', text: 'red mug' },
        { type: 'haptic', hand: 'right', intensity: 0.5, duration_ms: 80 },
      ],
      highlighted: { mug: '#e5484d' },
    },
  },
};

export const Reconnecting: Story = {
  args: { state: { ...connected, connection: 'reconnecting', reconnectAttempt: 1 } },
};

/** The gateway refused the socket. */
export const Refused: Story = {
  args: {
    state: {
      ...INITIAL_XR,
      connection: 'refused',
      refusal: 'the XR socket closed before it opened (1006)',
    },
  },
};
