import { errorsMarkdown } from './gen-errors-doc.ts';

/** A generator returns the files it owns, path → content. */
export type Generator = () => Promise<Record<string, string>> | Record<string, string>;

export const generators: Generator[] = [() => ({ 'docs/errors.md': errorsMarkdown() })];
generators.push(async () => (await import('./gen-crds.ts')).crdFiles());
generators.push(async () => ({
  'docs/openapi.yaml': await (await import('./gen-openapi.ts')).openapiYaml(),
}));
generators.push(async () => (await import('../operator/src/chart-files.ts')).chartFiles());
generators.push(async () => (await import('./dashboards.ts')).dashboardFiles());
generators.push(async () => (await import('./gen-security-doc.ts')).securityMarkdown());
generators.push(async () => (await import('./gen-chart-docs.ts')).chartDocFiles());
generators.push(async () => (await import('./gen-voice-frames.ts')).voiceFrameFiles());
generators.push(async () => {
  const { frameFiles } = await import('./gen-voice-frames.ts');
  const { XrDownlinkFrame, XrUplinkFrame } = await import('../dataplane/src/engine/xr/frames.ts');
  return frameFiles({
    name: 'xr',
    title: 'XR socket frames',
    source: 'dataplane/src/engine/xr/frames.ts',
    definitions: { XrUplinkFrame, XrDownlinkFrame },
  });
});
