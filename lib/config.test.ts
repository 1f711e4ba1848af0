import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, configOf, enumVar, intVar, listVar, optionalText, rateVar, secret, textVar } from './config';

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

describe('enumVar, listVar, rateVar, optionalText with a check', () => {
  const Extra = z.object({
    MODE: enumVar(['auto', 'upstash', 'off'], 'auto'),
    ORIGINS: listVar(z.url()),
    RATE: rateVar('120/60'),
    URL: optionalText(z.url()),
  });

  it('reads defaults for unset and blank vars, and parses set ones', () => {
    expect(configOf({}, Extra, 'w')).toEqual({
      MODE: 'auto',
      ORIGINS: [],
      RATE: { limit: 120, windowSeconds: 60, burst: 120 },
      URL: undefined,
    });
    expect(configOf({ MODE: ' ', ORIGINS: '', RATE: '', URL: '' }, Extra, 'w').RATE).toEqual({
      limit: 120,
      windowSeconds: 60,
      burst: 120,
    });
    // The burst form: the bucket holds `burst` tokens, `count` of them come back per `seconds`.
    expect(configOf({ RATE: ' 60/60  burst 10 ' }, Extra, 'w').RATE).toEqual({
      limit: 60,
      windowSeconds: 60,
      burst: 10,
    });
    expect(
      configOf({ MODE: 'off', ORIGINS: ' https://a.test , ,http://b.test:3000', RATE: ' 5 / 1 ' }, Extra, 'w'),
    ).toMatchObject({
      MODE: 'off',
      ORIGINS: ['https://a.test', 'http://b.test:3000'],
      RATE: { limit: 5, windowSeconds: 1, burst: 5 },
    });
  });

  it('names each bad value: an unknown choice, a bad list item, a malformed or zero rate', () => {
    const problems = (env: object) => {
      try {
        configOf(env, Extra, 'w');
      } catch (err) {
        expect(err).toBeInstanceOf(ConfigError);
        return (err as ConfigError).problems;
      }
      throw new Error('expected a ConfigError');
    };
    expect(problems({ MODE: 'redis' })).toEqual([expect.stringMatching(/^MODE: .*\(got "redis"\)$/)]);
    expect(problems({ ORIGINS: 'https://a.test,not a url' })).toEqual([expect.stringMatching(/^ORIGINS\.1: /)]);
    for (const rate of [
      '120',
      '0/60',
      '120/0',
      '1.5/60',
      'ten/60',
      '-1/60',
      '5/60 burst 0',
      '5/60 burst',
      '5/60 b 2',
    ]) {
      expect(problems({ RATE: rate })).toEqual([expect.stringMatching(/^RATE: expected "<count>\/<seconds>"/)]);
    }
    expect(problems({ URL: 'ftp//x' })).toEqual([expect.stringMatching(/^URL: /)]);
  });
});

describe('secrets in a ConfigError', () => {
  it('names a bad secret without showing its value', () => {
    const Secrets = z.object({ API_KEY: secret(z.string().regex(/^sk_/)), PLAIN: intVar(1) });
    try {
      configOf({ API_KEY: 'pk_live_very_secret', PLAIN: 'x' }, Secrets, 'w');
      expect.unreachable();
    } catch (err) {
      const message = (err as Error).message;
      expect(message).toMatch(/API_KEY: .*\(a secret: value not shown\)/);
      expect(message).not.toContain('pk_live_very_secret');
      expect(message).toMatch(/PLAIN: .*\(got "x"\)/);
    }
    expect(() => configOf({}, Secrets, 'w')).toThrow(/API_KEY: .*\(it is not set\)/);
  });
});
