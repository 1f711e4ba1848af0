// dev/fault-proxy.test.ts — the chaos suite's TCP proxy relays both ways, in order, and holds each chunk for the
// delay set (a lower bound: it must never deliver early), and delivers at once again when the delay is 0.
// Run: npx vitest run --project tools dev/fault-proxy.test.ts
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FaultProxy, startFaultProxy } from './fault-proxy';

let echo: net.Server;
let proxy: FaultProxy;

beforeAll(async () => {
  echo = net.createServer((s) => s.pipe(s));
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', r));
  proxy = await startFaultProxy({ port: 0, targetPort: (echo.address() as net.AddressInfo).port });
});
afterAll(async () => {
  await proxy.close();
  await new Promise((r) => echo.close(r));
});

/** Sends each of `parts` through the proxy and resolves with everything echoed back and the time it took. */
function roundTrip(parts: string[]): Promise<{ text: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const want = parts.join('').length;
    let text = '';
    const s = net.connect({ host: '127.0.0.1', port: proxy.port }, () => {
      for (const p of parts) s.write(p);
    });
    s.on('data', (d) => {
      text += d.toString();
      if (text.length >= want) {
        s.end();
        resolve({ text, ms: performance.now() - started });
      }
    });
    s.on('error', reject);
  });
}

describe('fault proxy', () => {
  it('relays in order with no delay', async () => {
    proxy.setDelay(0);
    const parts = Array.from({ length: 50 }, (_, i) => `part-${i};`);
    expect((await roundTrip(parts)).text).toBe(parts.join(''));
  });

  it('holds every chunk for the delay in each direction, in order', async () => {
    proxy.setDelay(150);
    const parts = Array.from({ length: 20 }, (_, i) => `chunk-${i};`);
    const r = await roundTrip(parts);
    expect(r.text).toBe(parts.join(''));
    expect(r.ms).toBeGreaterThanOrEqual(295); // there and back: never early
    proxy.setDelay(0);
  });

  it('refuses a delay out of range and keeps the one it had', () => {
    proxy.setDelay(10);
    expect(() => proxy.setDelay(-1)).toThrow(/0\.\.60000/);
    expect(() => proxy.setDelay(1.5)).toThrow(/0\.\.60000/);
    expect(proxy.delay()).toBe(10);
    proxy.setDelay(0);
  });
});
