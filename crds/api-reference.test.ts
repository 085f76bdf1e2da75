import { Type } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { apiReferenceMarkdown } from './api-reference.ts';
import { cel, Struct, type KindDescriptor } from './common.ts';
import { kinds } from './index.ts';

const markdown = apiReferenceMarkdown(kinds);

describe('the API reference', () => {
  it('has a section per kind with its CRD name, short names and conditions', () => {
    for (const kind of kinds) {
      expect(markdown).toContain(`## ${kind.kind}\n`);
      expect(markdown).toContain(`\`${kind.plural}.inference.enis.io\``);
      expect(markdown).toContain(kind.shortNames.map((name) => `\`${name}\``).join(', '));
    }
    expect(markdown).toContain('- Conditions: `Ready`, `ResolvedRefs`');
  });

  it('lists nested fields with type, default, description and constraints', () => {
    expect(markdown).toContain(
      '| `targets[].timeoutMs` | integer | `30000` | Deadline of one attempt against this target, in milliseconds. | 1 to 600000 |',
    );
    expect(markdown).toContain('| `alertThresholds` | []integer | `[50,80,100]` |');
    expect(markdown).toContain('each 1 to 100');
    expect(markdown).toContain('| `limits.costUSD` | integer or string |');
    expect(markdown).toContain('| `modelBytes` | integer (int64) |');
    expect(markdown).toContain('a Kubernetes quantity such as `500m` or `4Gi`');
    expect(markdown).toContain('unique by `type`');
    expect(markdown).toContain('items unique');
    expect(markdown).toContain('fields set ≥ 1');
    expect(markdown).toContain('any fields');
  });

  it('states every CEL rule in words, beside its field and in the rules list', () => {
    expect(markdown).toContain('rule: alertThresholds must be strictly ascending.');
    expect(markdown).toContain(
      "- `.spec.onExceed`: degradeTo is required when action is Degrade, and allowed only then. (`(has(self.action) && self.action == 'Degrade') == has(self.degradeTo)`)",
    );
  });

  it('escapes pipes so a pattern does not split its table cell', () => {
    const row = markdown.split('\n').find((line) => line.startsWith('| `limits.costUSD` |'));
    expect(row).toContain('(0\\|[1-9]');
  });

  it('ends with one newline', () => {
    expect(markdown.endsWith('\n')).toBe(true);
    expect(markdown.endsWith('\n\n')).toBe(false);
  });

  it('says so when a kind has no CEL rule', () => {
    const plain: KindDescriptor = {
      kind: 'Plain',
      plural: 'plains',
      singular: 'plain',
      shortNames: ['pl'],
      description: 'A kind without rules.',
      conditionTypes: ['Ready'],
      printerColumns: [],
      spec: Struct({ size: Type.Integer({ maximum: 3, description: 'Size.' }) }),
      status: Struct({ note: Type.String({ description: 'Note.', ...cel() }) }),
    };
    const text = apiReferenceMarkdown([plain]);
    expect(text).toContain('None beyond the field constraints above.');
    expect(text).toContain('| `size` | integer |  | Size. | required; ≤ 3 |');
  });
});
