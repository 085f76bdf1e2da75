import { describe, expect, it } from 'vitest';
import { EARLY_AFTER_SILENT_FRAMES, LiveTranscript } from './live-transcript.ts';
import type { Stt } from './stt.ts';

const SPEECH = 0.9;
const SILENCE = 0.1;

/** A speech-to-text that answers with how many 512-sample frames it heard. */
function countingStt() {
  const heard: number[] = [];
  const aborted: number[] = [];
  const stt: Stt = {
    transcribe(samples, signal) {
      const frames = samples.length / 512;
      heard.push(frames);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          resolve(`${frames} frames`);
        }, 5);
        signal.addEventListener('abort', () => {
          clearTimeout(timer);
          aborted.push(frames);
          reject(new Error('aborted'));
        });
      });
    },
  };
  return { stt, heard, aborted };
}

function live(stt: Stt, options: { partialEveryMs?: number; early?: boolean } = {}) {
  const partials: string[] = [];
  const transcript = new LiveTranscript({
    stt,
    signal: new AbortController().signal,
    partialEveryMs: options.partialEveryMs ?? 0,
    early: options.early ?? true,
    partial: (text) => partials.push(text),
  });
  const feed = (probabilities: number[]) => {
    for (const probability of probabilities) transcript.frame(new Float32Array(512), probability);
  };
  return { transcript, feed, partials };
}

const frames = (count: number, probability: number) => Array<number>(count).fill(probability);
const vadAudio = (count: number) => new Float32Array(512 * count);

describe('an utterance transcribed while it is spoken', () => {
  it('starts the transcript in the silence and uses it when the caller says nothing more', async () => {
    const { stt, heard } = countingStt();
    const { transcript, feed } = live(stt);
    feed([...frames(20, SPEECH), ...frames(12, SILENCE)]);
    // Begun after three silent frames, of the 20 speech frames only.
    expect(heard).toEqual([20]);
    await expect(transcript.end(vadAudio(32))).resolves.toEqual({
      text: '20 frames',
      early: true,
    });
    expect(heard).toEqual([20]);
  });

  it('drops the early transcript when the caller speaks again, and transcribes the whole utterance at the end', async () => {
    const { stt, heard, aborted } = countingStt();
    const { transcript, feed } = live(stt);
    feed([
      ...frames(10, SPEECH),
      ...frames(EARLY_AFTER_SILENT_FRAMES, SILENCE),
      ...frames(5, SPEECH),
      ...frames(2, SILENCE),
    ]);
    expect(heard).toEqual([10]);
    expect(aborted).toEqual([10]);
    // The VAD ended it before a second early start: its own audio is transcribed.
    await expect(transcript.end(vadAudio(20))).resolves.toEqual({
      text: '20 frames',
      early: false,
    });
  });

  it('starts no early transcript when early transcription is off', async () => {
    const { stt, heard } = countingStt();
    const { transcript, feed } = live(stt, { early: false });
    feed([...frames(20, SPEECH), ...frames(12, SILENCE)]);
    expect(heard).toEqual([]);
    await expect(transcript.end(vadAudio(32))).resolves.toEqual({
      text: '32 frames',
      early: false,
    });
  });

  it('does not count frames between the thresholds as silence', () => {
    const { stt, heard } = countingStt();
    const { feed } = live(stt);
    feed([...frames(10, SPEECH), ...frames(8, 0.4)]);
    expect(heard).toEqual([]);
  });

  it('tells the transcript so far every partialEveryMs of speech, one request at a time', async () => {
    const { stt, heard } = countingStt();
    const { transcript, feed, partials } = live(stt, { partialEveryMs: 320, early: false });
    feed(frames(10, SPEECH)); // 320 ms
    expect(heard).toEqual([10]);
    feed(frames(10, SPEECH)); // the first still in flight: none started
    expect(heard).toEqual([10]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(partials).toEqual(['10 frames']);
    feed(frames(1, SPEECH));
    expect(heard).toEqual([10, 21]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(partials).toEqual(['10 frames', '21 frames']);
    await transcript.end(vadAudio(21));
  });

  it('tells no partial that comes back after the utterance ended', async () => {
    const { stt } = countingStt();
    const { transcript, feed, partials } = live(stt, { partialEveryMs: 320, early: false });
    feed(frames(10, SPEECH));
    transcript.cancel();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(partials).toEqual([]);
  });

  it('falls back to the whole utterance when the early request failed', async () => {
    let calls = 0;
    const stt: Stt = {
      transcribe: (samples) => {
        calls += 1;
        return calls === 1
          ? Promise.reject(new Error('sidecar restarted'))
          : Promise.resolve(`${samples.length / 512} frames`);
      },
    };
    const { transcript, feed } = live(stt);
    feed([...frames(6, SPEECH), ...frames(12, SILENCE)]);
    await expect(transcript.end(vadAudio(18))).resolves.toEqual({
      text: '18 frames',
      early: false,
    });
  });
});
