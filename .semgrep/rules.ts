// semgrep's own test of .semgrep/rules.yml (`semgrep --test .semgrep`, run by make ga-gate):
// each `ruleid:` line must be found by that rule, each `ok:` line must not. Never imported; it
// lies outside the TypeScript project (tsconfig's include) and the linted paths.
import { exec, spawn } from 'node:child_process';

declare const request: { body: unknown; headers: Record<string, string> };
declare const log: { info(...args: unknown[]): void };

// ruleid: no-eval
eval('1 + 1');
// ruleid: no-eval
new Function('return 1');

// ruleid: no-shell-spawn
exec('ls');
// ruleid: no-shell-spawn
spawn('ls', ['-l'], { shell: true });
// ok: no-shell-spawn
spawn('ls', ['-l'], {});
// ok: no-shell-spawn
/a/.exec('a');

// ruleid: no-tls-verification-off
export const client = { host: 'example.invalid', rejectUnauthorized: false };
// ok: no-tls-verification-off
export const server = { requestCert: true, rejectUnauthorized: false };

// ruleid: no-request-body-cast
export const body = request.body as { model: string };

// ruleid: no-logging-content-or-credentials
log.info({ body: request.body }, 'request');
// ruleid: no-logging-content-or-credentials
log.info({ authorization: request.headers['authorization'] }, 'request');
// ruleid: no-logging-content-or-credentials
log.info({ messages: [] }, 'request');
// ok: no-logging-content-or-credentials
log.info({ status: 200 }, 'answered');

// (In a scan the rule applies to security paths only; --test ignores paths.)
// ruleid: no-math-random-in-security-code
export const nonce = Math.random();
