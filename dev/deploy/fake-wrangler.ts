// A stand-in for `wrangler` in the deploy tests: answers the commands `npm run deploy` runs as wrangler 4
// prints them, from an account kept in a JSON file, and logs every call. Like the platform, `deploy` fails
// when a service binding's target worker, a KV id or a queue is missing. Used in-process (`fakeRunner`) and,
// compiled to JavaScript by the tests, as an executable, so the real child-process runner is tested too.
// Imports nothing but node builtins (and types), so that the compiled copy runs on its own.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Runner } from './wrangler';

export interface FakeAccount {
  kv: { id: string; title: string }[];
  queues: string[];
  buckets: string[];
  /** Workers on the account (after `secret put` or a deploy) with their secret names. */
  workers: Record<string, { secrets: string[]; deployed?: boolean }>;
  /** Workers whose deploy fails with an API error. */
  failDeploy?: string[];
  /** Commands (prefixes, e.g. "queues info") that never answer. */
  hang?: string[];
  /** Every command run, arguments joined by spaces. */
  calls?: string[];
}

const BANNER = '\n ⛅️ wrangler 4.164.0 (fake)\n───────────────────\n';
const hex = (bytes: number) => randomBytes(bytes).toString('hex');
/** The values of `key = "value"` lines in a config (enough for this project's configs). */
const values = (text: string, key: string) =>
  [...text.matchAll(new RegExp(`^\\s*${key}\\s*=\\s*"([^"]*)"`, 'gm'))].map((m) => m[1]!);

class Failure extends Error {}

interface Call {
  args: string[];
  command: string;
  state: FakeAccount;
  save: () => void;
  log: (text: string) => void;
  flag: (name: string) => string;
  cwd: string;
}

/** What wrangler would print for `args` (run in `cwd`), with the account in `stateFile` updated. */
export function answer(args: string[], stateFile: string, cwd: string) {
  const state: FakeAccount = JSON.parse(fs.readFileSync(stateFile, 'utf8'));
  const command = args.join(' ');
  state.calls = [...(state.calls ?? []), command];
  const save = () => fs.writeFileSync(stateFile, JSON.stringify(state, null, 2));
  save();
  if ((state.hang ?? []).some((prefix) => command.startsWith(prefix))) return { hang: true as const };
  let out = '';
  const log = (text: string) => {
    out += `${text}\n`;
  };
  const flag = (name: string) => args[args.indexOf(name) + 1] ?? '';
  try {
    respond({ args, command, state, save, log, flag, cwd });
    return { code: 0, stdout: out, stderr: '' };
  } catch (err) {
    if (!(err instanceof Failure)) throw err;
    return { code: 1, stdout: out, stderr: `\n✘ [ERROR] ${err.message}\n\n` };
  }
}

function respond(call: Call) {
  const { args, command, state, save, log, flag } = call;
  const last = args.at(-1)!;
  if (command === 'kv namespace list') return log(JSON.stringify(state.kv, null, '  '));
  if (args[0] === 'secret' && args[1] === 'list') {
    const name = flag('--name');
    const worker = state.workers[name];
    if (!worker) throw new Failure(`Worker "${name}" not found.\n\nIf this is a new Worker, run \`wrangler deploy\``);
    return log(JSON.stringify(worker.secrets.map((s) => ({ name: s, type: 'secret_text' }))));
  }
  log(BANNER);
  if (command.startsWith('kv namespace create ')) {
    log(`Resource location: remote\n🌀 Creating namespace with title "${last}"`);
    if (state.kv.some((n) => n.title === last)) {
      throw new Failure(`A KV namespace with the title "${last}" already exists.`);
    }
    const id = hex(16);
    state.kv.push({ id, title: last });
    save();
    return log(
      `✨ Success!\nAdd the following to your configuration file:\n[[kv_namespaces]]\nbinding = "KV"\nid = "${id}"`,
    );
  }
  if (command.startsWith('queues info ')) {
    if (!state.queues.includes(last)) throw new Failure(`Queue "${last}" does not exist. To create it, run: …`);
    return log(`Queue Name: ${last}\nQueue ID: ${hex(16)}\nCreated On: 2026-01-01\nNumber of Producers: 0`);
  }
  if (command.startsWith('queues create ')) {
    log(`🌀 Creating queue '${last}'`);
    if (state.queues.includes(last)) throw new Failure(`A queue with name '${last}' already exists. [code: 11009]`);
    state.queues.push(last);
    save();
    return log(`✅ Created queue '${last}'`);
  }
  if (command === 'r2 bucket list') {
    const listed = state.buckets.map((b) => `name:           ${b}\ncreation_date:  2026-01-01`);
    return log(['Listing buckets...', ...listed].join('\n\n'));
  }
  if (command.startsWith('r2 bucket create ')) {
    state.buckets.push(last);
    save();
    return log(`Creating bucket '${last}'...\n✅ Created bucket '${last}' with default storage class of Standard.`);
  }
  if (args[0] === 'deploy') return deployWorker(call);
  throw new Failure(`the fake wrangler does not know "${command}"`);
}

function deployWorker({ args, state, save, log, flag, cwd }: Call) {
  const config = fs.readFileSync(path.resolve(cwd, flag('-c')), 'utf8');
  const name = values(config, 'name')[0]!;
  log('Total Upload: 12.34 KiB / gzip: 3.21 KiB');
  if (args.includes('--dry-run')) return log('--dry-run: exiting now.');
  for (const target of values(config, 'service')) {
    if (!state.workers[target]?.deployed) {
      throw new Failure(`Could not resolve service binding. Target script '${target}' not found. [code: 10143]`);
    }
  }
  for (const id of values(config, 'id')) {
    if (!state.kv.some((n) => n.id === id)) throw new Failure(`KV namespace '${id}' is not valid. [code: 10041]`);
  }
  for (const queue of [...values(config, 'queue'), ...values(config, 'dead_letter_queue')]) {
    if (!state.queues.includes(queue)) throw new Failure(`Queue "${queue}" does not exist.`);
  }
  if (state.failDeploy?.includes(name)) throw new Failure('A request to the Cloudflare API failed. [code: 10000]');
  state.workers[name] = { secrets: state.workers[name]?.secrets ?? [], deployed: true };
  save();
  log(`Uploaded ${name} (1.00 sec)\nDeployed ${name} triggers (0.50 sec)\n  https://${name}.example.workers.dev`);
  log(`Current Version ID: ${hex(8)}`);
}

/** A Runner answering in-process, as the executable would (a hanging command waits out its timeout). */
export function fakeRunner(stateFile: string, cwd: string): Runner {
  return async (args, timeoutMs) => {
    const result = answer(args, stateFile, cwd);
    if ('hang' in result) {
      await new Promise((resolve) => setTimeout(resolve, timeoutMs));
      return { code: null, stdout: '', stderr: '', timedOut: true };
    }
    return { ...result, timedOut: false };
  };
}

// Run as the executable: answer, print, exit like wrangler.
if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const result = answer(process.argv.slice(2), process.env.FAKE_WRANGLER_STATE!, process.cwd());
  if ('hang' in result) setTimeout(() => {}, 3_600_000);
  else {
    process.stdout.write(result.stdout);
    process.stderr.write(result.stderr);
    process.exitCode = result.code;
  }
}
