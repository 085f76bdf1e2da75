import { useState, type SubmitEvent } from 'react';
import type { VoiceEvent } from '../../sdk/ts/src/voice.ts';
import { useVoice } from '../../sdk/react/src/use-voice.ts';
import { VoiceMic } from '../../sdk/react/src/VoiceMic.tsx';
import type { Connection } from '../../sdk/react/src/voice-state.ts';
import { demoToken } from '../shared/demo-token.ts';

const params = new URLSearchParams(location.search);

/** What the page received, for the tests to read: every answer chunk, once each. */
const seen = { chunks: [] as { stream: string; offset: number }[], finals: [] as string[] };
Object.assign(globalThis, { reactConsole: seen });

function record(event: VoiceEvent): void {
  if (event.type !== 'frame') return;
  const { frame } = event;
  if (frame.type === 'partial') seen.chunks.push({ stream: frame.stream_id, offset: frame.offset });
  else if (frame.type === 'final' && frame.source === 'answer') seen.finals.push(frame.text);
}

const token = demoToken(params);

/** The voice console stylesheet's states (examples/voice-console/style.css). */
const STYLE: Record<Connection, string> = {
  connecting: 'connecting',
  connected: 'open',
  reconnected: 'open',
  reconnecting: 'reconnecting',
  refused: 'refused',
  closed: 'closed',
};

export function App() {
  const voice = useVoice({
    baseUrl: params.get('gateway') ?? location.origin,
    token,
    reconnect: { baseDelayMs: 200, maxDelayMs: 2000 },
    onEvent: record,
  });
  const { state } = voice;
  const [text, setText] = useState('');
  const submit = (event: SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    voice.sendText(text);
    setText('');
  };
  return (
    <>
      <header>
        <h1>Voice Console (React)</h1>
        <span id="status" data-state={STYLE[state.connection]}>
          {state.connection === 'reconnecting'
            ? `reconnecting (${state.reconnectAttempt})`
            : state.connection}
        </span>
      </header>
      <main>
        <section className="controls">
          <VoiceMic
            state={state}
            onStart={() => void voice.startMicrophone()}
            onStop={voice.stopMicrophone}
          />
          <form id="typed" onSubmit={submit}>
            <input
              id="text"
              name="text"
              placeholder="or type a question"
              autoComplete="off"
              value={text}
              onChange={(event) => {
                setText(event.target.value);
              }}
            />
            <button type="submit">Send</button>
          </form>
        </section>
        <section>
          <h2>Transcript</h2>
          <ol id="transcript">
            {state.transcript.map((line, index) => (
              <li key={index}>{line}</li>
            ))}
          </ol>
        </section>
        <section>
          <h2>Answer</h2>
          <p id="answer" data-final={state.answerFinal}>
            {state.answer}
            {state.interrupted ? ' [interrupted]' : ''}
          </p>
        </section>
        <section>
          <h2>Events</h2>
          <ol id="events">
            {state.log.map((entry, index) => (
              <li key={index} className={entry.kind}>
                {entry.text}
              </li>
            ))}
          </ol>
        </section>
      </main>
    </>
  );
}
