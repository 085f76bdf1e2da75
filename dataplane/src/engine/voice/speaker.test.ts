import { describe, expect, it } from 'vitest';
import { Speaker } from './speaker.ts';
import type { Tts } from './tts.ts';

/** A speech API that says back what it was given, after `delayMs(text)`. */
function echoTts(delayMs: (text: string) => number = () => 0): Tts & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    synthesize: async (text, voice) => {
      asked.push(text);
      await new Promise((resolve) => setTimeout(resolve, delayMs(text)));
      return Buffer.from(`${voice}:${text}`);
    },
  };
}

function speaker(tts: Tts, signal = new AbortController().signal) {
  const said: string[] = [];
  const errors: unknown[] = [];
  const it = new Speaker({
    tts,
    voice: 'nova',
    signal,
    deliver: (audio, text, index) => said.push(`${index} ${text} ${audio.toString()}`),
    failed: (error) => errors.push(error),
  });
  return { it, said, errors };
}

describe('Speaker', () => {
  it('asks for each sentence as soon as it is whole, however the text is cut', () => {
    const tts = echoTts();
    const { it: s } = speaker(tts);
    for (const piece of ['Hel', 'lo there', '. How', ' are you?', ' "Fine!" ', 'Bye'])
      s.push(piece);
    expect(tts.asked).toEqual(['Hello there.', 'How are you?', '"Fine!"']);
  });

  it("delivers in the answer's order though a later sentence is synthesised first, the rest at the end", async () => {
    const tts = echoTts((text) => (text.startsWith('Slow') ? 30 : 0));
    const { it: s, said } = speaker(tts);
    s.push('Slow one. Quick two. Tail');
    await s.end();
    expect(said).toEqual([
      '0 Slow one. nova:Slow one.',
      '1 Quick two. nova:Quick two.',
      '2 Tail nova:Tail',
    ]);
  });

  it('says nothing more once its signal is aborted, and stops after one failure', async () => {
    const controller = new AbortController();
    const { it: s, said } = speaker(
      echoTts(() => 10),
      controller.signal,
    );
    s.push('One. Two. ');
    controller.abort();
    s.push('Three. ');
    await s.end();
    expect(said).toEqual([]);
    const failing: Tts = {
      synthesize: async (text) => {
        if (text === 'Bad.') throw new Error('refused');
        return Buffer.from(text);
      },
    };
    const broken = speaker(failing);
    broken.it.push('Bad. Good. ');
    await broken.it.end();
    expect(broken.said).toEqual([]);
    expect(broken.errors).toHaveLength(1);
  });
});
