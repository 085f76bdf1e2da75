import type { ChatMessage } from '../../core/types.ts';
import type { RequestContext } from '../../stages/context.ts';
import type { Services } from '../services.ts';

/** The prompt every voice turn is answered with (prompts/voice.yaml). */
export const VOICE_PROMPT = 'voice';

/**
 * Starts the answer to a transcript: the pipeline with the voice prompt (or `turn.prompt`, the
 * XR engine's, with its variables), the earlier messages and the transcript as the user's, as a
 * resumable stream (the SSE streams' buffer and tokens); `context.signal`'s controller is what
 * cancels it upstream. Returns its stream id.
 */
export async function startVoiceAnswer(
  services: Services,
  context: RequestContext,
  cancel: AbortController,
  turn: {
    transcript: string;
    history: readonly ChatMessage[];
    model: string | undefined;
    prompt?: { id: string; variables: Record<string, unknown> };
  },
): Promise<string> {
  const { prepared, chunks } = await services.pipeline.stream(context, {
    ...(turn.model === undefined ? {} : { model: turn.model }),
    prompt: turn.prompt ?? { id: VOICE_PROMPT },
    messages: [...turn.history, { role: 'user', content: turn.transcript }],
  });
  return services.sessions.start(
    { tenant: context.tenant, model: prepared.route.alias },
    chunks,
    cancel,
  );
}
