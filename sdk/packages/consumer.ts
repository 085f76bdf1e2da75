// A user's program on @enis/client and @enis/react as published: sdk/packages/packages.test.ts
// installs the packed tarballs into an empty project, type-checks this file there against their
// declarations and runs it. It runs two conformance scenarios (sdk/conformance/scenarios) with
// the client against the harness whose control URL it is given, renders both components to HTML
// and prints what it got as one JSON line.
import { EnisClient, ERROR_CODES, type InferenceRequest } from '@enis/client';
import { INITIAL_VOICE, INITIAL_XR, reduceVoice, VoiceMic, XRFeed } from '@enis/react';
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';

const [controlUrl = '', syncRequest = '{}', streamRequest = '{}'] = process.argv.slice(2);

/** A client for the scenario `name`, on the base URL and token the harness prepared for it. */
async function clientFor(name: string): Promise<EnisClient> {
  const response = await fetch(`${controlUrl}/scenarios/${name}/prepare`, { method: 'POST' });
  const { base_url, token } = (await response.json()) as { base_url: string; token: string };
  return new EnisClient({ baseUrl: base_url, token });
}

const sync = await (
  await clientFor('sync-call')
).infer(JSON.parse(syncRequest) as InferenceRequest);
const chunks: string[] = [];
let finishReason: string | undefined;
const streaming = await clientFor('stream');
for await (const event of streaming.stream(JSON.parse(streamRequest) as InferenceRequest)) {
  if (event.type === 'text') chunks.push(event.text);
  if (event.type === 'done') finishReason = event.finish_reason;
}

const connected = reduceVoice(INITIAL_VOICE, { type: 'open', reconnect: false });
console.log(
  JSON.stringify({
    sync: { text: sync.output.content, finish_reason: sync.finish_reason },
    stream: { chunks, finish_reason: finishReason },
    errorCodes: ERROR_CODES.length,
    voiceMic: renderToStaticMarkup(
      createElement(VoiceMic, { state: connected, onStart: () => {}, onStop: () => {} }),
    ),
    xrFeed: renderToStaticMarkup(createElement(XRFeed, { state: INITIAL_XR })),
  }),
);
