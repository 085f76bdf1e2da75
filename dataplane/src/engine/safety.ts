import type { GatewaySettings } from '../../../crds/gateway-settings.ts';
import {
  classifierNames,
  type InjectionClassifierSetting,
  type InjectionSettings,
} from '../../../crds/injection-settings.ts';
import type { ChatMessage, ToolCall } from '../core/types.ts';
import { ApiError } from '../errors/api-error.ts';
import {
  highestOf,
  injectionClassifier,
  isScoredClassifier,
  scoredClassifier,
  type ClassifierScores,
  type ScoredClassifierName,
} from '../security/injection-classifier.ts';
import {
  checkPii,
  createStreamRedactor,
  piiBlocked,
  policyFor,
  type PiiKind,
} from '../security/pii.ts';
import { checkJsonText } from '../security/pii-json.ts';
import { piiFor, piiOutputFor, type TenantPii } from '../security/pii-settings.ts';
import {
  sanitizeMessages,
  sanitizeText,
  type Finding,
  type InjectionOptions,
} from '../security/sanitizer.ts';
import type { Findings } from '../stages/context.ts';
import type { Safety, SafetyScope } from './pipeline/prepare.ts';
import { SafetyRefusal } from './safety-refusal.ts';
import {
  sharedJailguardScorer,
  sharedMinilmHeadScorer,
  sharedMinilmTunedScorer,
  untrustedTexts,
  type InjectionScorer,
} from './injection-scores.ts';
import type { GuardScorer } from './injection-guard.ts';

type Policy = GatewaySettings['safety'];

const STRICTNESS = { flag: 0, sanitize: 1, block: 2 } as const;

/**
 * The injection policy of one request: the defaults, the tenant's entry over them, then the
 * route's entry with the stricter action and the lower threshold winning (a route tightens a
 * tenant's policy, never loosens it); the route's classifier is used when it names one.
 */
export function injectionPolicy(
  settings: InjectionSettings,
  scope: SafetyScope = {},
): InjectionOptions {
  const tenant = scope.tenant === undefined ? undefined : settings.tenants[scope.tenant];
  const route = scope.route === undefined ? undefined : settings.routes[scope.route];
  let action = tenant?.action ?? settings.action;
  if (route?.action !== undefined && STRICTNESS[route.action] > STRICTNESS[action]) {
    action = route.action;
  }
  const threshold = Math.min(tenant?.threshold ?? settings.threshold, route?.threshold ?? Infinity);
  const classifiers = classifierNames(
    route?.classifier ?? tenant?.classifier ?? settings.classifier,
  ).map((name) =>
    isScoredClassifier(name)
      ? scoredClassifier(name, scope.injectionScores?.[name])
      : injectionClassifier(name),
  );
  return {
    action,
    threshold,
    classifier: classifiers.length > 1 ? highestOf(classifiers) : classifiers[0],
    classifierWeight: settings.classifierWeight,
  };
}

/**
 * Whether a request of `tenant` may be scored by classifier `name` (jailguard, minilm_head,
 * minilm_tuned or the guard model): the default, the tenant's entry or any route's names it, alone or in a list (the
 * route is known only once prepare has resolved the prompt).
 */
export function namesClassifier(
  settings: InjectionSettings,
  tenant: string | undefined,
  name: ScoredClassifierName,
): boolean {
  const tenantEntry = tenant === undefined ? undefined : settings.tenants[tenant];
  const names = (setting: InjectionClassifierSetting | undefined) =>
    setting !== undefined && classifierNames(setting).includes(name);
  return (
    names(tenantEntry?.classifier ?? settings.classifier) ||
    Object.values(settings.routes).some((route) => names(route.classifier))
  );
}

/** The classifiers that score a request's texts before the sanitiser reads them. */
export interface Scorers {
  /** jailguard's embedding and head, loaded on the first request whose policy names it. */
  jailguard?: InjectionScorer;
  /** The trained head over the same embedding, loaded likewise. */
  minilmHead?: InjectionScorer;
  /** The fine-tuned encoder and its head, loaded likewise. */
  minilmTuned?: InjectionScorer;
  /** The guard model behind a route (`safety.injection.guard`). */
  guard?: GuardScorer;
}

/**
 * One check's findings by kind, counted as they are found (the sanitiser's kinds and
 * `pii:<kind>`), and the PII kinds found under `block`: the check refuses once it has looked
 * at everything, so that a refusal counts all it found.
 */
class Tally {
  readonly counts: Record<string, number> = {};
  readonly blocked = new Set<PiiKind>();

  add(kind: string, count: number): void {
    if (count > 0) this.counts[kind] = (this.counts[kind] ?? 0) + count;
  }

  addAll(findings: readonly Finding[]): void {
    for (const finding of findings) this.add(finding.kind, finding.count);
  }

  /** The findings, or the refusal carrying them when a `block` kind was found. */
  settle(): Findings {
    if (this.blocked.size > 0) throw new SafetyRefusal(piiBlocked([...this.blocked]), this.counts);
    return this.counts;
  }

  /** `check()`, a refusal by it carrying the findings so far and its own. */
  refusing<T>(check: () => T): T {
    try {
      return check();
    } catch (error) {
      if (error instanceof ApiError && error.code === 'CONTENT_BLOCKED') {
        throw new SafetyRefusal(error, { ...this.counts, ...blockedInjection(error) });
      }
      throw error;
    }
  }
}

/** The findings of a refused prompt injection: the message, and its categories. */
function blockedInjection(error: ApiError): Findings {
  const categories = error.details?.['categories'];
  if (error.details?.['reason'] !== 'prompt_injection' || !Array.isArray(categories)) return {};
  const findings: Record<string, number> = { injection: 1 };
  for (const category of categories) findings[`injection:${String(category)}`] = 1;
  return findings;
}

/** `text` under the tenant's input PII policy; what was redacted or blocks is tallied. */
function piiChecked(text: string, pii: TenantPii, tally: Tally): string {
  const checked = checkPii(text, pii.policies, pii.options);
  for (const [kind, count] of Object.entries(checked.counts)) tally.add(`pii:${kind}`, count);
  for (const kind of checked.blocked) tally.blocked.add(kind);
  return checked.text;
}

/** Tool-call arguments (JSON) under the input PII policy, value by value. */
function argumentsChecked(calls: ToolCall[], pii: TenantPii, tally: Tally): ToolCall[] {
  return calls.map((call) => ({
    ...call,
    arguments: checkJsonText(call.arguments, (value) => piiChecked(value, pii, tally)),
  }));
}

/** The gateway's safety policy (`gateway.yaml` → safety) as the pipeline uses it. */
export function createSafety(
  settings: () => Policy,
  {
    jailguard = sharedJailguardScorer(),
    minilmHead = sharedMinilmHeadScorer(),
    minilmTuned = sharedMinilmTunedScorer(),
    guard,
  }: Scorers = {},
): Safety {
  /** One untrusted text through the sanitiser and the input PII policy. */
  const checkText = (
    text: string,
    policy: Policy,
    injection: InjectionOptions,
    pii: TenantPii,
    tally: Tally,
  ) => {
    const sanitized = policy.sanitize
      ? tally.refusing(() => sanitizeText(text, { injection }))
      : { text, findings: [] };
    tally.addAll(sanitized.findings);
    return piiChecked(sanitized.text, pii, tally);
  };

  return {
    async scoreInjection(input, tenant) {
      const { sanitize, injection } = settings();
      if (!sanitize) return undefined;
      const texts = untrustedTexts(input);
      const guardSettings = injection.guard;
      const [embedded, trained, tuned, judged] = await Promise.all([
        namesClassifier(injection, tenant, 'jailguard') ? jailguard.score(texts) : undefined,
        namesClassifier(injection, tenant, 'minilm_head') ? minilmHead.score(texts) : undefined,
        namesClassifier(injection, tenant, 'minilm_tuned') ? minilmTuned.score(texts) : undefined,
        guard !== undefined &&
        guardSettings !== undefined &&
        namesClassifier(injection, tenant, 'guard')
          ? guard.score(texts, guardSettings)
          : undefined,
      ]);
      if (
        embedded === undefined &&
        trained === undefined &&
        tuned === undefined &&
        judged === undefined
      ) {
        return undefined;
      }
      const scores: ClassifierScores = {};
      if (embedded !== undefined) scores.jailguard = embedded;
      if (trained !== undefined) scores.minilm_head = trained;
      if (tuned !== undefined) scores.minilm_tuned = tuned;
      if (judged !== undefined) scores.guard = judged;
      return scores;
    },

    checkInput(messages, scope) {
      const policy = settings();
      const pii = piiFor(policy, scope?.tenant);
      const tally = new Tally();
      // Every role is scanned, `tool` results too: retrieved documents and tool output carry
      // indirect injection as user text carries direct.
      const sanitized = policy.sanitize
        ? tally.refusing(() =>
            sanitizeMessages(messages, { injection: injectionPolicy(policy.injection, scope) }),
          )
        : { messages, findings: [] };
      tally.addAll(sanitized.findings);
      const checked: ChatMessage[] =
        pii.policies === 'off'
          ? sanitized.messages
          : sanitized.messages.map((message) => ({
              ...message,
              content: piiChecked(message.content, pii, tally),
              // The arguments of earlier tool calls are client content too.
              ...(message.toolCalls && {
                toolCalls: argumentsChecked(message.toolCalls, pii, tally),
              }),
            }));
      return { messages: checked, findings: tally.settle() };
    },

    checkVariables(variables, scope) {
      const policy = settings();
      const injection = injectionPolicy(policy.injection, scope);
      const pii = piiFor(policy, scope?.tenant);
      const tally = new Tally();
      const visit = (value: unknown): unknown => {
        if (typeof value === 'string') return checkText(value, policy, injection, pii, tally);
        if (Array.isArray(value)) return value.map(visit);
        if (value !== null && typeof value === 'object') {
          return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, visit(item)]));
        }
        return value;
      };
      const checked = visit(variables) as Record<string, unknown>;
      return { variables: checked, findings: tally.settle() };
    },

    checkTexts(texts, scope) {
      const pii = piiFor(settings(), scope?.tenant);
      const tally = new Tally();
      const checked =
        pii.policies === 'off' ? [...texts] : texts.map((text) => piiChecked(text, pii, tally));
      return { texts: checked, findings: tally.settle() };
    },

    outputFilter(scope) {
      const output = piiOutputFor(settings(), scope?.tenant);
      const { policies, options } = output;
      if (policies === 'off') return undefined;
      const policy = (kind: PiiKind) => policyFor(policies, kind);
      const redactor = createStreamRedactor(options, policy);
      const tally = new Tally();
      /**
       * Text out, or the refusal once a `block` kind was found (nothing of it is sent); thrown
       * once: what the pipeline flushes after the refusal is empty.
       */
      let refused = false;
      const passed = (text: string): string => {
        if (redactor.blocked.length === 0 || refused) return text;
        refused = true;
        throw piiBlocked(redactor.blocked);
      };
      return {
        push: (text) => passed(redactor.push(text)),
        flush: () => passed(redactor.flush()),
        // A provider's tool calls come whole, in the last chunk: checked value by value.
        toolCalls: (calls) => {
          const blocked = new Set<PiiKind>();
          const checked = calls.map((call) => ({
            ...call,
            arguments: checkJsonText(call.arguments, (value) => {
              const result = checkPii(value, policies, options);
              for (const [kind, count] of Object.entries(result.counts))
                tally.add(`output:pii:${kind}`, count);
              for (const kind of result.blocked) blocked.add(kind);
              return result.text;
            }),
          }));
          if (blocked.size > 0) throw piiBlocked([...blocked]);
          return checked;
        },
        findings: () => {
          const found = { ...tally.counts };
          for (const [kind, count] of Object.entries(redactor.counts))
            if (count > 0) found[`output:pii:${kind}`] = (found[`output:pii:${kind}`] ?? 0) + count;
          return found;
        },
      };
    },
  };
}
