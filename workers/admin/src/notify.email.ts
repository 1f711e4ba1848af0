// One shopper email from the `notifications` Queue (an order's, or an account link's): its key is claimed in
// `notification_emails` (one email per key, whatever the Queue delivers), the email is rendered (notify.render.ts) and
// sent through the `send_email` binding, then the row says `sent` (tried in place until it is: a message retried after
// its email went would send it twice). A second delivery of the same message finds the key `sent` (dropped) or
// `sending` (someone is sending it now: retried shortly, so if that sender dies the email still goes once its lease
// ends). With MAIL_SINK_URL set (dev and tests only) the email is also posted to the local mail sink, where it can be
// read.
import type { AccountEmailJob, EmailJob } from '../../../lib/contracts/notifications';
import { type DbEnv, dbSettings, sqlClient } from '../../../lib/db/client';
import { log } from '../../../lib/log';
import { retry, TimeoutError, withTimeout } from '../../../lib/resilience';
import type { NotifyConfig } from './notify.config';
import { type RenderedEmail, renderAccountEmail, renderEmail } from './notify.render';

type Env = AdminEnv & DbEnv;

/** A claim older than this is taken as its sender's death: another delivery takes it over. */
const LEASE_SECONDS = 60;
const SEND_TIMEOUT_MS = 10_000;
const SINK_TIMEOUT_MS = 3000;
/** Recording a sent email: tried in place, a few times within a few seconds, never by retrying the message. */
const MARK_SENT_RETRY = { attempts: 4, baseMs: 250, maxMs: 2000 };

export type EmailOutcome = 'sent' | 'duplicate' | 'busy' | 'no_recipient' | 'no_link';

/** Put in place of an account link's token in a dead letter (notify.consumer.ts): a replay of it sends nothing. */
export const LINK_NOT_KEPT = '(not kept: ask for a new link)';

const db = (env: Env) => {
  const settings = dbSettings(env);
  return sqlClient(settings.DATABASE_URL, settings);
};

/** The shopper's address: as given at checkout, else their account's. */
async function recipientOf(env: Env, job: EmailJob): Promise<string | null> {
  if (job.order.email) return job.order.email;
  const rows = await db(env)`select email from customers where id::text = ${job.order.ownerSub}`;
  return (rows[0]?.email as string | undefined) || null;
}

export async function sendEmailJob(env: Env, c: NotifyConfig, job: EmailJob): Promise<EmailOutcome> {
  const to = await recipientOf(env, job);
  if (!to) {
    log.warn('order email has no recipient; not sent', { key: job.key, orderId: job.order.id });
    return 'no_recipient';
  }
  return deliverEmail(
    env,
    c,
    { key: job.key, kind: job.kind, orderId: job.order.id, to },
    renderEmail(job, c.SHOP_NAME),
  );
}

/** An account link (password reset, verification): sent like an order's email, with no order. */
export async function sendAccountEmailJob(env: Env, c: NotifyConfig, job: AccountEmailJob): Promise<EmailOutcome> {
  if (job.link === LINK_NOT_KEPT) {
    log.warn('account email replayed without its link; not sent', { key: job.key, kind: job.kind });
    return 'no_link';
  }
  return deliverEmail(
    env,
    c,
    { key: job.key, kind: job.kind, orderId: null, to: job.to },
    renderAccountEmail(job, c.SHOP_NAME),
  );
}

interface Envelope {
  key: string;
  kind: string;
  orderId: string | null;
  to: string;
}

async function deliverEmail(env: Env, c: NotifyConfig, job: Envelope, email: RenderedEmail): Promise<EmailOutcome> {
  const to = job.to;
  const claimed = await db(env)`
    insert into notification_emails (key, kind, order_id, recipient, subject, state)
    values (${job.key}, ${job.kind}, ${job.orderId}, ${to}, ${email.subject}, 'sending')
    on conflict (key) do update set claimed_at = now(), attempts = notification_emails.attempts + 1
      where notification_emails.state = 'sending'
        and notification_emails.claimed_at < now() - make_interval(secs => ${LEASE_SECONDS})
    returning key`;
  if (claimed.length === 0) {
    const [row] = await db(env)`select state from notification_emails where key = ${job.key}`;
    return row?.state === 'sent' ? 'duplicate' : 'busy';
  }
  let messageId: string;
  try {
    const hang = c.MAIL_SINK_URL ? await sendFault(env, job.key, to) : false;
    const sent = await withTimeout(
      hang
        ? new Promise<never>(() => {})
        : env.EMAIL.send({
            from: { email: c.MAIL_FROM, name: c.SHOP_NAME },
            to,
            subject: email.subject,
            text: email.text,
            html: email.html,
            headers: { 'X-Storefront-Email-Key': job.key },
          }),
      SEND_TIMEOUT_MS,
      'send_email',
    );
    messageId = sent.messageId;
  } catch (err) {
    // A timeout says nothing about the send, which may still go through: the claim stays, and only its lease ending
    // lets a retry send again. Any other failure is a refusal: the claim goes, so the retry (or a duplicate
    // delivery) sends it without waiting for the lease.
    if (!(err instanceof TimeoutError))
      await db(env)`delete from notification_emails where key = ${job.key} and state = 'sending'`.catch(() => {});
    throw err;
  }
  try {
    // A fresh client per try (each with its own DB_TIMEOUT_MS): the email went, so a failure here must not make
    // the message be retried, which would send it again once the lease ends.
    await retry(
      () => db(env)`update notification_emails set state = 'sent', sent_at = now(), message_id = ${messageId}
        where key = ${job.key}`,
      MARK_SENT_RETRY,
    );
  } catch (err) {
    // Acked all the same; the row stays `sending`, so only another copy of the message, after the lease, resends.
    log.error('order email sent but not recorded as sent', { key: job.key, messageId, error: String(err) });
  }
  log.info('email sent', { key: job.key, kind: job.kind, orderId: job.orderId, messageId });
  if (c.MAIL_SINK_URL)
    await postToSink(c.MAIL_SINK_URL, {
      key: job.key,
      kind: job.kind,
      orderId: job.orderId,
      from: c.MAIL_FROM,
      to,
      messageId,
      ...email,
    });
  return 'sent';
}

/**
 * Test faults, armed only where MAIL_SINK_URL is set (dev and tests; production leaves it empty): a send to an
 * address at FAILING_MAIL_DOMAIN fails until the email is in the dead letters, as an outage of the mail service that
 * is over by the time someone replays it (the time is logged so a test can measure the retries' waits); a send to
 * one at HANGING_MAIL_DOMAIN never answers (answers true: the caller's send hangs).
 */
export const FAILING_MAIL_DOMAIN = 'fail-mail.fault.test';
export const HANGING_MAIL_DOMAIN = 'hang-mail.fault.test';

async function sendFault(env: Env, key: string, to: string): Promise<boolean> {
  if (to.endsWith(`@${HANGING_MAIL_DOMAIN}`)) {
    log.warn('test fault: send_email hangs', { key, to, at: Date.now() });
    return true;
  }
  if (!to.endsWith(`@${FAILING_MAIL_DOMAIN}`)) return false;
  const dead = await db(env)`select 1 from notification_dead_letters where type = 'email' and subject = ${key}`;
  if (dead.length) return false;
  log.warn('test fault: send_email failed', { key, to, at: Date.now() });
  throw new Error(`send_email failed: test fault for ${FAILING_MAIL_DOMAIN}`);
}

/** Dev and tests: the email as sent, to the local mail sink; a failure is only logged (the email went). */
async function postToSink(url: string, mail: Record<string, unknown>) {
  try {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(mail),
      redirect: 'manual',
      signal: AbortSignal.timeout(SINK_TIMEOUT_MS),
    });
    await res.body?.cancel();
  } catch (err) {
    log.warn('mail sink unreachable', { url, error: String(err) });
  }
}
