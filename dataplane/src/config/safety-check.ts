import { fileURLToPath } from 'node:url';
import {
  INJECTION_CLASSIFIER_FILES,
  type GatewaySettings,
} from '../../../crds/gateway-settings.ts';
import { ConfigError } from './validate.ts';

/**
 * Refuses a safety section that names an injection classifier (as the default, for a tenant
 * or for a route) whose files are not installed, naming the classifier, the setting and the
 * missing file: a classifier that cannot run is absent, never a stub that scores nothing.
 * @throws ConfigError
 */
export function checkSafetySettings(
  safety: GatewaySettings['safety'],
  source: string,
  /** Where a module specifier resolves; throws when it is not installed. */
  resolve: (specifier: string) => string = (specifier) =>
    fileURLToPath(import.meta.resolve(specifier)),
): void {
  const injection = safety.injection;
  type Name = typeof injection.classifier;
  const named: [string, Name][] = [['safety.injection.classifier', injection.classifier]];
  for (const [tenant, entry] of Object.entries(injection.tenants)) {
    if (entry.classifier !== undefined)
      named.push([`safety.injection.tenants.${tenant}.classifier`, entry.classifier]);
  }
  for (const [route, entry] of Object.entries(injection.routes)) {
    if (entry.classifier !== undefined)
      named.push([`safety.injection.routes.${route}.classifier`, entry.classifier]);
  }
  for (const [path, name] of named) {
    if (name === 'off') continue;
    for (const specifier of INJECTION_CLASSIFIER_FILES[name]) {
      if (!installed(specifier, resolve)) {
        throw new ConfigError(
          `${source}: ${path} names ${name}, which is not installed here (${specifier} is missing).`,
        );
      }
    }
  }
}

function installed(specifier: string, resolve: (specifier: string) => string): boolean {
  try {
    resolve(specifier);
    return true;
  } catch {
    return false;
  }
}
