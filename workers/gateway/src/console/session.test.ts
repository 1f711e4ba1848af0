// The console's in-process API calls end at their deadline even though the in-process fetch ignores the request's
// signal (hono's app.fetch does).
import { describe, expect, it } from 'vitest';
import { apiOf, type ConsoleContext, untilAborted } from './session';

describe('untilAborted', () => {
  it('answers with the value, or rejects with the abort reason if the signal fires first', async () => {
    expect(await untilAborted(Promise.resolve(7), new AbortController().signal)).toBe(7);
    const never = new Promise<number>(() => {});
    await expect(untilAborted(never, AbortSignal.timeout(20))).rejects.toMatchObject({ name: 'TimeoutError' });
    const aborted = AbortSignal.abort(new Error('gone'));
    await expect(untilAborted(never, aborted)).rejects.toThrow('gone');
  });
});

describe('apiOf', () => {
  it('gives up on an in-process call that never answers at its deadline', async () => {
    let seen: Request | undefined;
    const vars: Record<string, unknown> = {
      requestId: 'req-1',
      appFetch: (request: Request) => {
        seen = request;
        return new Promise<Response>(() => {}); // hangs, and ignores request.signal like app.fetch
      },
    };
    const c = {
      env: {},
      get executionCtx(): never {
        throw new Error('no execution context');
      },
      req: { url: 'https://shop.example/admin/ops', header: () => undefined },
      get: (k: string) => vars[k],
    } as unknown as ConsoleContext;
    const started = Date.now();
    await expect(apiOf(c, undefined, 100).GET('/v1/admin/ops/slo')).rejects.toMatchObject({ name: 'TimeoutError' });
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(seen?.url).toBe('https://shop.example/v1/admin/ops/slo');
  });
});
