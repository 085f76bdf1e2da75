import SwaggerParser from '@apidevtools/swagger-parser';
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

describe('the committed OpenAPI document', () => {
  it('is a valid OpenAPI 3.0 document', async () => {
    const document = parse(await readFile('docs/openapi.yaml', 'utf8')) as object;
    const validated = (await SwaggerParser.validate(document as never)) as {
      openapi: string;
      paths: object;
    };
    expect(validated.openapi).toBe('3.0.3');
    expect(Object.keys(validated.paths)).toContain('/api/v1/inference:resume');
  });
});
