/**
 * Reads a cookbook page (docs/cookbook/*.md) the way its convention says (docs/cookbook/index.md):
 * a fenced block whose info string is `sh cookbook` is a command the test runs; one whose info
 * string is `yaml cookbook file=<path>` is a file of the config contract at that path; one whose
 * info string is `yaml cookbook resource` is a custom resource, which the test renders into the
 * contract as the operator does. Then runs a page's commands in one bash, in order.
 */
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parse } from 'yaml';

const root = join(import.meta.dirname, '../..');

export interface CookbookPage {
  /** The `sh cookbook` blocks, in page order. */
  commands: string[];
  /** The `yaml cookbook file=<path>` blocks: contract path → text, exactly as the page shows it. */
  files: Map<string, string>;
  /** The `yaml cookbook resource` blocks, parsed. */
  resources: { kind: string; metadata: { name: string }; spec: unknown }[];
}

export async function readPage(name: string): Promise<CookbookPage> {
  const markdown = await readFile(join(root, 'docs/cookbook', name), 'utf8');
  const page: CookbookPage = { commands: [], files: new Map(), resources: [] };
  for (const [, info, body] of markdown.matchAll(/^```([^\n]*)\n([\s\S]*?)^```$/gm)) {
    const words = info!.trim().split(/\s+/);
    if (words[1] !== 'cookbook') continue;
    const file = words.find((word) => word.startsWith('file='))?.slice('file='.length);
    if (words[0] === 'sh') page.commands.push(body!);
    else if (file !== undefined) page.files.set(file, body!);
    else if (words.includes('resource')) page.resources.push(parse(body!) as never);
    else throw new Error(`${name}: a cookbook block with info string "${info!}" means nothing`);
  }
  return page;
}

/**
 * The contract files the resources of a page become, as the operator renders them
 * (operator/src/render/config-contract.ts): a TenantBudget's spec joins budgets.yaml, a
 * PromptManifest is its own file under prompts/.
 */
export function renderResources(page: CookbookPage): Map<string, string> {
  const files = new Map<string, string>();
  const budgets = page.resources.filter((resource) => resource.kind === 'TenantBudget');
  if (budgets.length > 0)
    files.set('budgets.yaml', JSON.stringify({ budgets: budgets.map((budget) => budget.spec) }));
  for (const resource of page.resources) {
    if (resource.kind === 'PromptManifest')
      files.set(`prompts/${resource.metadata.name}.yaml`, JSON.stringify(resource));
    else if (resource.kind !== 'TenantBudget')
      throw new Error(`The cookbook test renders no ${resource.kind}`);
  }
  return files;
}

export interface PageRun {
  code: number | null;
  /** What each command block printed on stdout, in page order. */
  outputs: string[];
  stderr: string;
}

/**
 * Runs the page's commands in one `bash -eu` from the repository root, in order, so that a
 * variable one block sets is there in the next, as in a reader's terminal (no pipefail: a
 * pipeline's status is its last command's, as there).
 */
export function runCommands(
  commands: readonly string[],
  env: Record<string, string>,
  timeoutMs = 30_000,
): Promise<PageRun> {
  const marker = (index: number) => `@@cookbook-block-${String(index)}@@`;
  const script = commands
    .map((command, index) => `printf '%s\\n' '${marker(index)}'\n${command}`)
    .join('\n');
  return new Promise((resolve) => {
    const child = spawn('bash', ['-eu', '-c', script], {
      cwd: root,
      env: { ...process.env, ...env },
      timeout: timeoutMs,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('close', (code) => {
      const outputs = commands.map((_, index) => {
        const start = stdout.indexOf(`${marker(index)}\n`);
        if (start < 0) return '';
        const end = stdout.indexOf(marker(index + 1));
        return stdout.slice(start + marker(index).length + 1, end < 0 ? undefined : end);
      });
      resolve({ code, outputs, stderr });
    });
  });
}
