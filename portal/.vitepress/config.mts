// The developer portal's VitePress config. scripts/portal.ts assembles the pages into
// .tmp/portal/src (docs/ and the Markdown files it links to, at their repository paths, plus
// pages/) and builds them into .tmp/portal/site. VitePress fails the build on a dead link.
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { defineConfig } from 'vitepress';

const src = join(import.meta.dirname, '../../.tmp/portal/src');
const fileLinks = new Set<string>(
  JSON.parse(readFileSync(join(src, '../file-links.json'), 'utf8')) as string[],
);

/** The rows of docs/index.md's table (`| [name](file.md) | what it covers |`), in its order. */
function indexed(): { text: string; link: string }[] {
  const rows = readFileSync(join(src, 'docs/index.md'), 'utf8').matchAll(
    /^\| \[([^\]]+)\]\(([\w./-]+)\.md\) \|/gm,
  );
  const seen = new Set<string>();
  return [...rows]
    .filter(([, , file]) => !seen.has(file) && seen.add(file))
    .map(([, name, file]) => ({ text: name.replace(/\.md$/, ''), link: `/docs/${file}` }));
}

/** The pages of docs/ that its index does not list, so that none is out of reach. */
function unindexed(): { text: string; link: string }[] {
  const listed = new Set(indexed().map((item) => item.link));
  return folder('docs').filter((item) => !listed.has(item.link));
}

/** A folder's pages, titled by their first heading. */
function folder(dir: string): { text: string; link: string }[] {
  if (!existsSync(join(src, dir))) return [];
  return readdirSync(join(src, dir))
    .filter((file) => file.endsWith('.md') && file !== 'index.md')
    .sort()
    .map((file) => ({
      text: /^# (.+)$/m.exec(readFileSync(join(src, dir, file), 'utf8'))?.[1] ?? file,
      link: `/${dir}/${file.replace(/\.md$/, '')}`,
    }));
}

export default defineConfig({
  title: 'inference-service',
  description: 'A Kubernetes-native control plane and dataplane for LLM inference.',
  srcDir: '../.tmp/portal/src',
  outDir: '../.tmp/portal/site',
  cacheDir: '../.tmp/portal/cache',
  // A link to a page is VitePress's to check; a link to any other file was checked by
  // scripts/portal.ts, which copied the file to the site, but VitePress takes some of those
  // (LICENSE, *.sha256) for pages: it is told to leave them alone, by their written form.
  ignoreDeadLinks: [(link) => fileLinks.has(link.replace(/^\.\//, ''))],
  // The site is built offline and served from anywhere: no fonts or analytics fetched.
  head: [],
  themeConfig: {
    nav: [
      { text: 'Cookbook', link: '/docs/cookbook/' },
      { text: 'HTTP API', link: '/http-api' },
      { text: 'Resources', link: '/docs/api-reference' },
    ],
    sidebar: [
      { text: 'Cookbook', items: folder('docs/cookbook') },
      { text: 'Reference', items: [{ text: 'HTTP API', link: '/http-api' }, ...indexed()] },
      { text: 'More', items: unindexed() },
      { text: 'Runbooks', collapsed: true, items: folder('docs/runbooks') },
    ].filter((group) => group.items.length > 0),
    search: { provider: 'local' },
    outline: [2, 3],
  },
});
