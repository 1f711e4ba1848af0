import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, configOf, intVar, optionalText, textVar } from './config';

const Schema = z.object({
  TIMEOUT_MS: intVar(300, { min: 1, max: 60_000 }),
  MODE: textVar('auto'),
  SECRET: optionalText(),
});

describe('configOf', () => {
  it('applies defaults for unset and blank vars and coerces numbers', () => {
    expect(configOf({}, Schema, 'w')).toEqual({ TIMEOUT_MS: 300, MODE: 'auto', SECRET: undefined });
    expect(configOf({ TIMEOUT_MS: ' ', MODE: '', SECRET: '' }, Schema, 'w')).toEqual({
      TIMEOUT_MS: 300,
      MODE: 'auto',
      SECRET: undefined,
    });
    expect(configOf({ TIMEOUT_MS: '1500', MODE: 'upstash', SECRET: 's' }, Schema, 'w')).toEqual({
      TIMEOUT_MS: 1500,
      MODE: 'upstash',
      SECRET: 's',
    });
  });

  it('names every bad variable, its reason and the value it had', () => {
    const env = { TIMEOUT_MS: 'soon', OTHER: 1 };
    const strict = Schema.extend({ REQUIRED_URL: z.string().url() });
    expect(() => configOf(env, strict, 'storefront-test')).toThrow(ConfigError);
    try {
      configOf(env, strict, 'storefront-test');
    } catch (err) {
      const message = (err as Error).message;
      expect(message).toContain('storefront-test');
      expect(message).toMatch(/TIMEOUT_MS: .*\(got "soon"\)/);
      expect(message).toMatch(/REQUIRED_URL: .*\(it is not set\)/);
    }
  });

  it('refuses numbers out of range, including 0 where the minimum is 1', () => {
    expect(() => configOf({ TIMEOUT_MS: '0' }, Schema, 'w')).toThrow(/TIMEOUT_MS/);
    expect(() => configOf({ TIMEOUT_MS: '60001' }, Schema, 'w')).toThrow(/TIMEOUT_MS/);
  });

  it('validates an env object once and returns the same value after', () => {
    const env = { TIMEOUT_MS: '10' };
    const first = configOf(env, Schema, 'w');
    env.TIMEOUT_MS = 'changed';
    expect(configOf(env, Schema, 'w')).toBe(first);
  });
});
