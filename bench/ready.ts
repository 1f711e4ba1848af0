// A benchmark's stack started in a child process (bench/stack-serve.ts, bench/compare-serve.ts) prints one
// `READY <text>` line once it is up: the text, read line by line from its stdout. Other lines are passed through to
// this process's output; an exit before the line, or (if given) `timeoutMs` without it, is an error naming `what`.
import type { ChildProcess } from 'node:child_process';

export function readyFrom(child: ChildProcess, what: string, timeoutMs?: number): Promise<string> {
  return new Promise<string>((resolve, reject) => {
    const timer =
      timeoutMs === undefined
        ? undefined
        : setTimeout(() => reject(new Error(`${what}: the stack did not start in ${timeoutMs / 1000} s`)), timeoutMs);
    let buffered = '';
    child.stdout!.on('data', (d: Buffer) => {
      buffered += d.toString();
      for (let nl = buffered.indexOf('\n'); nl !== -1; nl = buffered.indexOf('\n')) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (line.startsWith('READY ')) {
          clearTimeout(timer);
          resolve(line.slice('READY '.length));
        } else if (line) console.log(line);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what}: the stack's process exited (${code}) before it was up`));
    });
  });
}
