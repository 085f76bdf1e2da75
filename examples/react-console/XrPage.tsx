import { useEffect, useMemo, useRef, useState, type SubmitEvent } from 'react';
import type { XrDownlinkFrame, XrEvent } from '@enis/client';
import { useXR, XRFeed, type XrState } from '@enis/react';
import { ANCHORS, draw, type Marks } from '../xr-panel/scene.ts';
import { GATEWAY, RECONNECT, TOKEN } from './gateway.ts';
import { PageHeader } from './PageHeader.tsx';
import { useSceneStream, type Sent } from './use-scene-stream.ts';

/** What the page sent and received, for the tests to read (each chunk and action once). */
const seen = {
  sent: { pose: 0, gaze: 0, gesture: 0, voice_vad: 0 } as Sent & { voice_vad: number },
  /** The current answer's chunks, by offset. */
  chunks: [] as number[],
  actions: [] as Extract<XrDownlinkFrame, { type: 'action' }>[],
  sessions: [] as Extract<XrDownlinkFrame, { type: 'session' }>[],
  timing: undefined as Extract<XrDownlinkFrame, { type: 'timing' }> | undefined,
};
Object.assign(globalThis, { reactXr: seen });

function record(event: XrEvent): void {
  if (event.type !== 'frame') return;
  const { frame } = event;
  if (frame.type === 'final' && frame.source === 'transcript') {
    seen.chunks = [];
    seen.actions = [];
  } else if (frame.type === 'partial') seen.chunks.push(frame.offset);
  else if (frame.type === 'action') seen.actions.push(frame);
  else if (frame.type === 'session') seen.sessions.push(frame);
  else if (frame.type === 'timing') seen.timing = frame;
}

/** The kept session is gone (expired, or taken): the new one holds no point gesture. */
const sessionLost = (event: XrEvent) =>
  event.type === 'frame' &&
  event.frame.type === 'error' &&
  event.frame.field === '/data/session_key';

/** What the canvas marks: the referent, the gaze it overruled, the answer's highlights and notes. */
function marksOf(state: XrState): Marks {
  const notes = new Map<string, string>();
  for (const action of state.actions)
    if (action.type === 'annotate') notes.set(action.anchor_id, action.text);
  return {
    referent: new Set(state.referent?.referents.map((r) => r.anchor_id)),
    overruled: new Set(
      state.referent?.overruled === undefined ? [] : [state.referent.overruled.anchor_id],
    ),
    highlighted: new Set(Object.keys(state.highlighted)),
    notes,
  };
}

function timingText(state: XrState): string {
  const streams = Object.entries(state.timing?.streams ?? {});
  if (streams.length === 0) return 'no frames yet';
  return streams
    .map(([name, s]) => `${name} ${s.frames} (jitter ${s.jitter_ms.toFixed(1)} ms)`)
    .join(' · ');
}

/**
 * The XR Panel's scene on `useXR()` and `<XRFeed/>`: its anchors registered, the gaze and
 * the pointing hand streamed at 30 Hz, a typed utterance standing for speech; the referent
 * the gateway resolved, the streamed answer and its actions, on the canvas and in the feed.
 */
export function XrPage() {
  const [look, setLook] = useState('sweep');
  const [point, setPoint] = useState('');
  const [text, setText] = useState('');
  const forgetPoint = useRef(() => {});
  const xr = useXR({
    baseUrl: GATEWAY,
    token: TOKEN,
    reconnect: RECONNECT,
    onEvent: (event) => {
      record(event);
      if (sessionLost(event)) forgetPoint.current();
    },
  });
  const { state, upsertAnchors } = xr;
  useEffect(() => {
    // Kept by the hook, and sent by it on each new session (the first one included).
    upsertAnchors(ANCHORS);
  }, [upsertAnchors]);

  const canvas = useRef<HTMLCanvasElement>(null);
  const marks = useMemo(() => marksOf(state), [state]);
  const stream = useSceneStream({
    xr,
    look,
    point,
    sent: seen.sent,
    onTick: (gaze) => {
      if (canvas.current !== null) draw(canvas.current, gaze, point, marks);
    },
  });
  useEffect(() => {
    forgetPoint.current = stream.forgetPoint;
  }, [stream.forgetPoint]);

  const up = state.connection === 'connected' || state.connection === 'reconnected';
  const say = (event: SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    const utterance = text.trim();
    if (utterance === '' || !up) return;
    // A typed utterance stands for speech: its onset now, its end with the transcript.
    const onset = xr.now();
    xr.speechStart(onset);
    xr.utterance(utterance, onset, onset + 1);
    seen.sent.voice_vad += 2;
    setText('');
  };
  const options = (first: [string, string]) =>
    [first, ...ANCHORS.map((a) => [a.id, a.label] as const)].map(([value, label]) => (
      <option key={value} value={value}>
        {label}
      </option>
    ));

  return (
    <>
      <PageHeader
        title="XR Console (React)"
        page="xr"
        connection={state.connection}
        reconnectAttempt={state.reconnectAttempt}
      />
      <main>
        <section className="scene">
          <canvas id="view" ref={canvas} width={480} height={260} />
          <XRFeed state={state} />
        </section>
        <section className="controls">
          <label>
            Look at{' '}
            <select
              id="look"
              value={look}
              onChange={(event) => {
                setLook(event.target.value);
              }}
            >
              {options(['sweep', 'sweep across the table'])}
            </select>
          </label>
          <label>
            Point at{' '}
            <select
              id="point"
              value={point}
              onChange={(event) => {
                setPoint(event.target.value);
              }}
            >
              {options(['', 'nothing'])}
            </select>
          </label>
          <form id="say" onSubmit={say}>
            <input
              id="text"
              name="text"
              placeholder="say something, e.g. what is this"
              autoComplete="off"
              value={text}
              onChange={(event) => {
                setText(event.target.value);
              }}
            />
            <button type="submit">Say</button>
          </form>
        </section>
        <section>
          <h2>Frames</h2>
          <p id="timing">{timingText(state)}</p>
        </section>
      </main>
    </>
  );
}
