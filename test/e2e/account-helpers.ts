// Shared by the account e2e files (account.test.ts, account-links.test.ts): a signed-in customer, the account's
// emails as the local mail sink received them, and the token of an emailed link.
import { createHash } from 'node:crypto';
import { inject } from 'vitest';
import { client, eventually, ok } from './helpers';
import { newEmail, PASSWORD } from './identity-helpers';

export interface Mail {
  key: string;
  kind: string;
  to: string;
  subject: string;
  text: string;
  html: string;
}

export const sha256Hex = (text: string) => createHash('sha256').update(text).digest('hex');

/** A new customer: their email and session. */
export async function customer(email = newEmail()) {
  const session = await ok('register', client().POST('/v1/auth/register', { body: { email, password: PASSWORD } }));
  return { email, session, token: session.accessToken };
}

export async function mailsTo(to: string, kind?: string): Promise<Mail[]> {
  const res = await fetch(`${inject('mailSinkUrl')}/_local/mail?to=${encodeURIComponent(to)}`, {
    signal: AbortSignal.timeout(5000),
  });
  return ((await res.json()) as Mail[]).filter((m) => !kind || m.kind === kind);
}

/** Waits for the `count`th email of `kind` to `to`, and answers it. */
export const mailTo = (to: string, kind: string, count = 1) =>
  eventually(
    `${count} ${kind} email(s) to ${to}`,
    async () => {
      const found = await mailsTo(to, kind);
      return found.length >= count ? found[count - 1]! : false;
    },
    20_000,
    200,
  );

/** The link in an account email's text, and the token in its query. */
export function linkOf(mail: Mail): { url: URL; token: string } {
  const href = /https?:\/\/\S+/.exec(mail.text)?.[0];
  if (!href) throw new Error(`no link in the email: ${mail.text}`);
  const url = new URL(href);
  return { url, token: url.searchParams.get('token') ?? '' };
}
