/**
 * What every system is asked, identically: an OpenAI chat request of about 600 bytes with
 * multibyte text and no PII, non-streaming and streaming. The mock reads its behaviour from the
 * model name, so every system sends the mock the same model string.
 */

/**
 * Non-streaming: the whole answer in one JSON body, at once. A gateway that streams from its
 * upstream (ours does, always) gets the same answer as 64 SSE chunks, about one per token;
 * BENCH_JSON_CHUNKS changes that count (a diagnostic: what each upstream chunk costs).
 */
export const JSON_MODEL = `bench?chunks=${Number(process.env['BENCH_JSON_CHUNKS'] ?? 64)}`;
/** Streaming: 16 chunks, 4 ms apart, the first at once. */
export const STREAM_MODEL = 'bench?chunks=16&gapMs=4';

/** Our route aliases for the two, since our clients name an alias, not the upstream's model. */
export const ALIAS = { json: 'bench-json', stream: 'bench-stream' } as const;

export const MESSAGES = [
  {
    role: 'system',
    content:
      'Eres un asistente de una empresa de logística. Answer briefly, in the language of the question, and cite the figures you use.',
  },
  {
    role: 'user',
    content:
      'Necesito un resumen del informe trimestral para la reunión del lunes: ventas por región, riesgos principales y próximos pasos. ' +
      'Les chiffres de Montréal sont-ils définitifs ? 日本の数字も含めてください。 Keep it under 120 words, please 🙏',
  },
];

export function chatBody(model: string, stream: boolean): string {
  return JSON.stringify({
    model,
    messages: MESSAGES,
    temperature: 0.2,
    max_tokens: 256,
    ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
  });
}

/** The native API's request for the same conversation (`/api/v1/inference`, `:stream`). */
export function nativeBody(alias: string): string {
  return JSON.stringify({
    model: alias,
    messages: MESSAGES,
    parameters: { temperature: 0.2, max_tokens: 256 },
  });
}

/** The native API's request through a prompt manifest (resolution, variables, rendering). */
export function promptBody(alias: string): string {
  return JSON.stringify({
    model: alias,
    prompt: {
      id: 'summarize',
      variables: {
        audience: 'executive',
        maxWords: 60,
        text:
          'La migración del servicio de facturación terminó el 14 de octubre, dos semanas tarde por un cambio de esquema. ' +
          'Error rates fell from 0.8 % to 0.1 % and the monthly bill dropped by 12,400 USD. 次は報告サービスを移行します。',
      },
    },
  });
}
