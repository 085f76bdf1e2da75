import type { CorpusCase } from './pii-corpus-types.ts';

// Random bodies (seeded) in each provider's published shape, written here as literals.

// OpenAI: sk-, sk-proj-, sk-svcacct- (platform docs, API keys page).
const OPENAI = [
  'sk-proj-YNI1nuI4MiQtGfWMZfm-lQMxrzA9f_1n22vOpC_ZM5FND0v9p3YD-9dG0nElFP3Zt2AR5hLF9yQfvufDWklWHc3S9UYKf1uwGPUr4bp5XJ-my-AgqvucHVcUdVpgF7AZitGnLamiEFZiwtP8mlbcd-NsarIg',
  'sk-proj-TcHL57fezc2_PSF5guqNiSv49_HRBCuXcfPIDrgybYMag_zWptHbG5V4BmcgP3ItFrjupTLQIskecqRvbkiwj-_rMI8Fz_u_VotckLoLcAt4Ov4s-j2Re9aE15Vgo1NYrBX5hadKXsicz076CUwkPU3hj5A6',
  'sk-proj-dWmpeq3ykDlOEU2PKb7Z5Oh0y4D3dJ32szmIUWpyH9D4xsFoT-wJvQJwLloUndNaE3LFcvu4aTZe2-frIG_o4TrrnqWLpcZ-C7Z2WIIPyi2uU6-w9YRey0NmYWHHM5JGs8_kTwgIecNeQny_1pp21Go21Ldc',
  'sk-4xgBbHvVm2pQFYGARL3sS23gB5jLTv4klN5ysycNEqw4x3Vy',
  'sk-aJrK9xD6akNjQN7o4U8OqgupSGwbyrcDmRiyxaS8mosxfKAU',
  'sk-svcacct-dah97pfm8aDg6VBibuPDC0e5f5lxibhPcwRvXQ3ojjJwcRtQ6lMv2P73l4-91GI3t3PVic-XIKo9la90rQmmj1FBkern3f4L6U6JLOJiLSaY3P_yWzt3w0A1',
];

// Anthropic: sk-ant-api03- + 93 characters + AA (console key format).
const ANTHROPIC = [
  'sk-ant-api03-IO6gP4WKTMBKeM-F_0u-woiy0tLLKDhT9aGML8Z_XIeeeehxHhxBTyYfTggpo7-Pvs7cEufVPpGJCy6o31WxRkO6no0rvAA',
  'sk-ant-api03-D-N6riy0Q3rrb1YdukmffMXkgu2cj7uroVItXvwwCI6kJbzcWF4GHISXC7atNmhUZKR_lbiaIPq6kvBthsua_OBwmqy9LAA',
  'sk-ant-api03-h4oidGnv9oD1kE2av664yMd4e7Wmou_d_PMvyj6AFVm67A4LezBMqeKKx05SsrRc_MDN0EQa17JGvgiqsVAKRfmDgCUDAAA',
];

// Groq: gsk_ + 52 alphanumerics (console key format).
const GROQ = [
  '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',
  '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',
  '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',
];

// AWS: access key ids AKIA/ASIA + 16 upper-case alphanumerics (IAM docs; AKIAIOSFODNN7EXAMPLE is theirs).
const AWS = [
  'AKIAWT9XQKS9DNMFH9F8',
  'AKIA4LRHIWO7ZETBZCFS',
  'AKIAZNRUVFY8OLNW8P4K',
  'ASIA2CQQ93FQLWJQPDNA',
];

// Google Cloud API keys: AIza + 35 characters (API keys docs).
const GCP = [
  'AIzav2n7yRCeDYfbaen0N7lh4aBQxwBL85LpqA9',
  'AIzaIQ24haqQNA5YJgwv__2mXpUAySRnC5Tq8qk',
  'AIza_Mr8DPXXrtHFYwe2byKqKOY-ALHVI0SgXZp',
];

// GitHub: ghp_/gho_ + 36, github_pat_ + 22 + _ + 59 (GitHub blog on its token formats, 2021).
const GITHUB = [
  'ghp_XHCkzlX8V3cyZs3Ls4Q1EiqLeTI7U0AFPclR',
  'ghp_1MVMFmgnajz3pjcOuJ7VHyRuBhtKk2KESHDD',
  'gho_nLRm27q3ikW3pTfcXX0Ft4m4Enc3jFS7yMzv',
  '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',
];

// Slack: xoxb-/xoxp- tokens (api.slack.com token types).
const SLACK = [
  'xoxb-562048487858-5984566994887-JrmEkNJdoKDbcvwMk8F15ikL',
  'xoxb-355471165074-5561458549124-ddxpB5S0wrkC5uc8bclvFwLM',
  'xoxp-768559352713-876360359726-7633917501444-4697cfc8f717b16d1f2add9ce8138867',
];

// Stripe: sk_live_/rk_live_ secret and restricted keys (API keys docs).
const STRIPE = [
  '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',
  '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',
  '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',
];

// Azure OpenAI / Cognitive Services: 32 hex characters, sent as api-key or Ocp-Apim-Subscription-Key.
const AZURE = [
  'e496dd089bb1e293cdbcb6bdeb3a16bd',
  '1f2674fa9ae3aebdd3ff95d2dc8697e3',
  '67a75a26346c9af12fbdf6dd5d76af80',
];

// Azure Storage: 88-character base64 AccountKey in a connection string.
const AZURE_STORAGE = [
  'ZjVTjZAJSn+lAhMhzQY1jHfX8IgaY6f2Fm8HO5V9lQpOy2j/8f6ZMB8yl68KvqVnsuoUbTvmUtHNXf+XmUA5a1==',
  'eBuhqS3t6KuOgHWG5yDbMOA8P8r6FJj5FG6hH4l2V5Rx2isMBmVdyCNco8Lu5OIpvnwb+eea5B8AJTVAzQX+DN==',
];

// Generic: 32 hex characters after a key-ish word.
const HEX32 = [
  'd2afeb46de4ae73cb2bba2505ee7d4d6',
  'b6d4e0c090513c16317fc48044897726',
  '49f0f7c116fd5c18bcfce25309923ad0',
];

// Generic: 40 base64 characters after a key-ish word.
const B64 = [
  'nMFyb0ZLbRl47KaCrtfH3WPRkSc26QLQyBP27EKm',
  'Fqig4XQPMlv18Yekc8P2smWh35CuIyTnk4rhV86r',
  'Hteb6XekogCtQJfJBgzgW8ueVO4KuRcTcU7eDqXu',
];

// PEM bodies (RFC 7468: 64-character base64 lines).
const PEM_BODY = [
  'UpmieGaQS566feVNO/HjX9QzpLw4P8vFWtBIAhMvSe4wYks3uR306RQ7uaz9RwSz\nR9tzk/eI4TvHLOfA5O8iPt3EKT1uqK9b66GFPO7Kv3uliZwXJzGWgcjM7feoQ2G4\nReTw4apvhSnX6gFu1krLMvgjdNTKM3XOx242xnG1ZzeDMF6QKfz64k790yyvy+72\nYJCbRsxsW3IlePxJPiCmoQkSdD08XICq/gTuaD0HJcD2SkQ9BwRbtxxWot8j41Av\n5c0fyN2Cj9otrLKPMWfpofHwLXHdqk6UZO6fPHgn4O8IOvi4Y35q5XDk7gheLXhg\nKRR8/5Pjc9OKLzyc+EebA/6pFHiM7LguWU1kfUfzoAoQr708L0faO4OTp73Re8zT\n+zhl5K1p3JRNgN+85UuF==',
  'Jo1Pyip+ZcHCZnGCqc7dZKEVJEKJ2b7T7mzsPaaOOCol7nPOwKdbHRkPnET8fnE5\nD8McC5LubpD008hFzTACQii/czvAVKqej+k/mNDL/hoQ3pP/vYKekXz9KfV2oq+s\ngMIGFzAErrUT+ejb6N8cDdUzMp/GKIMX0MxZw6+wz87n2Kl2EUsaxYFzE82De17p\nIGCt07qRIezDngx/4/RoIlbbnQkvXE6Zu6QjY3BKz3Tdwy2wa55SEP5Uw6kxvjAm\n8HEarr4m6ZT7CZk9d1b2sjyG7efmPXtuy2hRqznCFoDlXy9eboy0RdDk6uAGWscF\nbxrHO1XEVAZfnp414lqdmYDRegnJZt0sg+30VywR5VBGxcaQvK1npVC+bYP9pRJZ\nUz5vS1UYOKpGjk0BOKwU==',
  '8U2khEueLqy3WZtwVrJU0siOA+Ma2KnEBcDQxk2yRoFPx5EHJCc4rB/DnopCsXFX\nv3q47rP7w6eB4R4tItVHIrhZsF414F4MenkdPEFnr40qbsEIaGQdFOCICEkgqN5N\nCaCMO6yV3w/+vfHHf4h9KWBvd4yypNRoxKn8AhxKCtJ6/1gi5iB5BBTnNIe2q9t9\noXlpTtE/ew+69MLa1i/BY9vw9zqaYoFMMTkiBphXMU6IcEGOIZgQHJcjEMKpnbRD\nSBkkGTKO81VLVnPvoKVdExwLGDqxxmFKG1bZqcEhdzvIlFBlDUy+juyDxcbuHKUe\ntdMDAMD90amLhNDrZtW8IRUTSKElbhQniEczXBFQkoDs4B2ALHXWvA19Ni7m/6JR\ndDcJRx0RlDpAIl9xkPJt==',
  'mCHS8ESwvDDkUxdvZ/zuJvXP4Q7gKK+gAJWXJpMgVReNkoN4HYqBb7dFdMzbTDEr\nAbkOHFZorg8YmiNENJA4j7kwM94h+N39hfRKk74C0lkRStlYaPVjp4NYDY+Xj9FG\nIh/J7blc+KP7aTZjPBckkhAPMgpBwkn9uZaku6c+ap6G6nYe4Fw9BATEyI9SCw0D\n6mzgoFMSL/lsg+CClw5j5bPDw55UUe9zNuIj1GwpGLs2jOKD+l7cfa9YQkCQmK+w\ncksZcKSsVf3hpMzGUo7+3nRXYXgQNUjdPtq3rlY8ZKjvnxaCQe4t2+pEyJOKcFZE\nQFxwfC3J05hC/jHzxysGkk1rRhdXzJmCJYiHWV7FprxJcqlmn1JOjsA2wxVCLwut\nMW6i8edH/euSgYXeVxi+==',
];

// JWT signatures (RFC 7515: base64url, 43 characters for HS256).
const JWT_SIG = [
  'XDpbdZ7QP40q8RcYYoKTrwhiFjRvrZVNlsI0bohNqy4',
  'Y4Vl3g5xDmoG4b4X862FpHt9mMjK3RttllbwXPCzf31',
  'KqXwcBn3LBcDabW_ZTXFk_aS872xNkr9V-8gaFac5WL',
  'x_VLQfs-nhj6d5WkW7gCAnEvMAJHud0y7N9NeXibdec',
];

/** jwt.io's example header and payload (RFC 7519 section 3.1 uses the same shape). */
const JWT_HEAD = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9';
const JWT_BODY = 'eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ';

const PEM_TYPES = ['PRIVATE KEY', 'RSA PRIVATE KEY', 'EC PRIVATE KEY', 'OPENSSH PRIVATE KEY'];

const key = (value: string, text: string, source: string): CorpusCase => ({
  kind: 'api_key',
  value,
  text,
  source,
});

export const SECRET_CASES: readonly CorpusCase[] = [
  ...OPENAI.map((v) => key(v, `OPENAI_API_KEY=${v}`, 'OpenAI')),
  ...ANTHROPIC.map((v) => key(v, `export ANTHROPIC_API_KEY="${v}"`, 'Anthropic')),
  ...GROQ.map((v) => key(v, `client = Groq(api_key='${v}')`, 'Groq')),
  ...[...AWS, 'AKIAIOSFODNN7EXAMPLE'].map((v) => key(v, `aws_access_key_id = ${v}`, 'AWS IAM')),
  ...[...GCP, 'AIzaSyDaGmWKa4JsXZ-HjGw7ISLn_3namBGewQe'].map((v) =>
    key(v, `https://maps.example.com/api?key=${v}&q=1`, 'Google Cloud'),
  ),
  ...GITHUB.map((v) => key(v, `git clone https://${v}@github.example/org/repo`, 'GitHub')),
  ...SLACK.map((v) => key(v, `SLACK_BOT_TOKEN: ${v}`, 'Slack')),
  ...STRIPE.map((v) => key(v, `stripe.api_key = "${v}"`, 'Stripe')),
  ...AZURE.map((value) => ({
    kind: 'secret' as const,
    value,
    text: `curl -H "api-key: ${value}" https://contoso.openai.azure.example/`,
    source: 'Azure OpenAI: the key has no prefix, so the header name finds it',
  })),
  ...AZURE_STORAGE.map((value) => ({
    kind: 'secret' as const,
    value,
    text: `DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=${value};EndpointSuffix=core`,
    source: 'Azure Storage connection string',
  })),
  ...HEX32.map((value) => ({
    kind: 'secret' as const,
    value,
    text: `config: { secret: "${value}" }`,
    source: 'generic',
  })),
  ...B64.map((value) => ({
    kind: 'secret' as const,
    value,
    text: `Authorization: Bearer ${value}`,
    source: 'RFC 6750 bearer token',
  })),
  ...JWT_SIG.map((signature) => {
    const value = `${JWT_HEAD}.${JWT_BODY}.${signature}`;
    return { kind: 'jwt' as const, value, text: `id_token=${value}`, source: 'RFC 7519' };
  }),
  ...PEM_BODY.map((body, index) => {
    const type = PEM_TYPES[index % PEM_TYPES.length] ?? 'PRIVATE KEY';
    const value = `-----BEGIN ${type}-----\n${body}\n-----END ${type}-----`;
    return {
      kind: 'private_key' as const,
      value,
      text: `key.pem:\n${value}\n`,
      source: 'RFC 7468',
    };
  }),
];
