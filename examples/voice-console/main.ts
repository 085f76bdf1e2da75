/**
 * The Voice Console: the microphone (or a typed question) to the gateway's voice socket, the
 * transcript and the streamed answer on the page. It talks to the gateway on its own origin
 * (`?gateway=` to name another) with the token of `?token=`, or else the one `GET /demo/token`
 * hands out (the tests' host serves that route; it is asked again when the token expired).
 * Where the socket cannot open (a proxy that refuses the upgrade), the session runs over HTTP
 * long-poll, and the header says so.
 */
import { VoiceSocket, type DownlinkFrame, type VoiceEvent } from '@enis/client';
import { startMicrophone } from '@enis/client/microphone';
import { demoToken } from '../shared/demo-token.ts';

const params = new URLSearchParams(location.search);
function element(id: string): HTMLElement {
  const found = document.getElementById(id);
  if (found === null) throw new Error(`index.html has no #${id}`);
  return found;
}
const status = element('status');
const transport = element('transport');
const answer = element('answer');

/** What the page received, for the tests to read: every answer chunk, once each. */
const seen = { chunks: [] as { stream: string; offset: number }[], finals: [] as string[] };
Object.assign(globalThis, { voiceConsole: seen });

function setStatus(state: string, text = state): void {
  status.dataset['state'] = state;
  status.textContent = text;
}

/** Which transport the session runs on: the socket, or HTTP long-poll after it could not open. */
function showTransport(on: 'ws' | 'poll'): void {
  transport.hidden = false;
  transport.dataset['transport'] = on;
  transport.textContent = on === 'poll' ? 'over HTTP long-poll' : 'over WebSocket';
}

function log(text: string, className?: string): void {
  const item = document.createElement('li');
  item.textContent = text;
  if (className !== undefined) item.className = className;
  element('events').append(item);
}

function show(frame: DownlinkFrame): void {
  if (frame.type === 'final' && frame.source === 'transcript') {
    const item = document.createElement('li');
    item.textContent = frame.text;
    element('transcript').append(item);
    answer.textContent = '';
  } else if (frame.type === 'partial') {
    seen.chunks.push({ stream: frame.stream_id, offset: frame.offset });
    answer.textContent += frame.text;
  } else if (frame.type === 'final') {
    seen.finals.push(frame.text);
    answer.dataset['final'] = 'true';
    log(`answer complete (${frame.finish_reason ?? 'stop'})`);
  } else if (frame.type === 'barge_in') {
    answer.textContent += ' [interrupted]';
    log(`barge-in: answer cancelled in ${Math.round(frame.latency_ms)} ms`, 'barge-in');
  } else if (frame.type === 'error') {
    log(`error ${frame.code}: ${frame.message}`);
  }
}

function onEvent(event: VoiceEvent): void {
  if (event.type === 'frame') show(event.frame);
  else if (event.type === 'open') {
    setStatus('open', event.reconnect ? 'reconnected' : 'connected');
    showTransport(socket.transport === 'poll' ? 'poll' : 'ws');
    log(event.reconnect ? 'reconnected, answer resumed' : 'connected');
  } else if (event.type === 'reconnecting') {
    setStatus('reconnecting', `reconnecting (${event.attempt})`);
    log(`connection lost (${event.code}), reconnecting in ${Math.round(event.delayMs)} ms`);
  } else if (event.type === 'closed') setStatus('closed');
  else log(`error ${event.error.code}: ${event.error.message}`);
}

const token = demoToken(params, () => {
  log('token expired, refreshed');
});

const socket = new VoiceSocket({
  baseUrl: params.get('gateway') ?? location.origin,
  token,
  reconnect: { baseDelayMs: 200, maxDelayMs: 2000 },
  onEvent,
  onTransport: ({ reason }) => {
    log(`the socket could not open (${reason}): the session runs over HTTP long-poll`, 'transport');
  },
});

setStatus('connecting');
socket.open().catch((error: unknown) => {
  setStatus('refused');
  log(`could not connect: ${error instanceof Error ? error.message : String(error)}`);
});

let stopMicrophone: (() => void) | undefined;
element('mic').addEventListener('click', () => {
  const button = element('mic');
  if (stopMicrophone !== undefined) {
    stopMicrophone();
    stopMicrophone = undefined;
    button.textContent = 'Start microphone';
    return;
  }
  void startMicrophone((pcm16) => {
    socket.sendAudio(pcm16);
  }).then((stop) => {
    stopMicrophone = stop;
    button.textContent = 'Stop microphone';
    log('microphone on');
  });
});

element('typed').addEventListener('submit', (event) => {
  event.preventDefault();
  const input = element('text') as HTMLInputElement;
  if (input.value.trim() === '') return;
  const item = document.createElement('li');
  item.textContent = `(typed) ${input.value}`;
  element('transcript').append(item);
  answer.textContent = '';
  delete answer.dataset['final'];
  socket.sendText(input.value);
  input.value = '';
});
