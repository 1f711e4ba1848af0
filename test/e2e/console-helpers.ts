// Helpers for the console's tests over plain HTTP: a cookie jar that keeps what the gateway sets (as a browser
// would, by name), the CSRF token of a rendered form, and sign-in through the form.
import { devAccounts, freshIp, gateway } from './helpers';

export interface SetCookie {
  name: string;
  value: string;
  attributes: string[];
}

export const parseSetCookie = (line: string): SetCookie => {
  const [pair = '', ...attributes] = line.split(';').map((s) => s.trim());
  const eq = pair.indexOf('=');
  return { name: pair.slice(0, eq), value: pair.slice(eq + 1), attributes };
};

/** A browser-like session: cookies by name, one client address, same-origin headers on POST. */
export class Browser {
  readonly cookies = new Map<string, string>();
  readonly ip = freshIp();
  last: SetCookie[] = [];

  async request(path: string, init: RequestInit & { form?: Record<string, string> } = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set('cf-connecting-ip', this.ip);
    if (this.cookies.size) headers.set('cookie', [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; '));
    let body = init.body;
    if (init.form) {
      body = new URLSearchParams(init.form).toString();
      headers.set('content-type', 'application/x-www-form-urlencoded');
      if (!headers.has('origin')) headers.set('origin', new URL(gateway()).origin);
      if (!headers.has('sec-fetch-site')) headers.set('sec-fetch-site', 'same-origin');
    }
    const res = await fetch(`${gateway()}${path}`, {
      ...init,
      body,
      headers,
      redirect: 'manual',
      signal: AbortSignal.timeout(20_000),
    });
    this.last = res.headers.getSetCookie().map(parseSetCookie);
    for (const c of this.last) {
      const expired = c.attributes.some((a) => /^max-age=0$/i.test(a)) || c.value === '';
      if (expired) this.cookies.delete(c.name);
      else this.cookies.set(c.name, c.value);
    }
    return res;
  }

  /** The CSRF token of the first form on `path`. */
  async csrf(path = '/admin/sign-in'): Promise<string> {
    const res = await this.request(path);
    const token = /name="csrf" value="([^"]+)"/.exec(await res.text())?.[1];
    if (!token) throw new Error(`no CSRF token on ${path} (${res.status})`);
    return token;
  }

  async signIn(email: string, password: string): Promise<Response> {
    const csrf = await this.csrf();
    return this.request('/admin/sign-in', { method: 'POST', form: { csrf, email, password } });
  }

  async signInAs(role: 'admin' | 'merchant'): Promise<Response> {
    const { email, password } = devAccounts().find((a) => a.role === role)!;
    const res = await this.signIn(email, password);
    if (res.status !== 303) throw new Error(`${role} console sign-in: ${res.status} ${await res.text()}`);
    return res;
  }
}

export const ACCESS = '__Host-console-access';
export const REFRESH = '__Host-console-refresh';
export const SID = '__Host-console-sid';
