// The local stack refuses to start on a busy port with a message naming it, quickly and without leaving
// anything running.
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { freePorts } from './ports';
import { defaultPorts, type StackPorts, startStack } from './stack';

it.each(['gateway', 'inspector', 'neonProxy'] as const)('names the busy %s port instead of hanging', async (which) => {
  const blocker = net.createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  const busy = (blocker.address() as net.AddressInfo).port;
  const dataRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'stack-busy-'));
  const started = Date.now();
  try {
    const names = Object.keys(defaultPorts) as (keyof StackPorts)[];
    const free = await freePorts(names.length);
    const ports = { ...Object.fromEntries(names.map((name, i) => [name, free[i]])), [which]: busy };
    await expect(startStack({ dataRoot, ports })).rejects.toThrow(new RegExp(`port ${busy} .*is busy`));
    expect(Date.now() - started).toBeLessThan(2000);
    expect(fs.existsSync(path.join(dataRoot, 'postgres'))).toBe(false);
  } finally {
    blocker.close();
    fs.rmSync(dataRoot, { recursive: true, force: true });
  }
});

it('generates the same seed catalog every time, even twice in one process', async () => {
  const { seedData } = await import('../db/seed');
  const a = seedData();
  const b = seedData();
  expect(b.products.map((p) => [p.id, p.slug, p.variants.map((v) => v.sku)])).toEqual(
    a.products.map((p) => [p.id, p.slug, p.variants.map((v) => v.sku)]),
  );
});
