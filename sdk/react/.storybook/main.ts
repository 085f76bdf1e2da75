import type { StorybookConfig } from '@storybook/react-vite';

/** Hand-written (no `storybook init`, which fetches templates); built offline by `make storybook`. */
const config: StorybookConfig = {
  framework: '@storybook/react-vite',
  stories: ['../stories/*.stories.tsx'],
  core: { disableTelemetry: true, disableWhatsNewNotifications: true },
  // The components' props are documented in their source; docgen would only slow the build.
  typescript: { reactDocgen: false },
};

export default config;
