/**
 * The tiny ONNX model (`models/tiny`) as the model-server tests use it: versions of it that fail
 * on purpose, and chat load against a server of it whose every answer is checked in full.
 */
import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type OpenAI from 'openai';
import { TINY, TINY_ANSWER } from './process.ts';

/**
 * A copy of the tiny model at `dir` whose chat template starts with `template` (a version that
 * breaks: `{{ raise_exception('…') }}` fails its warm-up and every answer).
 */
export async function tinyWithTemplate(dir: string, template: string): Promise<string> {
  await cp(TINY, dir, { recursive: true });
  const configPath = join(dir, 'tokenizer_config.json');
  const config = JSON.parse(await readFile(configPath, 'utf8')) as { chat_template?: string };
  config.chat_template = `${template}${config.chat_template ?? ''}`;
  await writeFile(configPath, JSON.stringify(config));
  return dir;
}

export interface ChatTally {
  ok: number;
  streams: number;
  failed: string[];
  /** The `x-model-version` of every answer, in order. */
  versions: string[];
}

/**
 * Workers that chat with `model` through `openai` until stopped, whole answers and streams in
 * turn; an answer that is not the tiny model's in full, or a stream that does not finish with
 * `stop`, is a failure.
 */
export function chatLoad(openai: OpenAI, model: string, workers: number) {
  const tally: ChatTally = { ok: 0, streams: 0, failed: [], versions: [] };
  const messages = [{ role: 'user' as const, content: 'hi there' }];
  let running = true;
  const worker = async (index: number) => {
    for (let round = 0; running; round++) {
      try {
        if ((round + index) % 2 === 0) {
          const { data, response } = await openai.chat.completions
            .create({ model, messages })
            .withResponse();
          tally.versions.push(response.headers.get('x-model-version') ?? '?');
          if (data.choices[0]?.message.content !== TINY_ANSWER) throw new Error('wrong answer');
        } else {
          const { data: stream, response } = await openai.chat.completions
            .create({ model, messages, stream: true })
            .withResponse();
          tally.versions.push(response.headers.get('x-model-version') ?? '?');
          let text = '';
          let finish: string | null | undefined;
          for await (const chunk of stream) {
            text += chunk.choices[0]?.delta.content ?? '';
            finish = chunk.choices[0]?.finish_reason ?? finish;
          }
          if (text !== TINY_ANSWER || finish !== 'stop') throw new Error(`broken stream: ${text}`);
          tally.streams++;
        }
        tally.ok++;
      } catch (error) {
        tally.failed.push((error as Error).message);
      }
    }
  };
  const done = Promise.all(Array.from({ length: workers }, (_, i) => worker(i)));
  return {
    tally,
    async stop(): Promise<ChatTally> {
      running = false;
      await done;
      return tally;
    },
  };
}
