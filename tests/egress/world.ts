/**
 * Everything outside the gateway's namespace, in one process started in the world namespace
 * (`ip netns exec <world> node tests/egress/world.ts`):
 * - a DNS server on 10.213.0.1:53/udp answering NAMES (A records; AAAA: none; else NXDOMAIN);
 * - the in-cluster model server on 10.213.0.1:8080 and the "outside" host on 198.51.100.1:80,
 *   both OpenAI-compatible (a chat answers "<server>: <last user text>");
 * - a client for the test: each stdin line `{"id", "url", "init"}` is fetched (the dataplane
 *   listens in the gateway namespace, reachable from here only) and answered on stdout.
 * Stdout carries JSON lines: `ready`, each DNS question and HTTP request seen, each answer.
 */
import { createSocket } from 'node:dgram';
import { createServer } from 'node:http';
import { createInterface } from 'node:readline';
import { chatChunks } from '../fakes/openai-fake.ts';

export const NAMES: Readonly<Record<string, string>> = {
  'model.inference.svc.cluster.local': '10.213.0.1',
  // An in-cluster name that resolves outside the cluster (a hostile or broken DNS record).
  'rogue.inference.svc.cluster.local': '198.51.100.1',
  'api.external.test': '198.51.100.1',
};

const emit = (event: object) => {
  process.stdout.write(`${JSON.stringify(event)}\n`);
};

/** The question of a DNS query: name, type and where it ends. */
function question(query: Buffer): { name: string; type: number; end: number } {
  const labels: string[] = [];
  let at = 12;
  for (let length = query[at] ?? 0; length !== 0; length = query[at] ?? 0) {
    labels.push(query.subarray(at + 1, at + 1 + length).toString('ascii'));
    at += 1 + length;
  }
  return { name: labels.join('.').toLowerCase(), type: query.readUInt16BE(at + 1), end: at + 5 };
}

function answer(query: Buffer): Buffer {
  const { name, type, end } = question(query);
  const address = NAMES[name];
  emit({ event: 'dns', name, type });
  const header = Buffer.alloc(12);
  query.copy(header, 0, 0, 2);
  const a = type === 1 && address !== undefined;
  header.writeUInt16BE(address === undefined ? 0x8183 : 0x8180, 2);
  header.writeUInt16BE(1, 4);
  header.writeUInt16BE(a ? 1 : 0, 6);
  const parts = [header, query.subarray(12, end)];
  if (a) {
    const record = Buffer.alloc(16);
    record.writeUInt16BE(0xc00c, 0);
    record.writeUInt16BE(1, 2);
    record.writeUInt16BE(1, 4);
    record.writeUInt32BE(5, 6);
    record.writeUInt16BE(4, 10);
    address.split('.').forEach((byte, index) => record.writeUInt8(Number(byte), 12 + index));
    parts.push(record);
  }
  return Buffer.concat(parts);
}

function modelServer(server: string) {
  return createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      emit({ event: 'http', server, path: request.url, host: request.headers.host });
      const parsed = JSON.parse(body || '{}') as {
        stream?: boolean;
        messages?: { content?: unknown }[];
      };
      const said = parsed.messages?.at(-1)?.content;
      const words = `${server}: ${typeof said === 'string' ? said : ''}`.split(' ');
      if (parsed.stream === true) {
        response.writeHead(200, { 'content-type': 'text/event-stream' });
        const spaced = words.map((word, index) => (index === 0 ? word : ` ${word}`));
        for (const frame of chatChunks(spaced)) response.write(frame);
        response.end('data: [DONE]\n\n');
        return;
      }
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          id: 'chatcmpl-world',
          object: 'chat.completion',
          created: 1_760_000_000,
          model: 'world',
          choices: [
            {
              index: 0,
              message: { role: 'assistant', content: words.join(' ') },
              finish_reason: 'stop',
            },
          ],
          usage: { prompt_tokens: 3, completion_tokens: words.length, total_tokens: 3 },
        }),
      );
    });
  });
}

const dns = createSocket('udp4');
dns.on('message', (query, from) => {
  dns.send(answer(query), from.port, from.address);
});
await new Promise<void>((resolve) => dns.bind(53, '10.213.0.1', resolve));
const cluster = modelServer('cluster');
const outside = modelServer('outside');
await new Promise<void>((resolve) => cluster.listen(8080, '10.213.0.1', resolve));
await new Promise<void>((resolve) => outside.listen(80, '198.51.100.1', resolve));

createInterface({ input: process.stdin }).on('line', (line) => {
  const { id, url, init } = JSON.parse(line) as { id: number; url: string; init?: RequestInit };
  fetch(url, init)
    .then(async (response) => {
      emit({ event: 'response', id, status: response.status, body: await response.text() });
    })
    .catch((error: unknown) => {
      emit({ event: 'response', id, status: 0, body: String(error) });
    });
});
process.stdin.on('end', () => process.exit(0));
emit({ event: 'ready' });
