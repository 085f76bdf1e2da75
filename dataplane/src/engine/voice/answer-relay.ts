import { performance } from 'node:perf_hooks';
import type { Services } from '../services.ts';
import { answerError, answerEvents, answerFinal } from './answer-events.ts';
import type { DownlinkFrame } from './frames.ts';
import { Speaker } from './speaker.ts';
import { TTS_CODEC, type Tts } from './tts.ts';

/** Server speech for one answer: its sentences synthesised in `voice` as `audio` frames. */
export interface AnswerSpeech {
  tts: Tts;
  voice: string;
  /** A synthesis failed: the rest of the answer is not spoken (speaker.ts). */
  failed(error: unknown): void;
}

export interface AnswerRelay {
  turnId: string;
  streamId: string;
  /** Frames are sent for the chunks after this offset; the ones before only make up the text. */
  after: number;
  /** Stops the relay and its speech at once: the transport gone, or the turn cancelled. */
  signal: AbortSignal;
  /** Undefined: text frames only. */
  speech: AnswerSpeech | undefined;
}

/**
 * Relays a stored answer from the start of its stream, sending the frames after `after`:
 * `partial` per chunk, then `final` with the whole text, or an `error`; with `speech`, each
 * sentence's `audio` too, the last of it delivered before this returns. Returns the whole text
 * and when the first `partial` went out (performance.now()).
 */
export async function relayAnswer(
  out: { services: Services; sessionId: string; send(frame: DownlinkFrame): void },
  relay: AnswerRelay,
): Promise<{ text: string; firstAt?: number }> {
  const { services, sessionId } = out;
  const { turnId, streamId, after, signal, speech } = relay;
  const ids = { turn_id: turnId, session_id: sessionId, stream_id: streamId };
  const speaker =
    speech === undefined
      ? undefined
      : new Speaker({
          tts: speech.tts,
          voice: speech.voice,
          signal,
          deliver: (audio, text, index) => {
            out.send({
              type: 'audio',
              ...ids,
              index,
              codec: TTS_CODEC,
              text,
              payload: audio.toString('base64'),
            });
          },
          failed: (error) => {
            speech.failed(error);
          },
        });
  let text = '';
  let firstAt: number | undefined;
  for await (const event of answerEvents(services, streamId, signal)) {
    if (event.type === 'data') {
      text += event.text;
      if (event.offset <= after) continue;
      firstAt ??= performance.now();
      out.send({ type: 'partial', ...ids, offset: event.offset, text: event.text });
      speaker?.push(event.text);
    } else if (event.type === 'done') {
      out.send(answerFinal(ids, text, event));
      await speaker?.end();
    } else out.send(answerError(ids, event));
  }
  return { text, ...(firstAt === undefined ? {} : { firstAt }) };
}
