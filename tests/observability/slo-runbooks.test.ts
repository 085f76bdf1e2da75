// Every alert the chart ships (prometheus-rules.yaml and slo-rules.yaml) has a runbook_url
// annotation naming docs/runbooks/<alert>.md, that file exists and says what the alert means, how
// to confirm and mitigate it and whom to escalate to; every runbook belongs to an alert, and the
// index (docs/runbooks/README.md) lists each one.
import { readdir, readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const root = join(import.meta.dirname, '../..');
const RULE_FILES = ['prometheus-rules.yaml', 'slo-rules.yaml'].map((f) =>
  join(root, 'charts/inference-service/files', f),
);
const RUNBOOKS = join(root, 'docs/runbooks');
const SECTIONS = ['## What it means', '## Confirm', '## Mitigate', '## Escalate'];

interface Alert {
  alert: string;
  annotations?: Record<string, string>;
}

async function alerts(): Promise<Alert[]> {
  const out: Alert[] = [];
  for (const file of RULE_FILES) {
    const rules = parse(await readFile(file, 'utf8')) as { groups: { rules: Partial<Alert>[] }[] };
    for (const rule of rules.groups.flatMap((g) => g.rules))
      if (rule.alert !== undefined) out.push(rule as Alert);
  }
  return out;
}

const runbookFiles = async () =>
  (await readdir(RUNBOOKS)).filter((f) => f.endsWith('.md') && f !== 'README.md').sort();

describe('the runbooks', () => {
  it('are named by every alert, and exist', async () => {
    const all = await alerts();
    expect(all.length).toBe(19 + 13);
    const missing = all.filter((a) => {
      const url = a.annotations?.['runbook_url'];
      return url !== `docs/runbooks/${a.alert}.md` || !existsSync(join(root, url));
    });
    expect(missing.map((a) => a.alert)).toEqual([]);
  });

  it('each belong to an alert', async () => {
    const names = new Set((await alerts()).map((a) => `${a.alert}.md`));
    expect((await runbookFiles()).filter((f) => !names.has(f))).toEqual([]);
  });

  it('say what the alert means, how to confirm and mitigate it, and whom to escalate to', async () => {
    const incomplete: string[] = [];
    for (const file of await runbookFiles()) {
      const text = await readFile(join(RUNBOOKS, file), 'utf8');
      const title = `# ${file.slice(0, -'.md'.length)}\n`;
      const confirm = text.slice(text.indexOf('## Confirm'), text.indexOf('## Mitigate'));
      if (
        !text.startsWith(title) ||
        SECTIONS.some((s) => !text.includes(`\n${s}\n`)) ||
        !/```(promql|sh)\n/.test(confirm)
      )
        incomplete.push(file);
    }
    expect(incomplete).toEqual([]);
  });

  it('are all listed in the index, whose links resolve', async () => {
    const index = await readFile(join(RUNBOOKS, 'README.md'), 'utf8');
    const linked = [...index.matchAll(/\]\(([\w]+\.md)\)/g)].map((m) => m[1]).sort();
    expect(linked).toEqual(await runbookFiles());
  });

  it('link only to files that exist', async () => {
    const broken: string[] = [];
    for (const file of [...(await runbookFiles()), 'README.md']) {
      const text = await readFile(join(RUNBOOKS, file), 'utf8');
      for (const m of text.matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)) {
        const target = m[1] ?? '';
        if (!/^https?:/.test(target) && !existsSync(join(RUNBOOKS, target)))
          broken.push(`${file}: ${target}`);
      }
    }
    expect(broken).toEqual([]);
  });
});
