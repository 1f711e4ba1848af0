// Shared by the notification e2e files: the emails the local mail sink received.
import { inject } from 'vitest';
import { eventually } from './helpers';

export interface Mail {
  key: string;
  kind: string;
  orderId: string;
  to: string;
  subject: string;
  text: string;
  html: string;
}

export async function mailsOf(orderId: string): Promise<Mail[]> {
  const res = await fetch(`${inject('mailSinkUrl')}/_local/mail?orderId=${encodeURIComponent(orderId)}`, {
    signal: AbortSignal.timeout(5000),
  });
  return (await res.json()) as Mail[];
}

export const mailOf = (orderId: string, kind: string, count = 1) =>
  eventually(
    `${count} ${kind} email(s) for ${orderId}`,
    async () => {
      const found = (await mailsOf(orderId)).filter((m) => m.kind === kind);
      return found.length >= count ? found : false;
    },
    20_000,
    200,
  );
