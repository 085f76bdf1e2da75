// The default theme with vitepress-openapi's components, which render the HTTP API page from
// the document scripts/portal.ts writes beside the pages (docs/openapi.yaml as JSON).
import DefaultTheme from 'vitepress/theme';
import type { Theme } from 'vitepress';
import { theme as openapiTheme, useOpenapi } from 'vitepress-openapi/client';
import 'vitepress-openapi/dist/style.css';
import spec from '../../../.tmp/portal/src/openapi.json';

export default {
  extends: DefaultTheme,
  async enhanceApp(context) {
    useOpenapi({ spec });
    await openapiTheme.enhanceApp(context);
  },
} satisfies Theme;
