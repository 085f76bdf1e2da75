/**
 * `safety.injection` in gateway.yaml: the prompt-injection score, the in-process classifiers
 * and the files they run on, the guard model behind a route, and the per-tenant and per-route
 * overrides (docs/safety.md). The config loader checks the files and the guard's route
 * (dataplane/src/config/safety-check.ts).
 */
import { Type, type Static } from '@sinclair/typebox';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const INJECTION_ACTION =
  'What a message whose injection score reaches the threshold gets: flag (findings only, content as sent), sanitize (matched stretches replaced), block (CONTENT_BLOCKED).';
const INJECTION_CLASSIFIER =
  "The in-process classifier whose share joins the rules score: off, llm_guardrail (npm llm_guardrail) or prompt_guardrail (PyPI prompt-guardrail, exported by make models), both TF-IDF + logistic regression; jailguard (the crate jailguard's MLP head over the MiniLM embedding of make models-fetch); minilm_head (a logistic regression over the same embedding, trained in this repository by make train-injection-head); minilm_tuned (MiniLM fine-tuned with its head in this repository by make train-injection-tuned, committed under models/minilm-tuned); or guard, a guard model asked through the ProviderRoute that safety.injection.guard.model names. A list of several names runs each, the highest probability counting.";
const InjectionAction = Type.Union(
  [Type.Literal('flag'), Type.Literal('sanitize'), Type.Literal('block')],
  { description: INJECTION_ACTION },
);
const InjectionThreshold = Type.Number({
  minimum: 0.1,
  maximum: 100,
  description: 'Injection score at which a message is acted on (docs/safety.md).',
});
const CLASSIFIER_NAMES = [
  Type.Literal('llm_guardrail'),
  Type.Literal('prompt_guardrail'),
  Type.Literal('jailguard'),
  Type.Literal('minilm_head'),
  Type.Literal('minilm_tuned'),
  Type.Literal('guard'),
];
/** `off`, one classifier, or several (each runs; the highest probability counts). */
const InjectionClassifier = Type.Union(
  [
    Type.Literal('off'),
    ...CLASSIFIER_NAMES,
    Type.Array(Type.Union(CLASSIFIER_NAMES), { minItems: 1, uniqueItems: true }),
  ],
  { description: INJECTION_CLASSIFIER },
);

/**
 * The files each injection classifier runs on: `package` files are module specifiers resolved
 * from node_modules (an npm dependency), `model-cache` files are paths under the model cache
 * ($INFERENCE_MODEL_CACHE, default .tmp/models, where `make models` exports them). The config
 * loader refuses a gateway.yaml that names a classifier whose files are missing; the classifier
 * stage reads them.
 */
const MINILM_FILES = [
  'all-minilm-l6-v2/onnx/model_int8.onnx',
  'all-minilm-l6-v2/tokenizer.json',
  'all-minilm-l6-v2/config.json',
] as const;
export const INJECTION_CLASSIFIER_FILES = {
  llm_guardrail: {
    from: 'package',
    files: [
      'llm_guardrail/model/prompt_injection_model.json',
      'llm_guardrail/model/jailbreak_model.json',
    ],
  },
  prompt_guardrail: { from: 'model-cache', files: ['prompt-guardrail/model.json'] },
  // Its head is vendored (models/jailguard/); the embedding model is fetched into the cache.
  jailguard: { from: 'model-cache', files: MINILM_FILES },
  // Its head is committed (models/minilm-head/), over the same embedding.
  minilm_head: { from: 'model-cache', files: MINILM_FILES },
  // Its encoder and head are committed (models/minilm-tuned/); it reads MiniLM's tokenizer.
  minilm_tuned: {
    from: 'model-cache',
    files: ['all-minilm-l6-v2/tokenizer.json', 'all-minilm-l6-v2/config.json'],
  },
} as const satisfies Record<string, { from: 'package' | 'model-cache'; files: readonly string[] }>;
/** The classifiers that run on files installed here (the guard model runs behind a route). */
export type InstalledClassifierName = keyof typeof INJECTION_CLASSIFIER_FILES;
export type InjectionClassifierName = InstalledClassifierName | 'guard';
/** A policy's `classifier`: off, one name, or several whose highest probability counts. */
export type InjectionClassifierSetting = Static<typeof InjectionClassifier>;

/** The classifiers a `classifier` setting runs: none for `off`, one, or the list's. */
export function classifierNames(setting: InjectionClassifierSetting): InjectionClassifierName[] {
  if (setting === 'off') return [];
  return typeof setting === 'string' ? [setting] : [...setting];
}

/**
 * Where the files of classifier `name` are (not whether they exist: the caller checks).
 * @throws Error when a package file's package is not installed.
 */
export function injectionClassifierPaths(
  name: InstalledClassifierName,
  env: NodeJS.ProcessEnv = process.env,
): string[] {
  const { from, files } = INJECTION_CLASSIFIER_FILES[name];
  const cache =
    env['INFERENCE_MODEL_CACHE'] ?? fileURLToPath(new URL('../.tmp/models', import.meta.url));
  return files.map((file) =>
    from === 'package' ? fileURLToPath(import.meta.resolve(file)) : join(cache, file),
  );
}

/**
 * `safety.injection.guard`: the guard model the classifier `guard` asks, one call per client
 * text, through a ProviderRoute's fallback chain (docs/safety.md). Its verdict is the answer's
 * first word (`injection`, `unsafe`, `attack`, `jailbreak` or `yes` is an attack, `safe`,
 * `benign` or `no` is not, and a number from 0 to 1 is the probability itself), or under
 * `answer: json` the `verdict` of a JSON answer the target is held to.
 */
export const InjectionGuard = Type.Object(
  {
    model: Type.String({
      minLength: 1,
      description: 'The model alias whose route serves the guard model (routes.yaml).',
    }),
    timeoutMs: Type.Integer({
      minimum: 50,
      maximum: 60_000,
      default: 2000,
      description: 'How long the guard has for all of a request’s texts.',
    }),
    onError: Type.Union([Type.Literal('pass'), Type.Literal('attack')], {
      default: 'pass',
      description:
        'A text the guard did not judge (timeout, error, an answer that is no verdict): pass (the other scores decide) or attack (scored as certain).',
    }),
    answer: Type.Union([Type.Literal('word'), Type.Literal('json')], {
      default: 'word',
      description:
        'How the guard answers: word (its first word or a number, as a guard model answers) or json (held to {"verdict": "injection" | "safe"} by response_format json_schema, for a general model on a target that enforces it: OpenAI, llama.cpp; Anthropic refuses it).',
    }),
    maxChars: Type.Integer({
      minimum: 100,
      maximum: 100_000,
      default: 8000,
      description: 'The most characters of a text the guard reads (its start).',
    }),
  },
  { additionalProperties: false },
);
export type InjectionGuard = Static<typeof InjectionGuard>;

/** A tenant's or a route's departures from the injection defaults. */
const InjectionOverride = Type.Object(
  {
    action: Type.Optional(InjectionAction),
    threshold: Type.Optional(InjectionThreshold),
    classifier: Type.Optional(InjectionClassifier),
  },
  { additionalProperties: false },
);

/**
 * `safety.injection`: the prompt-injection score and what it decides (docs/safety.md). A
 * tenant's entry replaces the defaults it names; a route's entry (by model alias) applies on
 * top, the stricter action and the lower threshold winning, so a route can tighten a tenant's
 * policy and never loosen it.
 */
export const InjectionSettings = Type.Object(
  {
    action: Type.Union([Type.Literal('flag'), Type.Literal('sanitize'), Type.Literal('block')], {
      default: 'sanitize',
      description: INJECTION_ACTION,
    }),
    threshold: Type.Number({ ...InjectionThreshold, default: 1 }),
    classifier: Type.Union(InjectionClassifier.anyOf, {
      default: 'off',
      description: INJECTION_CLASSIFIER,
    }),
    classifierWeight: Type.Number({
      minimum: 0,
      maximum: 10,
      default: 1,
      description:
        'What the classifier adds to the score at certainty (nothing at or below even odds).',
    }),
    guard: Type.Optional(InjectionGuard),
    tenants: Type.Record(Type.String(), InjectionOverride, {
      default: {},
      description: 'Per-tenant overrides of action, threshold and classifier.',
    }),
    routes: Type.Record(Type.String(), InjectionOverride, {
      default: {},
      description:
        'Per-route (model alias) overrides; the stricter action and lower threshold win.',
    }),
  },
  { additionalProperties: false, default: {} },
);
export type InjectionSettings = Static<typeof InjectionSettings>;
