// The lines `npm run deploy` prints: the plan (what its dry run shows) and the secret report (what it refuses
// on). Text only, so the flow in run.ts reads as steps.

import type { WorkerConfig } from './config';
import type { Resources, SecretFinding } from './plan';
import { isRequired, type SecretSpec } from './secrets';

const names = (specs: SecretSpec[]) => specs.map((s) => s.name).join(', ');

/** The plan: resources to look for, secrets per worker, deploy order. */
export function planLines(
  workers: WorkerConfig[],
  resources: Resources,
  order: string[],
  secrets: Record<string, SecretSpec[]>,
) {
  const lines = [`deploy order: ${order.join(' → ')}`];
  for (const kv of resources.kv) {
    const users = kv.users.map((u) => u.worker).join(', ');
    const id = kv.id ? `id ${kv.id}` : kv.placeholder ? `placeholder id "${kv.placeholder}"` : 'no id';
    lines.push(`KV namespace "${kv.title}" (${kv.binding} of ${users}): ${id}; found by id or title, else created`);
  }
  for (const q of resources.queues) {
    const roles = [
      q.producers.length ? `sent to by ${q.producers.join(', ')}` : '',
      q.consumers.length ? `consumed by ${q.consumers.join(', ')}` : '',
      q.deadLetterFor.length ? `dead letters of ${q.deadLetterFor.join(', ')}` : '',
    ].filter(Boolean);
    lines.push(`queue "${q.name}" (${roles.join('; ')}): created if missing`);
  }
  for (const b of resources.buckets) lines.push(`R2 bucket "${b.name}" (${b.users.join(', ')}): created if missing`);
  for (const d of resources.datasets) lines.push(`Analytics Engine dataset "${d}": created by its first write`);
  for (const name of order) {
    const w = workers.find((x) => x.name === name)!;
    const specs = secrets[name] ?? [];
    const required = specs.filter((s) => isRequired(s, w.vars));
    const optional = specs.filter((s) => !isRequired(s, w.vars));
    const parts = [required.length ? names(required) : 'none', optional.length ? `optional ${names(optional)}` : ''];
    lines.push(`secrets of ${name}: ${parts.filter(Boolean).join('; ')}`);
  }
  return lines;
}

/** One line per worker: what is set and what is missing. */
export function secretLines(findings: SecretFinding[]): string[] {
  return findings.map((f) => {
    const problems = [
      f.notDeployed ? 'not on the account yet' : '',
      f.missingRequired.length ? `missing ${names(f.missingRequired)}` : '',
      f.missingOptional.length ? `optional not set: ${names(f.missingOptional)}` : '',
      f.devOnlyPresent.length ? `set but local-only: ${f.devOnlyPresent.join(', ')}` : '',
    ].filter(Boolean);
    return `secrets of ${f.worker}: ${problems.length ? problems.join('; ') : 'all set'}`;
  });
}

/**
 * Why deploy refuses, with the commands that fix it; empty when the secrets allow a deploy.
 * Missing optional secrets refuse too unless `allowMissingOptional`: leaving one out is a decision to state.
 */
export function secretRefusal(findings: SecretFinding[], allowMissingOptional: boolean): string[] {
  const lines: string[] = [];
  const put = (f: SecretFinding, s: SecretSpec) =>
    `    npx wrangler secret put ${s.name} -c ${f.configPath}   # ${s.about}`;
  for (const f of findings) {
    const toPut = [...f.missingRequired, ...(allowMissingOptional ? [] : f.missingOptional)];
    if (!toPut.length && !f.devOnlyPresent.length) continue;
    lines.push(`  ${f.worker}${f.notDeployed ? ' (not on the account yet: `secret put` creates it)' : ''}:`);
    for (const s of f.missingRequired) lines.push(put(f, s));
    if (!allowMissingOptional) for (const s of f.missingOptional) lines.push(`${put(f, s)} (optional)`);
    for (const name of f.devOnlyPresent) {
      lines.push(`    npx wrangler secret delete ${name} -c ${f.configPath}   # local stack only`);
    }
  }
  if (!lines.length) return [];
  const optional = findings.some((f) => f.missingOptional.length) && !allowMissingOptional;
  return [
    'secrets are missing or wrong; nothing was created or deployed. Fix them, then run npm run deploy again:',
    ...lines,
    ...(optional ? ['  (to deploy without the optional ones: npm run deploy -- --allow-missing-optional)'] : []),
  ];
}
