// Alerts against the real stack: with Postgres stopped, the `dependencies-down` rule fires on the next evaluation
// (the Cron Trigger, fired here through wrangler's /__scheduled) and the local alert sink receives exactly one
// signed "firing" notification, delivered through two failed attempts (retried with backoff); another evaluation
// while it still fires sends nothing; with Postgres back, one "resolved" notification follows. The ops route that
// shows it all is for the admin role only.
import { afterAll, describe, expect, inject, it } from 'vitest';
import { ALERT_DEV_WEBHOOK_SECRET, type ReceivedAlert } from '../../dev/alert-sink';
import { verifySignature } from '../../lib/alerts/signature';
import { client, devAccountToken, eventually, gateway } from './helpers';
import { pgControl } from './pg-control';

const RULE = 'dependencies-down';
type Report = NonNullable<Awaited<ReturnType<typeof report>>>;

async function report() {
  const { data } = await client(await devAccountToken('admin')).GET('/v1/admin/ops/alerts', {
    params: { query: { limit: 500 } },
  });
  return data;
}
const ruleOf = (r: Report) => r.rules.find((x) => x.rule === RULE);

/** Fires the alert Cron Trigger and waits until that evaluation is recorded; answers the report after it. */
async function evaluate(): Promise<Report> {
  const before = (await report())!.evaluations;
  const res = await fetch(`${gateway()}/__scheduled?cron=*+*+*+*+*`, { signal: AbortSignal.timeout(30_000) });
  expect(res.status).toBe(200);
  return eventually('the evaluation recorded', async () => {
    const r = await report();
    return r && r.evaluations > before ? r : false;
  });
}

async function sink(path: string, init: RequestInit = {}) {
  const res = await fetch(`${inject('alertSinkUrl')}${path}`, { ...init, signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new Error(`alert sink ${path}: ${res.status}`);
  return res;
}
/** What the sink received about RULE after `afterId`. */
async function received(afterId: number) {
  const all = (await (await sink('/_local/received')).json()) as ReceivedAlert[];
  return all.filter((a) => a.id > afterId && (a.json as { alert?: { rule?: string } }).alert?.rule === RULE);
}
const kindOf = (a: ReceivedAlert) => (a.json as { alert: { kind: string } }).alert.kind;

describe('alerts', () => {
  afterAll(async () => {
    await sink(`/_local/fail?count=0&rule=${RULE}`, { method: 'POST' });
    await pgControl('startAll');
  });

  it('serves rules and history to admins only', async () => {
    expect((await client().GET('/v1/admin/ops/alerts')).response.status).toBe(401);
    const merchant = client(await devAccountToken('merchant'));
    expect((await merchant.GET('/v1/admin/ops/alerts')).response.status).toBe(403);
    const bad = await client(await devAccountToken('admin')).GET('/v1/admin/ops/alerts', {
      params: { query: { limit: 0 } },
    });
    expect(bad.response.status).toBe(400);
    const r = await evaluate();
    expect(r.webhook.configured).toBe(true);
    expect(r.rules.map((x) => x.rule)).toEqual(expect.arrayContaining(['error-rate', RULE, 'breakers-open']));
    for (const rule of r.rules) expect(rule.evaluatedAt).toBe(r.evaluatedAt);
  });

  it('notifies once when Postgres goes down, not again while it stays down, and once when it returns', async () => {
    await devAccountToken('admin'); // signing in needs the database
    // Whatever an earlier file left, start from this rule at ok (that evaluation may send its "resolved").
    await eventually('the rule ok', async () => ruleOf(await evaluate())?.status === 'ok', 30_000, 500);
    // Nothing waits for delivery (the armed failures below are this notification's).
    await eventually(
      'no delivery pending',
      async () => !(await report())!.history.some((e) => e.delivery === 'pending'),
      30_000,
      250,
    );
    const all = (await (await sink('/_local/received')).json()) as ReceivedAlert[];
    const baseline = all.at(-1)?.id ?? 0;

    // The first two calls about this rule fail (another rule's calls are not counted): the notification arrives on
    // the third, with the same alert id.
    await sink(`/_local/fail?count=2&rule=${RULE}`, { method: 'POST' });
    await pgControl('stopAll');
    const firing = await evaluate();
    expect(ruleOf(firing)).toMatchObject({ status: 'firing', threshold: 1 });
    expect(ruleOf(firing)!.lastValue).toBeGreaterThanOrEqual(1);
    expect(ruleOf(firing)!.detail).toContain('postgresPrimary');

    const [note] = await eventually(
      'one firing notification at the sink',
      async () => {
        const got = await received(baseline);
        return got.length >= 1 ? got : false;
      },
      20_000,
      200,
    );
    expect(kindOf(note!)).toBe('firing');
    expect(note!.signatureValid).toBe(true);
    expect(await verifySignature(ALERT_DEV_WEBHOOK_SECRET, note!.body, note!.signature)).toBe(true);
    expect(await verifySignature('another secret', note!.body, note!.signature)).toBe(false);
    const payload = note!.json as { text: string; alert: { id: number; status: string; since: string } };
    expect(payload.text).toMatch(/^\[FIRING\] dependencies-down: .*postgresPrimary/);
    expect(payload.alert).toMatchObject({ status: 'firing', since: ruleOf(firing)!.since });
    expect(note!.alertId).toBe(String(payload.alert.id));
    const event = (await report())!.history.find((e) => e.id === payload.alert.id)!;
    expect(event).toMatchObject({ rule: RULE, kind: 'firing', delivery: 'sent', attempts: 3 });

    // Still down: the next evaluation keeps it firing and notifies nobody.
    const again = await evaluate();
    expect(ruleOf(again)).toMatchObject({ status: 'firing', since: ruleOf(firing)!.since });
    await new Promise((r) => setTimeout(r, 1500)); // room for a (wrong) second delivery to land
    expect((await received(baseline)).map(kindOf)).toEqual(['firing']);
    const events = again.history.filter((e) => e.rule === RULE && e.id >= payload.alert.id);
    expect(events.map((e) => e.kind)).toEqual(['firing']);

    await pgControl('startAll');
    await eventually('the rule resolved', async () => ruleOf(await evaluate())?.status === 'ok', 40_000, 500);
    const notes = await eventually(
      'the resolved notification at the sink',
      async () => {
        const got = await received(baseline);
        return got.length >= 2 ? got : false;
      },
      20_000,
      200,
    );
    expect(notes.map(kindOf)).toEqual(['firing', 'resolved']);
    const resolved = notes[1]!;
    expect(await verifySignature(ALERT_DEV_WEBHOOK_SECRET, resolved.body, resolved.signature)).toBe(true);
    expect((resolved.json as { text: string }).text).toMatch(/^\[RESOLVED\] dependencies-down/);
    // It tells when the rule had started firing.
    expect((resolved.json as { alert: { since: string } }).alert.since).toBe(ruleOf(firing)!.since);
  }, 150_000);
});
