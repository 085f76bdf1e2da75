// The developer portal (scripts/portal.ts, `make portal`): how it follows links, and the site
// that `make test` builds before the tests run (.tmp/portal/site).
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { collect, relativeLinks } from '../../scripts/portal.ts';

const root = join(import.meta.dirname, '../..');
const site = join(root, '.tmp/portal/site');

describe('relativeLinks', () => {
  it.each([
    ['a page link', 'See [streaming](streaming.md).', ['streaming.md']],
    ['a link without its fragment', 'See [resume](streaming.md#resuming).', ['streaming.md']],
    ['a link with a title', '[x](../README.md "the readme")', ['../README.md']],
    ['no web, mail or same-page link', '[a](https://x.io) [b](mailto:a@b.c) [c](#top)', []],
    ['nothing inside inline code', 'Write `[x](missing.md)` to link.', []],
    ['nothing inside a fenced block', '```md\n[x](missing.md)\n```\n[y](y.md)', ['y.md']],
  ])('finds %s', (_, markdown, links) => {
    expect(relativeLinks(markdown)).toEqual(links);
  });
});

describe('collecting the site from a repository', () => {
  let repo: string;
  const write = async (path: string, content: string) => {
    await mkdir(dirname(join(repo, path)), { recursive: true });
    await writeFile(join(repo, path), content);
  };

  beforeAll(async () => {
    repo = await mkdtemp(join(tmpdir(), 'portal-'));
    await write('docs/index.md', '[guide](guide.md) [readme](../README.md)');
    await write('docs/guide.md', '[pricing](../config/pricing.yaml) [gone](../gone.yaml)');
    await write('README.md', '[licence](LICENSE) [folder](config) [out](../../outside.md)');
    await write('LICENSE', 'Apache-2.0');
    await write('config/pricing.yaml', 'currency: USD');
    await write('portal/pages/index.md', '[docs](docs/index.md)');
  });

  afterAll(() => rm(repo, { recursive: true, force: true }));

  it('takes every page of docs/, the pages they link to, and portal/pages at the root', async () => {
    const { pages } = await collect(repo);
    expect(Object.fromEntries(pages)).toEqual({
      'docs/index.md': 'docs/index.md',
      'docs/guide.md': 'docs/guide.md',
      'README.md': 'README.md',
      'portal/pages/index.md': 'index.md',
    });
  });

  it('copies the linked files that are not pages, as the pages write their links', async () => {
    const { files, fileLinks } = await collect(repo);
    expect([...files].sort()).toEqual(['LICENSE', 'config/pricing.yaml']);
    expect([...fileLinks].sort()).toEqual(['../config/pricing.yaml', 'LICENSE']);
  });

  it('names a dead file link, a folder link and a link out of the repository', async () => {
    expect((await collect(repo)).problems.sort()).toEqual([
      'README.md: ../../outside.md leaves the repository',
      'README.md: config is a folder, which the site cannot serve',
      'docs/guide.md: ../gone.yaml is a dead link',
    ]);
  });
});

const built = existsSync(join(site, 'index.html'));
if (!built) console.warn('tests/portal: the site is not built, run `make portal`.');

describe.skipIf(!built)('the built portal', () => {
  const html = (path: string) => readFileSync(join(site, path), 'utf8');

  it('has a page for every document under docs/', async () => {
    const entries = await readdir(join(root, 'docs'), { recursive: true, withFileTypes: true });
    const documents = entries
      .filter((entry) => entry.isFile() && entry.name.endsWith('.md'))
      .map((entry) => relative(root, join(entry.parentPath, entry.name)));
    const missing = documents.filter(
      (path) => !existsSync(join(site, path.replace(/\.md$/, '.html'))),
    );
    expect(missing).toEqual([]);
  });

  it("renders every operation of docs/openapi.yaml on the HTTP API page, in the page's HTML", () => {
    const document = parse(readFileSync(join(root, 'docs/openapi.yaml'), 'utf8')) as {
      paths: Record<string, object>;
    };
    const page = html('http-api.html');
    const absent = Object.keys(document.paths).filter(
      (path) => !page.includes(path.replaceAll('&', '&amp;')),
    );
    expect(absent).toEqual([]);
  });

  it('serves the files the pages link to as they are in the repository', () => {
    expect(html('docs/openapi.yaml')).toBe(readFileSync(join(root, 'docs/openapi.yaml'), 'utf8'));
  });

  it('lists every reference page of docs/index.md in its sidebar', () => {
    const index = readFileSync(join(root, 'docs/index.md'), 'utf8');
    const linked = [...index.matchAll(/^\| \[[^\]]+\]\(([\w./-]+)\.md\) \|/gm)].map(
      ([, file]) => `/docs/${file!}`,
    );
    const page = html('docs/index.html');
    expect(linked.filter((link) => !page.includes(`href="${link}.html"`))).toEqual([]);
  });
});
