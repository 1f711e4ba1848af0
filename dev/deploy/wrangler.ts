// The account, as `npm run deploy` sees it: the project's own wrangler run as a child process (every run with
// a timeout) and its output read back. The parsers follow wrangler 4's output: `kv namespace list` and
// `secret list` print JSON; `queues info` and `r2 bucket list` print labelled lines.
import { spawn } from 'node:child_process';

export interface RunResult {
  code: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}
/** Runs wrangler with these arguments; resolves when it exits or after `timeoutMs` (then it is killed). */
export type Runner = (args: string[], timeoutMs: number) => Promise<RunResult>;

const KILL_GRACE_MS = 5_000;

/** A Runner for the wrangler executable `bin`, run in `cwd` with no terminal (so it never prompts). */
export function wranglerRunner(bin: string, cwd: string, env: Record<string, string> = {}): Runner {
  return (args, timeoutMs) =>
    new Promise((resolve, reject) => {
      const child = spawn(bin, args, {
        cwd,
        // Its own process group, so a timeout also ends what wrangler started (esbuild).
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1', FORCE_COLOR: '0', ...env },
      });
      let stdout = '';
      let stderr = '';
      let timedOut = false;
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      const signal = (sig: NodeJS.Signals) => {
        try {
          process.kill(-child.pid!, sig);
        } catch {
          // already gone
        }
      };
      let hardKill: NodeJS.Timeout | undefined;
      const timer = setTimeout(() => {
        timedOut = true;
        signal('SIGTERM');
        hardKill = setTimeout(() => signal('SIGKILL'), KILL_GRACE_MS);
      }, timeoutMs);
      child.on('error', (err) => {
        clearTimeout(timer);
        reject(new Error(`cannot run ${bin}: ${err.message}`));
      });
      child.on('close', (code) => {
        clearTimeout(timer);
        clearTimeout(hardKill);
        resolve({ code, stdout, stderr, timedOut });
      });
    });
}

/** A wrangler run that failed: the command, how, and the end of what it printed. */
export class WranglerError extends Error {
  constructor(args: string[], result: RunResult, timeoutMs: number) {
    const how = result.timedOut ? `timed out after ${timeoutMs / 1000} s` : `failed (exit ${result.code})`;
    super(`wrangler ${args.join(' ')} ${how}\n${tail(`${result.stdout}\n${result.stderr}`)}`);
    this.name = 'WranglerError';
  }
}

/** The last lines of some output, indented, for an error message. */
export function tail(output: string, lines = 15): string {
  const kept = output
    .split('\n')
    .map((l) => l.trimEnd())
    .filter(Boolean)
    .slice(-lines);
  return kept.map((l) => `    ${l}`).join('\n');
}

/** The JSON value printed in `stdout`, after any banner lines wrangler prints before it. */
export function parseJsonOutput(stdout: string): unknown {
  const start = stdout.search(/^[[{]/m);
  if (start < 0) throw new Error(`expected JSON from wrangler, got:\n${tail(stdout)}`);
  return JSON.parse(stdout.slice(start));
}

export function parseKvList(stdout: string): { id: string; title: string }[] {
  const list = parseJsonOutput(stdout);
  if (!Array.isArray(list)) throw new Error('wrangler kv namespace list did not print a list');
  return list.map((n) => ({ id: String(n.id), title: String(n.title) }));
}

export function parseSecretList(stdout: string): string[] {
  const list = parseJsonOutput(stdout);
  if (!Array.isArray(list)) throw new Error('wrangler secret list did not print a list');
  return list.map((s) => String(s.name));
}

/** Bucket names from `wrangler r2 bucket list` ("name:  <bucket>" lines). */
export function parseR2List(stdout: string): string[] {
  return [...stdout.matchAll(/^name:\s+(\S+)\s*$/gm)].map((m) => m[1]!);
}

export interface Timeouts {
  /** A listing or creation call. */
  call: number;
  /** One `wrangler deploy`. */
  deploy: number;
  /** One `wrangler deploy --dry-run` (a bundle, no account). */
  bundle: number;
}
export const defaultTimeouts: Timeouts = { call: 60_000, deploy: 300_000, bundle: 180_000 };

export interface Deployed {
  versionId?: string;
  url?: string;
}

/** The account operations `npm run deploy` uses, over one Runner. */
export function wranglerAccount(run: Runner, timeouts: Timeouts = defaultTimeouts) {
  const call = async (args: string[], timeoutMs = timeouts.call) => {
    const result = await run(args, timeoutMs);
    return { result, fail: () => new WranglerError(args, result, timeoutMs) };
  };
  const ok = async (args: string[], timeoutMs = timeouts.call) => {
    const { result, fail } = await call(args, timeoutMs);
    if (result.code !== 0 || result.timedOut) throw fail();
    return result.stdout;
  };
  return {
    listKvNamespaces: async () => parseKvList(await ok(['kv', 'namespace', 'list'])),
    createKvNamespace: async (title: string) => void (await ok(['kv', 'namespace', 'create', title])),
    /** `queues list` pages its table; `queues info` asks for one queue by name. */
    queueExists: async (name: string) => {
      const { result, fail } = await call(['queues', 'info', name]);
      const output = `${result.stdout}\n${result.stderr}`;
      if (result.code === 0 && output.includes(`Queue Name: ${name}\n`)) return true;
      if (!result.timedOut && output.includes(`Queue "${name}" does not exist`)) return false;
      throw fail();
    },
    createQueue: async (name: string) => void (await ok(['queues', 'create', name])),
    listR2Buckets: async () => parseR2List(await ok(['r2', 'bucket', 'list'])),
    createR2Bucket: async (name: string) => void (await ok(['r2', 'bucket', 'create', name])),
    /** The worker's secret names, or null when the worker is not on the account yet. */
    listSecrets: async (worker: { name: string; configPath: string }) => {
      const args = ['secret', 'list', '-c', worker.configPath, '--name', worker.name, '--format', 'json'];
      const { result, fail } = await call(args);
      if (result.code === 0 && !result.timedOut) return parseSecretList(result.stdout);
      const output = `${result.stdout}\n${result.stderr}`;
      if (!result.timedOut && output.includes(`Worker "${worker.name}" not found`)) return null;
      throw fail();
    },
    deploy: async (worker: { configPath: string }): Promise<Deployed> => {
      const stdout = await ok(['deploy', '-c', worker.configPath], timeouts.deploy);
      return {
        versionId: /Current Version ID: (\S+)/.exec(stdout)?.[1],
        url: /https:\/\/\S+\.workers\.dev\b/.exec(stdout)?.[0],
      };
    },
    /** Bundles the worker as a deploy would, uploading nothing; answers the upload size wrangler reports. */
    bundle: async (worker: { configPath: string }, outdir: string) => {
      const stdout = await ok(['deploy', '--dry-run', '-c', worker.configPath, '--outdir', outdir], timeouts.bundle);
      return /Total Upload: ([^\n]+)/.exec(stdout)?.[1]?.trim() ?? 'size not reported';
    },
  };
}
export type Account = ReturnType<typeof wranglerAccount>;
