/**
 * The Insomnia export of the API (export format 4), converted from docs/openapi.yaml by Kong's
 * insomnia-importers, with its sub-environment pointed at `make run` instead of the converter's
 * `example.com`. The converter stamps an export date, which is left out, so the file is a
 * function of the document (drift-checked); every `x-request-id` is Insomnia's `{% uuid 'v4' %}`,
 * a fresh id per send.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { convert, type ImportRequest } from 'insomnia-importers';
import { format } from 'prettier';

const root = join(import.meta.dirname, '..');

/** make run's listener (PORT, 8080 by default); the token is the one it prints (`export TOKEN=…`). */
export const MAKE_RUN_ENVIRONMENT = {
  scheme: 'http',
  host: '127.0.0.1:8080',
  base_path: '',
  bearerToken: '',
};

const SUB_ENVIRONMENT_ID = 'env___BASE_ENVIRONMENT_ID___sub';

function tidy(resource: ImportRequest): ImportRequest {
  if (resource._id === SUB_ENVIRONMENT_ID)
    return { ...resource, name: 'make run', data: MAKE_RUN_ENVIRONMENT };
  if (resource.headers === undefined) return resource;
  const headers = resource.headers.map((header) =>
    header.name === 'x-request-id' ? { ...header, value: "{% uuid 'v4' %}" } : header,
  );
  return { ...resource, headers };
}

export async function insomniaExport(): Promise<string> {
  const { data } = await convert(await readFile(join(root, 'docs/openapi.yaml'), 'utf8'));
  const exported = {
    _type: data._type,
    __export_format: data.__export_format,
    __export_source: data.__export_source,
    resources: data.resources.map(tidy),
  };
  return format(JSON.stringify(exported), { parser: 'json', printWidth: 100 });
}
