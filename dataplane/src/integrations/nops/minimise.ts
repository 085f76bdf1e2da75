/**
 * Data minimisation (docs/agents.md): a prepared request keeps only the fields its agent's
 * profile lists, plus messages (role and content) and what the prompt rendered. What it drops
 * is returned by field name, for the metric and the receipt; the values are never looked at
 * beyond "is it there".
 */
import { AGENT_FIELDS, type AgentField } from '../../../../crds/agent-settings.ts';
import type { ChatMessage } from '../../core/types.ts';
import type { Prepared } from '../../stages/context.ts';

type Request = Prepared['request'];

/** The request's own key of each top-level field, as the profile names it. */
const REQUEST_KEYS = {
  temperature: 'temperature',
  top_p: 'topP',
  max_tokens: 'maxTokens',
  stop: 'stop',
  seed: 'seed',
  response_format: 'responseFormat',
  logprobs: 'logprobs',
  user: 'user',
  tools: 'tools',
  tool_choice: 'toolChoice',
  parallel_tool_calls: 'parallelToolCalls',
} as const satisfies Partial<Record<AgentField, keyof Request>>;

export interface Minimised {
  request: Request;
  /** The fields dropped, in AGENT_FIELDS order, each once. */
  dropped: AgentField[];
}

/**
 * `request` with only the `allowed` fields. Without `tools`, a `tool_choice` and
 * `parallel_tool_calls` mean nothing and go too (counted when they were there).
 */
export function minimise(request: Request, allowed: readonly AgentField[]): Minimised {
  const keep = new Set<AgentField>(allowed);
  if (!keep.has('tools')) {
    keep.delete('tool_choice');
    keep.delete('parallel_tool_calls');
  }
  const dropped = new Set<AgentField>();
  const removed = new Set<string>();
  for (const [field, key] of Object.entries(REQUEST_KEYS) as [AgentField, keyof Request][]) {
    if (keep.has(field) || request[key] === undefined) continue;
    dropped.add(field);
    removed.add(key);
  }
  const result = Object.fromEntries(Object.entries(request).filter(([key]) => !removed.has(key)));
  const messages = request.messages.map((message) =>
    minimiseMessage(message, keep, (field) => dropped.add(field)),
  );
  return {
    request: { ...(result as Request), messages },
    dropped: AGENT_FIELDS.filter((field) => dropped.has(field)),
  };
}

function minimiseMessage(
  message: ChatMessage,
  keep: ReadonlySet<AgentField>,
  drop: (field: AgentField) => void,
): ChatMessage {
  // A tool message's name is the tool's, not a participant's: it stays.
  const dropName =
    message.role !== 'tool' && message.name !== undefined && !keep.has('messages.name');
  const dropImages = message.images !== undefined && !keep.has('messages.images');
  if (!dropName && !dropImages) return message;
  const { name, images, ...rest } = message;
  if (dropName) drop('messages.name');
  if (dropImages) drop('messages.images');
  return {
    ...rest,
    ...(dropName || name === undefined ? {} : { name }),
    ...(dropImages || images === undefined ? {} : { images }),
  };
}
