/**
 * The XR Panel: a scripted scene streamed to the gateway's XR socket at 30 Hz (head pose,
 * gaze, the pointing hand and its gestures), an utterance typed as the transcript of speech
 * (`voice_vad` start and end), the referent the gateway resolved, the streamed answer and
 * its actions rendered in the scene. It talks to the gateway on its own origin (`?gateway=`
 * to name another) with the token of `?token=`, or else the one `GET /demo/token` hands out.
 */
import {
  ANCHORS,
  EYES,
  draw,
  gazeTarget,
  handPose,
  toward,
  type Quat,
  type Vec3,
} from './scene.ts';
import { XrSocket, type XrDownlinkFrame } from '@enis/client';
import { demoToken } from '../shared/demo-token.ts';

const params = new URLSearchParams(location.search);
const HZ = 30;

function element(id: string): HTMLElement {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`index.html has no #${id}`);
  return found;
}
const status = element('status');
const answer = element('answer');
const look = element('look') as HTMLSelectElement;
const point = element('point') as HTMLSelectElement;

/** What the page sent and received, for the tests to read. */
const seen = {
  sent: { pose: 0, gaze: 0, gesture: 0, voice_vad: 0 },
  referents: [] as XrDownlinkFrame[],
  actions: [] as XrDownlinkFrame[],
  timing: undefined as XrDownlinkFrame | undefined,
  /** The answer's chunks shown, by offset, and the sessions announced (resumed or not). */
  chunks: [] as number[],
  sessions: [] as XrDownlinkFrame[],
};
Object.assign(globalThis, { xrPanel: seen });

const marks = {
  referent: new Set<string>(),
  overruled: new Set<string>(),
  highlighted: new Set<string>(),
  notes: new Map<string, string>(),
};

function setStatus(state: string): void {
  status.dataset['state'] = state;
  status.textContent = state;
}

for (const select of [look, point]) {
  const first = select === look ? ['sweep', 'sweep across the table'] : ['', 'nothing'];
  for (const [value, text] of [first, ...ANCHORS.map((a) => [a.id, a.label])] as const)
    select.append(new Option(text, value));
}
const items = new Map(
  ANCHORS.map((anchor) => {
    const item = document.createElement('li');
    item.dataset['id'] = anchor.id;
    item.textContent = `${anchor.label} (${anchor.id})`;
    element('anchors').append(item);
    return [anchor.id, item];
  }),
);

function render(gaze: Vec3): void {
  for (const [id, item] of items) {
    item.dataset['referent'] = String(marks.referent.has(id));
    item.dataset['overruled'] = String(marks.overruled.has(id));
    item.dataset['highlighted'] = String(marks.highlighted.has(id));
  }
  draw(element('view') as HTMLCanvasElement, gaze, point.value, marks);
}

function show(frame: XrDownlinkFrame): void {
  if (frame.type === 'referent') {
    seen.referents.push(frame);
    marks.referent = new Set(frame.referents.map((r) => r.anchor_id));
    marks.overruled = new Set(frame.overruled === undefined ? [] : [frame.overruled.anchor_id]);
    const names = frame.referents.map((r) => `${r.label} (${r.source})`).join(', ');
    const overruled =
      frame.overruled === undefined
        ? ''
        : `, ${frame.overruled.label} (${frame.overruled.source}) overruled`;
    element('referent').textContent =
      `${frame.cause}: ${names || 'nothing'} — rule ${frame.rule}${overruled}`;
  } else if (frame.type === 'final' && frame.source === 'transcript') {
    answer.textContent = '';
    delete answer.dataset['final'];
    element('actions').replaceChildren();
    seen.chunks = [];
    marks.highlighted.clear();
    marks.notes.clear();
  } else if (frame.type === 'partial') {
    seen.chunks.push(frame.offset);
    answer.textContent += frame.text;
  } else if (frame.type === 'session') seen.sessions.push(frame);
  else if (frame.type === 'final') answer.dataset['final'] = 'true';
  else if (frame.type === 'action') {
    seen.actions.push(frame);
    const { action } = frame;
    if (action.type === 'highlight') marks.highlighted.add(action.anchor_id);
    if (action.type === 'annotate') marks.notes.set(action.anchor_id, action.text);
    const item = document.createElement('li');
    item.textContent = JSON.stringify(action);
    element('actions').append(item);
  } else if (frame.type === 'timing') {
    seen.timing = frame;
    const streams = Object.entries(frame.streams)
      .map(([name, s]) => `${name} ${s.frames} (jitter ${s.jitter_ms.toFixed(1)} ms)`)
      .join(' · ');
    element('timing').textContent = streams || 'no frames yet';
  } else element('timing').textContent = `error ${frame.code}: ${frame.message}`;
}

const now = () => performance.timeOrigin + performance.now();

/** The 30 Hz stream of the scripted scene, until the connection closes for good. */
function stream(socket: XrSocket, closed: AbortSignal, scene: { pointing: string }): void {
  const started = now();
  const tick = () => {
    const ts = now();
    const gaze = gazeTarget(look.value, ts - started);
    const hand = handPose(point.value);
    const head = { position: EYES, orientation: [0, 0, 0, 1] as Quat };
    render(gaze);
    if (!socket.connected) return;
    socket.send({ type: 'pose', data: { head, ...(hand && { right_hand: hand }) }, ts });
    socket.send({ type: 'gaze', data: { origin: EYES, direction: toward(gaze, EYES) }, ts });
    seen.sent.pose += 1;
    seen.sent.gaze += 1;
    if (point.value !== scene.pointing) {
      const phase = point.value === '' ? 'end' : 'start';
      if (scene.pointing !== '' && phase === 'start')
        socket.send({ type: 'gesture', data: { kind: 'point', hand: 'right', phase: 'end' }, ts });
      const data = { kind: 'point', hand: 'right', phase } as const;
      socket.send({ type: 'gesture', data, ts: ts + 0.01 });
      seen.sent.gesture += 1;
      scene.pointing = point.value;
    }
  };
  const timer = setInterval(tick, 1000 / HZ);
  closed.addEventListener(
    'abort',
    () => {
      clearInterval(timer);
    },
    { once: true },
  );
}

const token = demoToken(params);

async function start(): Promise<void> {
  const closed = new AbortController();
  const scene = { pointing: '' };
  /** The answer streaming now: what resumes it when the kept session is gone. */
  let streaming: { token: string; offset: number } | undefined;
  const socket: XrSocket = new XrSocket({
    baseUrl: params.get('gateway') ?? location.origin,
    token,
    reconnect: { baseDelayMs: 200, maxDelayMs: 2000 },
    onEvent: (event) => {
      if (event.type === 'frame') {
        const { frame } = event;
        if (frame.type === 'final' && frame.source === 'transcript')
          streaming =
            frame.resume_token === undefined ? undefined : { token: frame.resume_token, offset: 0 };
        else if (frame.type === 'partial' || frame.type === 'action')
          streaming &&= { ...streaming, offset: frame.offset };
        else if (frame.type === 'final') streaming = undefined;
        else if (frame.type === 'error' && frame.field === '/data/session_key') {
          // The kept scene expired: register it again, point again, and ask for the answer
          // by its token (the refused resume did not reach it).
          socket.send({ type: 'anchors', data: { upsert: ANCHORS }, ts: now() });
          scene.pointing = '';
          if (streaming !== undefined)
            socket.send({
              type: 'resume',
              data: { resume_token: streaming.token, after: streaming.offset },
              ts: now(),
            });
        }
        show(frame);
      } else if (event.type === 'open') setStatus(event.reconnect ? 'reconnected' : 'connected');
      else if (event.type === 'reconnecting') setStatus('reconnecting');
      else if (event.type === 'error') element('timing').textContent = event.error.message;
      else {
        closed.abort();
        setStatus('closed');
      }
    },
  });
  setStatus('connecting');
  await socket.open();
  socket.send({ type: 'anchors', data: { upsert: ANCHORS }, ts: now() });
  stream(socket, closed.signal, scene);
  element('say').addEventListener('submit', (event) => {
    event.preventDefault();
    const input = element('text') as HTMLInputElement;
    const text = input.value.trim();
    if (text === '' || !socket.connected) return;
    // A typed utterance stands for speech: its onset now, its end with the transcript.
    const onset = now();
    socket.send({ type: 'voice_vad', data: { state: 'start' }, ts: onset });
    socket.send({
      type: 'voice_vad',
      data: { state: 'end', text, start_ts: onset },
      ts: onset + 1,
    });
    seen.sent.voice_vad += 2;
    input.value = '';
  });
}

start().catch((error: unknown) => {
  setStatus('refused');
  element('timing').textContent = error instanceof Error ? error.message : String(error);
});
