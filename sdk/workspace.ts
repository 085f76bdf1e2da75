import { fileURLToPath } from 'node:url';

const source = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/**
 * `@enis/client` and `@enis/react` by name on their source, for Vite (the examples, Storybook)
 * and Vitest, as the root tsconfig's `paths` does for tsc: in this repository the packages are
 * not installed, and an import by name reads what a user of the published packages imports.
 */
export const ENIS_PACKAGES = [
  { find: /^@enis\/client$/, replacement: source('./ts/src/index.ts') },
  { find: /^@enis\/client\/microphone$/, replacement: source('./ts/src/microphone.ts') },
  { find: /^@enis\/react$/, replacement: source('./react/src/index.ts') },
  { find: /^@enis\/react\/enis-react\.css$/, replacement: source('./react/src/enis-react.css') },
];
