// Polling for the dev tools' tests: until a check answers something truthy, bounded in time.

/** What `waitFor` resolves to: the check's answer, never a falsy one. */
export type Truthy<T> = Exclude<T, false | null | undefined | 0 | ''>;

/** Polls `fn` every `everyMs` until it returns a truthy value, or fails naming `what` after `ms`. */
export async function waitFor<T>(fn: () => T | Promise<T>, what: string, ms = 5000, everyMs = 10): Promise<Truthy<T>> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v as Truthy<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
