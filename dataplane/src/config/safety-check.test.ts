import { describe, expect, it } from 'vitest';
import { GatewaySettings } from '../../../crds/gateway-settings.ts';
import { checkSafetySettings } from './safety-check.ts';
import { ConfigError, parseWith } from './validate.ts';

const settings = (injection: unknown) =>
  parseWith(
    GatewaySettings,
    { auth: { issuer: 'i', audience: 'a' }, safety: { injection } },
    'gateway.yaml',
  ).safety;

const notInstalled = (specifier: string): string => {
  throw new Error(`Cannot find module ${specifier}`);
};

describe('the safety settings check', () => {
  it('accepts the llm_guardrail classifier, which the lockfile installs', () => {
    expect(() => {
      checkSafetySettings(settings({ classifier: 'llm_guardrail' }), 'gateway.yaml');
    }).not.toThrow();
  });

  it('refuses a classifier whose files are missing, naming the setting and the file', () => {
    const safety = settings({ tenants: { acme: { classifier: 'llm_guardrail' } } });
    expect(() => {
      checkSafetySettings(safety, 'gateway.yaml', notInstalled);
    }).toThrow(
      new ConfigError(
        'gateway.yaml: safety.injection.tenants.acme.classifier names llm_guardrail, which is not installed here (llm_guardrail/model/prompt_injection_model.json is missing).',
      ),
    );
  });

  it('looks no file up while every classifier is off', () => {
    expect(() => {
      checkSafetySettings(settings({}), 'gateway.yaml', notInstalled);
    }).not.toThrow();
  });

  it('refuses an action outside flag, sanitize and block by its path', () => {
    expect(() => settings({ routes: { chat: { action: 'drop' } } })).toThrow(
      /safety\.injection\.routes\.chat\.action/,
    );
  });
});
