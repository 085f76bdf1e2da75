import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.3, 0.5, 1, 2, 5];

/** The voice engine's histograms (docs/voice.md), on the app's registry. */
export function createVoiceMetrics(registry: Registry) {
  const registers = [registry];
  return {
    sockets: new Gauge({
      name: 'inference_voice_sockets',
      help: 'Voice sockets this process serves (not closing).',
      registers,
    }),
    pollSessions: new Gauge({
      name: 'inference_voice_poll_sessions',
      help: 'Voice sessions over HTTP long-poll this process keeps (ended ones until their idle timeout forgets them).',
      registers,
    }),
    ttft: new Histogram({
      name: 'inference_voice_ttft_seconds',
      help: 'Voice turns: from the end of speech (the VAD decision) to the first answer partial; speculative="true" where the answer was begun in the pause and adopted.',
      labelNames: ['speculative'] as const,
      buckets: BUCKETS,
      registers,
    }),
    stt: new Histogram({
      name: 'inference_voice_stt_seconds',
      help: 'Voice turns: the wait for the transcript after the end of speech; early="true" where its transcription began before the end.',
      labelNames: ['early'] as const,
      buckets: BUCKETS,
      registers,
    }),
    speculations: new Counter({
      name: 'inference_voice_speculations_total',
      help: 'Answers begun on the early transcript in the pause: outcome="adopted" at the end of speech, "discarded" when the caller spoke again (cancelled upstream, never sent).',
      labelNames: ['outcome'] as const,
      registers,
    }),
    bargeIn: new Histogram({
      name: 'inference_voice_barge_in_seconds',
      help: "Voice barge-ins: from the onset frame's arrival to the answer's cancel.",
      buckets: BUCKETS,
      registers,
    }),
  };
}

export type VoiceMetrics = ReturnType<typeof createVoiceMetrics>;
