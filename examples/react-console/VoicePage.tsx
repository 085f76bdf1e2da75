import { useState, type SubmitEvent } from 'react';
import type { VoiceEvent } from '@enis/client';
import { useVoice, VoiceMic } from '@enis/react';
import { GATEWAY, RECONNECT, TOKEN } from './gateway.ts';
import { PageHeader } from './PageHeader.tsx';

/** What the page received, for the tests to read: every answer chunk, once each. */
const seen = { chunks: [] as { stream: string; offset: number }[], finals: [] as string[] };
Object.assign(globalThis, { reactConsole: seen });

function record(event: VoiceEvent): void {
  if (event.type !== 'frame') return;
  const { frame } = event;
  if (frame.type === 'partial') seen.chunks.push({ stream: frame.stream_id, offset: frame.offset });
  else if (frame.type === 'final' && frame.source === 'answer') seen.finals.push(frame.text);
}

/** The Voice Console on `useVoice()` and `<VoiceMic/>`: the microphone or a typed question. */
export function VoicePage() {
  const voice = useVoice({ baseUrl: GATEWAY, token: TOKEN, reconnect: RECONNECT, onEvent: record });
  const { state } = voice;
  const [text, setText] = useState('');
  const submit = (event: SubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    voice.sendText(text);
    setText('');
  };
  return (
    <>
      <PageHeader
        title="Voice Console (React)"
        page="voice"
        connection={state.connection}
        reconnectAttempt={state.reconnectAttempt}
      />
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
