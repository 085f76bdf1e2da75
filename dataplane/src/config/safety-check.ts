import { existsSync } from 'node:fs';
import type { GatewaySettings } from '../../../crds/gateway-settings.ts';
import {
  classifierNames,
  injectionClassifierPaths,
  type InjectionClassifierSetting,
  type InjectionSettings,
  type InstalledClassifierName,
} from '../../../crds/injection-settings.ts';
import { isSupportedCountry } from 'libphonenumber-js/max';
import { ConfigError } from './validate.ts';

/**
 * Refuses a safety section that names a phone region libphonenumber-js has no metadata for
 * (the schema checks the shape only), and one that names an injection classifier (as the default, for a tenant
 * or for a route, alone or in a list) whose files are not installed, naming the classifier, the setting and the
 * missing file, or names the guard model with no `safety.injection.guard` to say which: a classifier that cannot
 * run is absent, never a stub that scores nothing.
 * @throws ConfigError
 */
export function checkSafetySettings(
  safety: GatewaySettings['safety'],
  source: string,
  /** The paths of a classifier's files; throws for a package that is not installed. */
  paths: (name: InstalledClassifierName) => string[] = (name) => injectionClassifierPaths(name),
  exists: (path: string) => boolean = existsSync,
): void {
  checkPiiSettings(safety, source);
  const injection = safety.injection;
  const named: [string, InjectionClassifierSetting][] = [
    ['safety.injection.classifier', injection.classifier],
  ];
  for (const [tenant, entry] of Object.entries(injection.tenants)) {
    if (entry.classifier !== undefined)
      named.push([`safety.injection.tenants.${tenant}.classifier`, entry.classifier]);
  }
  for (const [route, entry] of Object.entries(injection.routes)) {
    if (entry.classifier !== undefined)
      named.push([`safety.injection.routes.${route}.classifier`, entry.classifier]);
  }
  for (const [path, name] of named.flatMap(([path, setting]) =>
    classifierNames(setting).map((name) => [path, name] as const),
  )) {
    if (name === 'guard') {
      if (injection.guard === undefined) {
        throw new ConfigError(
          `${source}: ${path} names guard, but safety.injection.guard does not name its model.`,
        );
      }
      continue;
    }
    const missing = missingFile(name, paths, exists);
    if (missing !== undefined) {
      throw new ConfigError(
        `${source}: ${path} names ${name}, which is not installed here (${missing} is missing).`,
      );
    }
  }
}

/**
 * Refuses a guard model whose alias no route serves (checked once the routes are read).
 * @throws ConfigError
 */
export function checkGuardRoute(
  injection: InjectionSettings,
  aliases: ReadonlySet<string> | ReadonlyMap<string, unknown>,
  source: string,
): void {
  const model = injection.guard?.model;
  if (model !== undefined && !aliases.has(model)) {
    throw new ConfigError(
      `${source}: safety.injection.guard.model names ${model}, which no route in routes.yaml serves.`,
    );
  }
}

function missingFile(
  name: InstalledClassifierName,
  paths: (name: InstalledClassifierName) => string[],
  exists: (path: string) => boolean,
): string | undefined {
  let files: string[];
  try {
    files = paths(name);
  } catch (error) {
    return (error as Error).message.split('\n')[0] ?? name;
  }
  return files.find((file) => !exists(file));
}

function checkPiiSettings(safety: GatewaySettings['safety'], source: string): void {
  const regions: [string, readonly string[]][] = [['safety.phoneRegions', safety.phoneRegions]];
  if (typeof safety.pii !== 'string') {
    for (const [tenant, entry] of Object.entries(safety.pii.tenants)) {
      if (entry.phoneRegions !== undefined)
        regions.push([`safety.pii.tenants.${tenant}.phoneRegions`, entry.phoneRegions]);
    }
  }
  for (const [path, codes] of regions) {
    const unknown = codes.find((code) => !isSupportedCountry(code));
    if (unknown !== undefined) {
      throw new ConfigError(`${source}: ${path} names ${unknown}, which is not a phone region.`);
    }
  }
}
