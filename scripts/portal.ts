/**
 * Builds the developer portal (`make portal`): docs/ as a static site with VitePress
 * (portal/, its own install), into .tmp/portal/site.
 *
 * The pages are assembled into .tmp/portal/src at their repository paths, so that the relative
 * links the documents use on GitHub work unchanged on the site: every Markdown file under docs/,
 * every Markdown file those link to (README.md, the chart's README…), and portal/pages/ at the
 * root. A linked file that is not a page (docs/openapi.yaml, config/pricing.yaml) is copied to
 * the site as it is. VitePress fails on a dead link to a page; this script fails on a dead link
 * to anything else, on a link to a folder, and on a link that leaves the repository; VitePress
 * is told to leave those links to this script (portal/.vitepress/config.mts).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { cp, mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { dirname, join, normalize, relative } from 'node:path';
import { parse } from 'yaml';

const root = join(import.meta.dirname, '..');
const src = join(root, '.tmp/portal/src');
const PAGES = 'portal/pages';

/** The relative links of a Markdown text, outside code, without their #fragment. */
export function relativeLinks(markdown: string): string[] {
  const prose = markdown
    .replace(/^(```|~~~)[^\n]*\n[\s\S]*?^\1[^\n]*$/gm, '')
    .replace(/`[^`\n]*`/g, '');
  return [...prose.matchAll(/\]\(<?([^)\s>]+)>?(?:\s+"[^"]*")?\)/g)]
    .map(([, target = '']) => target.replace(/#.*$/, ''))
    .filter((target) => target !== '' && !/^[a-z][a-z0-9+.-]*:/i.test(target));
}

async function markdownUnder(root: string, dir: string): Promise<string[]> {
  const entries = await readdir(join(root, dir), { withFileTypes: true, recursive: true });
  return entries
    .filter((entry) => entry.isFile() && entry.name.endsWith('.md'))
    .map((entry) => relative(root, join(entry.parentPath, entry.name)));
}

export interface Site {
  /** Repository paths of the pages, and where each is written under src. */
  pages: Map<string, string>;
  /** Repository paths of linked files that are not pages. */
  files: Set<string>;
  /** Those links as the pages write them, which VitePress is told to leave alone. */
  fileLinks: Set<string>;
  problems: string[];
}

/** Follows the links from docs/ and portal/pages/ to every page and file the site needs. */
export async function collect(root: string): Promise<Site> {
  const site: Site = { pages: new Map(), files: new Set(), fileLinks: new Set(), problems: [] };
  const portalPages = await markdownUnder(root, PAGES);
  const queue: [string, string][] = [
    ...(await markdownUnder(root, 'docs')).map((path): [string, string] => [path, path]),
    ...portalPages.map((path): [string, string] => [path, relative(PAGES, path)]),
  ];
  for (const [path, at] of queue) site.pages.set(path, at);
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    const [path, at] = next;
    for (const link of relativeLinks(await readFile(join(root, path), 'utf8'))) {
      const target = normalize(join(dirname(at), decodeURIComponent(link)));
      const where = `${path}: ${link}`;
      if (target.startsWith('..')) site.problems.push(`${where} leaves the repository`);
      else if (!existsSync(join(root, target))) {
        if (!target.endsWith('.md')) site.problems.push(`${where} is a dead link`);
        // A dead page link: VitePress names it, with the page, when it builds.
      } else if (target.endsWith('.md')) {
        if (![...site.pages.values()].includes(target)) {
          site.pages.set(target, target);
          queue.push([target, target]);
        }
      } else if (statSync(join(root, target)).isFile()) {
        site.files.add(target);
        site.fileLinks.add(link.replace(/^\.\//, ''));
      } else site.problems.push(`${where} is a folder, which the site cannot serve`);
    }
  }
  return site;
}

async function assemble(site: Site): Promise<void> {
  await rm(src, { recursive: true, force: true });
  for (const [path, at] of site.pages) {
    await mkdir(dirname(join(src, at)), { recursive: true });
    await cp(join(root, path), join(src, at));
  }
  // Beside its page for an image, which VitePress bundles from there; under public/ for a
  // link, which the site serves at that path as it is.
  for (const file of site.files) {
    for (const at of [join(src, file), join(src, 'public', file)]) {
      await mkdir(dirname(at), { recursive: true });
      await cp(join(root, file), at);
    }
  }
  const document: unknown = parse(await readFile(join(root, 'docs/openapi.yaml'), 'utf8'));
  await writeFile(join(src, 'openapi.json'), JSON.stringify(document));
  await writeFile(join(src, '../file-links.json'), JSON.stringify([...site.fileLinks].sort()));
}

async function build(): Promise<void> {
  const site = await collect(root);
  if (site.problems.length > 0) {
    console.error(`portal: ${site.problems.length} bad link(s):\n  ${site.problems.join('\n  ')}`);
    process.exit(1);
  }
  await assemble(site);
  console.log(`portal: ${site.pages.size} pages and ${site.files.size} linked files assembled`);
  execFileSync(join(root, 'portal/node_modules/.bin/vitepress'), ['build', 'portal'], {
    cwd: root,
    stdio: 'inherit',
  });
}

// Imported by tests/portal for collect and relativeLinks; run by `make portal`.
if (import.meta.main) await build();
