import type { Llama, LlamaGrammar } from 'node-llama-cpp';
import { UnsupportedParameter } from '../unsupported.ts';
import type { ResponseFormat } from '../../core/types.ts';
import { unenforceable } from './json-schema-subset.ts';

/**
 * The grammar that makes llama.cpp's sampler produce only answers of the format: any JSON
 * value's grammar for `json_object`, the schema's for `json_schema`. A schema with a keyword
 * the grammar cannot enforce (json-schema-subset.ts) is refused by name
 * (UPSTREAM_BAD_REQUEST): answering JSON that ignores part of the schema would be a silent
 * downgrade.
 */
export async function grammarFor(
  llama: Llama,
  format: ResponseFormat | undefined,
): Promise<LlamaGrammar | undefined> {
  if (format === undefined || format.type === 'text') return undefined;
  if (format.type === 'json_object') return llama.getGrammarFor('json');
  const refuse = (reason: string) =>
    new UnsupportedParameter(
      'local',
      'response_format',
      `The local llama.cpp runtime cannot enforce response_format json_schema${
        format.name === undefined ? '' : ` ${format.name}`
      }: ${reason}.`,
    );
  const reason = unenforceable(format.schema);
  if (reason !== undefined) throw refuse(reason);
  try {
    // Checked above against the subset the converter enforces; its types cannot see that.
    return await llama.createGrammarForJsonSchema(format.schema as never);
  } catch (error) {
    throw refuse((error as Error).message);
  }
}
