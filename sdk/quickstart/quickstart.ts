// The TypeScript quickstart: stream an answer from `make run` (ENIS_URL, TOKEN as it prints it).
// An application imports '@enis/client'; in this repository the package is sdk/ts.
import { EnisClient } from '../ts/src/index.ts';

const client = new EnisClient({
  baseUrl: process.env['ENIS_URL'] ?? 'http://127.0.0.1:8080',
  token: process.env['TOKEN'] ?? '',
});
const request = {
  model: 'chat',
  messages: [{ role: 'user' as const, content: 'Say hello' }],
  parameters: { max_tokens: 16 },
};
for await (const event of client.stream(request)) {
  if (event.type === 'text') process.stdout.write(event.text);
}
process.stdout.write('\n');
