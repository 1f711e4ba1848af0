// AlertsDO inside workerd, with no webhook configured (ALERT_WEBHOOK_URL, a secret, is not set here): evaluations
// arriving at once still notify a rule's start once; a rule that clears is resolved once; a reminder follows the
// renotify interval; an unreadable signal keeps the state; and everything is recorded and reported, unsent.
import { env, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { AlertsDO } from '../../durable-objects/alerts/alerts.do';
import { alertsObjectConfig } from '../../durable-objects/alerts/config';
import { sendWebhook } from '../../durable-objects/alerts/webhook';
import type { AlertEvent, RuleReading } from '../../lib/contracts/alerts';

const MIN = 60_000;
const object = () => env.ALERTS.get(env.ALERTS.idFromName(`t-${crypto.randomUUID()}`));
const reading = (rule: string, value: number | null, threshold = 1): RuleReading => ({
  rule,
  summary: `${rule} summary`,
  value,
  threshold,
  firing: value !== null && value >= threshold,
  ...(value === null ? { detail: 'business unavailable: timeout' } : {}),
});

describe('AlertsDO', () => {
  it('fires a rule with forMinutes only once its condition held at every evaluation that long', async () => {
    const o = object();
    const t = Date.now();
    const down = (n: number): RuleReading => ({
      rule: 'signals-unavailable',
      summary: 'Alert signal sources unreadable',
      value: n,
      threshold: 1,
      firing: n >= 1,
      forMinutes: 5,
      ...(n ? { detail: 'business figures: TimeoutError' } : {}),
    });
    const at = (minute: number, n: number) => o.evaluate([down(n)], t + minute * MIN);
    // Unreadable for 4 minutes, then readable: nothing fires, and the count starts again.
    for (const m of [0, 1, 2, 3, 4]) expect((await at(m, 1)).notified).toEqual([]);
    expect((await o.report(50)).rules[0]!.detail).toBe('business figures: TimeoutError (held 4 of 5 min)');
    expect((await at(5, 0)).notified).toEqual([]);
    for (const m of [6, 7, 8, 9, 10]) expect((await at(m, 1)).notified).toEqual([]);
    // Held at every evaluation from minute 6 to 11: fires at 11, stays firing, resolves after the usual 3 clear.
    expect((await at(11, 1)).notified).toEqual([{ rule: 'signals-unavailable', kind: 'firing' }]);
    expect((await o.report(50)).rules[0]).toMatchObject({ status: 'firing', lastValue: 1 });
    expect((await at(12, 2)).notified).toEqual([]);
    expect((await at(13, 0)).notified).toEqual([]);
    expect((await at(14, 0)).notified).toEqual([]);
    expect((await at(15, 0)).notified).toEqual([{ rule: 'signals-unavailable', kind: 'resolved' }]);
  });

  it('notifies a start once when 12 evaluations arrive at once, then resolves once', async () => {
    const o = object();
    const t = Date.now();
    // The same time: overlapping runs of one cron minute (an older one arriving late would be ignored).
    const results = await Promise.all(
      Array.from({ length: 12 }, () => o.evaluate([reading('dead-letters', 2), reading('replica-lag', 0, 60)], t)),
    );
    expect(results.flatMap((r) => r.notified)).toEqual([{ rule: 'dead-letters', kind: 'firing' }]);
    const firing = await o.report(50);
    expect(firing.evaluations).toBe(12);
    expect(firing.webhook.configured).toBe(false);
    expect(firing.rules.map((r) => [r.rule, r.status, r.lastValue, r.threshold])).toEqual([
      ['dead-letters', 'firing', 2, 1],
      ['replica-lag', 'ok', 0, 60],
    ]);
    const started = firing.rules[0]!.since;
    expect(firing.history).toMatchObject([
      { rule: 'dead-letters', kind: 'firing', delivery: 'unsent', attempts: 0, value: 2, since: started },
    ]);

    // Unreadable: no resolve, no change.
    expect(
      (await o.evaluate([reading('dead-letters', null), reading('replica-lag', 0, 60)], t + MIN)).notified,
    ).toEqual([]);
    const kept = (await o.report(50)).rules[0]!;
    expect(kept).toMatchObject({ status: 'firing', since: started, lastValue: null });
    expect(kept.detail).toContain('unavailable');

    // Clear for ALERT_RESOLVE_AFTER_EVALUATIONS (3) evaluations in a row: resolved at the third.
    const clear = (minute: number) =>
      o.evaluate([reading('dead-letters', 0), reading('replica-lag', 0, 60)], t + minute * MIN);
    expect((await clear(2)).notified).toEqual([]);
    expect((await o.report(50)).rules[0]).toMatchObject({ status: 'firing', since: started, lastValue: 0 });
    expect((await clear(3)).notified).toEqual([]);
    expect((await clear(4)).notified).toEqual([{ rule: 'dead-letters', kind: 'resolved' }]);
    const after = await o.report(50);
    expect(after.rules[0]).toMatchObject({ status: 'ok', since: new Date(t + 4 * MIN).toISOString() });
    expect(after.history.map((e) => [e.kind, e.since])).toEqual([
      ['resolved', started],
      ['firing', started],
    ]);
  });

  it('reminds after ALERT_RENOTIFY_MINUTES (60) of firing, not before', async () => {
    const o = object();
    const t = Date.now();
    const kinds: string[] = [];
    for (const minute of [0, 1, 59, 60, 61, 119, 120]) {
      kinds.push(
        ...(await o.evaluate([reading('error-rate', 9, 5)], t + minute * MIN)).notified.map(
          (n) => `${minute}:${n.kind}`,
        ),
      );
    }
    expect(kinds).toEqual(['0:firing', '60:reminder', '120:reminder']);
  });

  it('keeps a rule that flaps around its threshold one alert (no resolve before 3 clear evaluations in a row)', async () => {
    const o = object();
    const t = Date.now();
    const kinds: string[] = [];
    for (const [minute, v] of [9, 0, 9, 0, 0, 9, 0, 0, 0].entries())
      kinds.push(...(await o.evaluate([reading('a', v)], t + minute * MIN)).notified.map((n) => `${minute}:${n.kind}`));
    expect(kinds).toEqual(['0:firing', '8:resolved']);
  });

  it('ignores an evaluation older than the last one applied (a late run never overwrites a newer one)', async () => {
    const o = object();
    const t = Date.now();
    expect((await o.evaluate([reading('a', 0)], t + MIN)).notified).toEqual([]);
    // Read a minute earlier, it arrives after: no firing from a stale reading, no state or count changed.
    expect((await o.evaluate([reading('a', 9)], t)).notified).toEqual([]);
    const r = await o.report(50);
    expect(r).toMatchObject({ evaluations: 1, evaluatedAt: new Date(t + MIN).toISOString(), history: [] });
    expect(r.rules[0]).toMatchObject({ status: 'ok', lastValue: 0 });
  });

  it('resolves a firing rule that is no longer read before forgetting it', async () => {
    const o = object();
    const t = Date.now();
    await o.evaluate([reading('gone', 3), reading('kept', 0)], t);
    const started = (await o.report(50)).rules[0]!.since;
    expect((await o.evaluate([reading('kept', 0)], t + MIN)).notified).toEqual([{ rule: 'gone', kind: 'resolved' }]);
    const r = await o.report(50);
    expect(r.rules.map((x) => x.rule)).toEqual(['kept']);
    expect(r.history[0]).toMatchObject({
      rule: 'gone',
      kind: 'resolved',
      since: started,
      value: null,
      detail: 'the rule is no longer evaluated',
    });
  });

  it('forgets a rule no longer read, and bounds the history it reports', async () => {
    const o = object();
    const t = Date.now();
    for (let i = 0; i < 6; i++) await o.evaluate([reading(`a${i}`, 1), reading('b', 0)], t + i * MIN);
    await o.evaluate([reading('a', 0)], t + 10 * MIN);
    const r = await o.report(2);
    expect(r.rules.map((x) => x.rule)).toEqual(['a']);
    expect(r.history).toHaveLength(2);
    expect(r.history[0]!.id).toBeGreaterThan(r.history[1]!.id);
  });
});

describe('AlertsDO config', () => {
  const problem = (env: object) => {
    try {
      alertsObjectConfig(env);
    } catch (err) {
      return String(err);
    }
    return 'no error';
  };

  it('reads the webhook URL as a secret: a bad one is named, its value (a credential) never shown', () => {
    const message = problem({
      ALERT_WEBHOOK_URL: 'ftp://hooks.example/T000/B000/XXXXtoken',
      ALERT_WEBHOOK_SECRET: 's',
    });
    expect(message).toContain('ALERT_WEBHOOK_URL');
    expect(message).not.toContain('XXXXtoken');
  });

  it('takes https receivers only, plain http on loopback alone (the local sink)', () => {
    const withUrl = (url: string) => problem({ ALERT_WEBHOOK_URL: url, ALERT_WEBHOOK_SECRET: 's' });
    expect(withUrl('https://hooks.slack.com/services/T0/B0/x')).toBe('no error');
    expect(withUrl('http://127.0.0.1:12112/hook')).toBe('no error');
    expect(withUrl('http://localhost:12112/hook')).toBe('no error');
    const plain = withUrl('http://hooks.example.com/alerts');
    expect(plain).toContain('ALERT_WEBHOOK_URL: must be an https URL (plain http only for 127.0.0.1 or localhost)');
    expect(plain).not.toContain('hooks.example.com');
  });
});

describe('the webhook call', () => {
  afterEach(() => vi.restoreAllMocks());

  it('fails on a redirect instead of following it (the signed alert stays with the configured receiver)', async () => {
    // A receiver answering 302 to a place that would take it: followed, the call would succeed there.
    const fetch = vi
      .spyOn(globalThis, 'fetch')
      .mockImplementation(async (_input, init) =>
        init?.redirect === 'manual'
          ? new Response(null, { status: 302, headers: { location: 'https://elsewhere.example/take' } })
          : new Response(null, { status: 204 }),
      );
    const c = alertsObjectConfig({ ALERT_WEBHOOK_URL: 'https://hooks.example/x', ALERT_WEBHOOK_SECRET: 's' });
    const event: AlertEvent = {
      id: 1,
      rule: 'r',
      kind: 'firing',
      at: new Date().toISOString(),
      since: null,
      summary: 's',
      value: 1,
      threshold: 1,
      detail: null,
      delivery: 'pending',
      attempts: 0,
      lastError: null,
    };
    await expect(sendWebhook(c, event)).rejects.toThrow('webhook answered 302 (a redirect)');
    expect(fetch).toHaveBeenCalledOnce();
  });
});

describe('AlertsDO delivery', () => {
  afterEach(() => vi.restoreAllMocks());
  /** This object's instance with a webhook configured (the test env has none). */
  const withWebhook = (instance: AlertsDO) => {
    (instance as unknown as { env: object }).env = {
      ...env,
      // Loopback, should a call ever escape the fetch mock.
      ALERT_WEBHOOK_URL: 'http://127.0.0.1:9/alerts',
      ALERT_WEBHOOK_SECRET: 's',
    };
  };

  it('gives up notifications older than ALERT_DELIVERY_MAX_AGE_MINUTES (60) and delivers the younger ones', async () => {
    const sent: string[] = [];
    vi.spyOn(globalThis, 'fetch').mockImplementation(async (_input, init) => {
      const { alert } = JSON.parse(String(init!.body)) as { alert: { rule: string; kind: string } };
      sent.push(`${alert.rule}:${alert.kind}`);
      return new Response(null, { status: 204 });
    });
    const o = object();
    const t = Date.now();
    await runInDurableObject(o, async (instance: AlertsDO) => {
      withWebhook(instance);
      // Recorded 61 minutes ago and never delivered (the alarm that would have sent it is run only now).
      await instance.evaluate([reading('old', 1), reading('new', 0)], t - 61 * MIN);
      await instance.evaluate([reading('old', 1), reading('new', 1)], t - MIN);
    });
    // The alarm set by the evaluations may already be running on its own: run it, or wait for it (at most 5 s).
    let history = (await o.report(50)).history;
    for (let i = 0; i < 100 && history.some((e) => e.delivery === 'pending'); i++) {
      await runDurableObjectAlarm(o);
      await new Promise((r) => setTimeout(r, 50));
      history = (await o.report(50)).history;
    }
    // Still firing an hour later, `old` is reminded: that reminder is young enough.
    expect(history.map((e) => [e.rule, e.kind, e.delivery])).toEqual([
      ['new', 'firing', 'sent'],
      ['old', 'reminder', 'sent'],
      ['old', 'firing', 'expired'],
    ]);
    expect(sent).toEqual(['old:reminder', 'new:firing']);
  });

  it('sets the alarm at an evaluation when a notification waits and no alarm is set', async () => {
    // Failing calls: should the alarm run at once, it sets itself again for the retry (the check below holds).
    vi.spyOn(globalThis, 'fetch').mockImplementation(async () => new Response(null, { status: 500 }));
    const o = object();
    await runInDurableObject(o, async (instance: AlertsDO, state) => {
      withWebhook(instance);
      await instance.evaluate([reading('a', 0)], Date.now());
      // A pending notification whose alarm is gone.
      state.storage.sql.exec(
        `insert into alert_event (rule, kind, at, summary, threshold, delivery, next_at)
         values ('a', 'firing', ?, 's', 1, 'pending', ?)`,
        Date.now(),
        Date.now(),
      );
      await state.storage.deleteAlarm();
      // An evaluation that notifies nothing still arms it.
      expect((await instance.evaluate([reading('a', 0)], Date.now())).notified).toEqual([]);
      expect(await state.storage.getAlarm()).not.toBeNull();
      // Nothing left for an alarm after the mock is gone.
      state.storage.sql.exec(`update alert_event set delivery = 'sent' where delivery = 'pending'`);
      await state.storage.deleteAlarm();
    });
  });
});
