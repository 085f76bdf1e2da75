import { defineConfig } from 'vite';
import { ENIS_PACKAGES } from '../../sdk/workspace.ts';

/**
 * Every example's Vite config (each `vite.config.ts` is this one): relative asset paths, and
 * `@enis/client` and `@enis/react` by name on their source in this repository.
 */
export default defineConfig({ base: './', resolve: { alias: ENIS_PACKAGES } });
