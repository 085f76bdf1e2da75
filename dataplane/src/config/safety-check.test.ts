import { describe, expect, it } from 'vitest';
import { GatewaySettings } from '../../../crds/gateway-settings.ts';
import { checkGuardRoute, checkSafetySettings } from './safety-check.ts';
import { ConfigError, parseWith } from './validate.ts';

const settings = (injection: unknown) =>
  parseWith(
    GatewaySettings,
    { auth: { issuer: 'i', audience: 'a' }, safety: { injection } },
    'gateway.yaml',
  ).safety;

const nowhere = () => false;

describe('the safety settings check', () => {
  it('accepts the llm_guardrail classifier, which the lockfile installs', () => {
    expect(() => {
      checkSafetySettings(settings({ classifier: 'llm_guardrail' }), 'gateway.yaml');
    }).not.toThrow();
  });

  it('refuses a classifier whose files are missing, naming the setting and the file', () => {
    const safety = settings({ tenants: { acme: { classifier: 'llm_guardrail' } } });
    expect(() => {
      checkSafetySettings(safety, 'gateway.yaml', () => ['/models/llm_guardrail.json'], nowhere);
    }).toThrow(
      new ConfigError(
        'gateway.yaml: safety.injection.tenants.acme.classifier names llm_guardrail, which is not installed here (/models/llm_guardrail.json is missing).',
      ),
    );
  });

  it('accepts a list of installed classifiers and refuses one naming a missing one, by name', () => {
    const safety = settings({ tenants: { acme: { classifier: ['llm_guardrail', 'jailguard'] } } });
    const exists = (path: string) => !path.includes('jailguard');
    expect(() => {
      checkSafetySettings(safety, 'gateway.yaml', (name) => [`/models/${name}.json`], exists);
    }).toThrow(
      new ConfigError(
        'gateway.yaml: safety.injection.tenants.acme.classifier names jailguard, which is not installed here (/models/jailguard.json is missing).',
      ),
    );
    expect(() => {
      checkSafetySettings(
        safety,
        'gateway.yaml',
        (name) => [`/models/${name}.json`],
        () => true,
      );
    }).not.toThrow();
  });

  it('looks no file up while every classifier is off', () => {
    expect(() => {
      checkSafetySettings(settings({}), 'gateway.yaml', () => ['/x'], nowhere);
    }).not.toThrow();
  });

  it('refuses prompt_guardrail for a route where its export is not in the model cache', () => {
    const safety = settings({ routes: { chat: { classifier: 'prompt_guardrail' } } });
    expect(() => {
      checkSafetySettings(safety, 'gateway.yaml', undefined, nowhere);
    }).toThrow(
      /safety\.injection\.routes\.chat\.classifier names prompt_guardrail, which is not installed here \(.*prompt-guardrail\/model\.json is missing\)/,
    );
  });

  it('refuses an action outside flag, sanitize and block by its path', () => {
    expect(() => settings({ routes: { chat: { action: 'drop' } } })).toThrow(
      /safety\.injection\.routes\.chat\.action/,
    );
  });

  it('refuses a phone region without metadata and accepts the known ones', () => {
    const withRegions = (phoneRegions: string[]) =>
      parseWith(
        GatewaySettings,
        { auth: { issuer: 'i', audience: 'a' }, safety: { phoneRegions } },
        'gateway.yaml',
      ).safety;
    expect(() => {
      checkSafetySettings(withRegions(['US', 'ZZ']), 'gateway.yaml');
    }).toThrow(
      new ConfigError('gateway.yaml: safety.phoneRegions names ZZ, which is not a phone region.'),
    );
    expect(() => {
      checkSafetySettings(withRegions(['US', 'GB', 'ES']), 'gateway.yaml');
    }).not.toThrow();
  });

  it('refuses the guard classifier when safety.injection.guard names no model', () => {
    const safety = settings({ routes: { chat: { classifier: ['llm_guardrail', 'guard'] } } });
    expect(() => {
      checkSafetySettings(safety, 'gateway.yaml');
    }).toThrow(
      new ConfigError(
        'gateway.yaml: safety.injection.routes.chat.classifier names guard, but safety.injection.guard does not name its model.',
      ),
    );
  });

  it('accepts the guard classifier with its model named, needing no files', () => {
    const safety = settings({ classifier: 'guard', guard: { model: 'guard' } });
    expect(() => {
      checkSafetySettings(safety, 'gateway.yaml', () => ['/nowhere'], nowhere);
    }).not.toThrow();
    expect(safety.injection.guard).toEqual({
      model: 'guard',
      timeoutMs: 2000,
      onError: 'pass',
      maxChars: 8000,
      answer: 'word',
    });
  });

  it('refuses a guard model that no route serves, and accepts one a route serves', () => {
    const { injection } = settings({ guard: { model: 'guard' } });
    expect(() => {
      checkGuardRoute(injection, new Set(['chat']), 'gateway.yaml');
    }).toThrow(
      new ConfigError(
        'gateway.yaml: safety.injection.guard.model names guard, which no route in routes.yaml serves.',
      ),
    );
    expect(() => {
      checkGuardRoute(injection, new Set(['chat', 'guard']), 'gateway.yaml');
    }).not.toThrow();
  });
});
