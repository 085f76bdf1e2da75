import type { StorybookConfig } from '@storybook/react-vite';
import { mergeConfig } from 'vite';
import { ENIS_PACKAGES } from '../../workspace.ts';

/** Hand-written (no `storybook init`, which fetches templates); built offline by `make storybook`. */
const config: StorybookConfig = {
  framework: '@storybook/react-vite',
  stories: ['../stories/*.stories.tsx'],
  core: { disableTelemetry: true, disableWhatsNewNotifications: true },
  // The components' props are documented in their source; docgen would only slow the build.
  typescript: { reactDocgen: false },
  // `@enis/client` by name on its source, as in the examples.
  viteFinal: (vite) => mergeConfig(vite, { resolve: { alias: ENIS_PACKAGES } }),
};

export default config;
