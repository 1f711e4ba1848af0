// The workers' own log lines in the test stack: wrangler dev writes them (with its own output) to one file, which
// the global setup names. Our lines are JSON (lib/log.ts); this reads those that mention a given string.
import fs from 'node:fs';
import { inject } from 'vitest';

// biome-ignore lint/suspicious/noControlCharactersInRegex: the escape that starts a colour code
const ANSI = /\x1b\[[0-9;]*m/g;

export type LogLine = Record<string, unknown> & { level: string; msg: string };

/** Every JSON log line of every worker that contains `needle` (e.g. a trace id), oldest first. */
export function workerLogLines(needle: string): LogLine[] {
  const text = fs.readFileSync(inject('workerLog'), 'utf8');
  const lines: LogLine[] = [];
  for (const raw of text.split('\n')) {
    if (!raw.includes(needle)) continue;
    // wrangler colours warnings and errors: the codes around the JSON go, so those lines are read too.
    const plain = raw.replace(ANSI, '');
    const start = plain.indexOf('{');
    if (start < 0) continue;
    try {
      const line = JSON.parse(plain.slice(start)) as LogLine;
      if (typeof line.msg === 'string') lines.push(line);
    } catch {
      // wrangler's own output: not one of ours
    }
  }
  return lines;
}
