// A bad var in the gateway, inside workerd: the request answers a generic 500 INTERNAL (no internals to the client)
// and the log names the variable; /health shows the gateway down while its database or token settings are bad.
import { createExecutionContext, env } from 'cloudflare:test';
import { exportJWK, generateKeyPair } from 'jose';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { app } from '../../workers/gateway/src/app';

const call = (path: string, vars: Record<string, unknown>) =>
  app.fetch(new Request(`https://storefront.test${path}`), { ...env, ...vars }, createExecutionContext());

// The other workers as healthy stand-ins, so that /health turns only on the gateway's own settings.
const ok = { status: 'ok', latencyMs: 1, required: true };
const answer = (checks: Record<string, typeof ok>) => async () => ({
  checks,
  breakers: [],
  isolate: 'stand-in',
  isolateStartedAt: new Date().toISOString(),
});
const healthyWorkers = {
  CATALOG: { health: answer({ postgresPrimary: ok, postgresReplica: ok }) },
  ADMIN: { health: answer({}) },
  CART: { health: answer({}) },
  CHECKOUT: { health: answer({}) },
  STOREFRONT: { health: answer({}) },
};

afterEach(() => {
  vi.restoreAllMocks();
});

describe('gateway configuration errors', () => {
  it('answers a bad var with 500 INTERNAL and logs a ConfigError naming it', async () => {
    const errors = vi.spyOn(console, 'error').mockImplementation(() => {});
    const res = await call('/v1/categories', { RATE_LIMIT_SHARDS: 'many' });
    expect(res.status).toBe(500);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('INTERNAL');
    expect(body.error.message).not.toContain('RATE_LIMIT_SHARDS');
    const logged = errors.mock.calls.map((args) => String(args[0])).join('\n');
    expect(logged).toContain('ConfigError: Invalid configuration of storefront-gateway');
    expect(logged).toMatch(/RATE_LIMIT_SHARDS: [^;]*\(got \\"many\\"\)/);
  });

  it('shows the gateway down on /health without its database and token secrets, and up with them', async () => {
    const warnings = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const without = await call('/health', healthyWorkers);
    expect(without.status).toBe(503);
    const down = (await without.json()) as { failing: string[]; checks: Record<string, { status: string }> };
    expect(down.checks.gatewaySettings!.status).toBe('down');
    expect(down.failing).toEqual(['gatewaySettings']);
    expect(down.checks.catalog!.status).toBe('ok');
    expect(warnings.mock.calls.map((args) => String(args[0])).join('\n')).toMatch(
      /"check":"gatewaySettings".*DATABASE_URL: .*it is not set/,
    );

    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    const withSecrets = await call('/health', {
      ...healthyWorkers,
      DATABASE_URL: 'postgres://storefront@127.0.0.1:1/storefront',
      JWT_SIGNING_KEY: JSON.stringify({ ...(await exportJWK(privateKey)), kid: 'health-test' }),
    });
    expect(withSecrets.status).toBe(200);
    const up = (await withSecrets.json()) as { checks: { gatewaySettings: { status: string } } };
    expect(up.checks.gatewaySettings.status).toBe('ok');
  });
});
