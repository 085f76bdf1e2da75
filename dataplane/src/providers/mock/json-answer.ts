import { createAjv, compileDetached } from '../../../../crds/prompts/ajv.ts';
import type { ResponseFormat } from '../../core/types.ts';
import { UnsupportedParameter } from '../unsupported.ts';
import { exampleOf } from './schema-example.ts';

const ajv = createAjv();

/**
 * The mock's answer under a JSON `response_format`, or undefined for text: `json_object` is
 * `{"answer": <the text answer>}`; `json_schema` an example of the schema ({@link exampleOf},
 * the text answer for its strings), checked against the schema with ajv.
 * @throws UnsupportedParameter `response_format` when the example does not satisfy the schema
 *   (a pattern, a length, a `$ref` the example does not follow) or the schema is not valid.
 */
export function jsonAnswer(format: ResponseFormat | undefined, text: string): string | undefined {
  if (format === undefined || format.type === 'text') return undefined;
  if (format.type === 'json_object') return JSON.stringify({ answer: text });
  const example = exampleOf(format.schema, text, 0);
  let problem: string | undefined;
  try {
    const validate = compileDetached(ajv, format.schema);
    if (!validate(example)) {
      const [error] = validate.errors ?? [];
      problem = `${error?.instancePath || '(root)'} ${error?.message ?? 'is invalid'}`;
    }
  } catch (error) {
    problem = `the schema is not valid (${(error as Error).message.split('\n')[0] ?? ''})`;
  }
  if (problem !== undefined) {
    throw new UnsupportedParameter(
      'mock',
      'response_format',
      `The mock provider cannot write an answer valid against this json_schema: its example fails at ${problem}.`,
    );
  }
  return JSON.stringify(example);
}
