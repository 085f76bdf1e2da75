import { render } from '../prompts/render.ts';
import type { PromptResolver } from '../prompts/resolver.ts';
import type { PromptSource } from './pipeline/prepare.ts';

/** Resolves and renders a prompt; the manifest's defaults travel with the messages. */
export function createPromptSource(resolver: PromptResolver): PromptSource {
  return {
    render(id, version, variables, assignee) {
      const compiled = resolver.resolve(id, version, { assignee });
      const { model, temperature, topP, maxTokens } = compiled.parameters;
      return {
        messages: render(compiled, variables),
        prompt: { id: compiled.id, version: compiled.version, checksum: compiled.checksum },
        ...(model === undefined ? {} : { model }),
        ...(temperature === undefined ? {} : { temperature }),
        ...(topP === undefined ? {} : { topP }),
        ...(maxTokens === undefined ? {} : { maxTokens }),
      };
    },
  };
}
