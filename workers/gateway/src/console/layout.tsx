/** @jsxImportSource hono/jsx */
// The console's page shell and the pages every section shares: sign-in, 403, an error. Styles and the one script
// are static files of the storefront worker (workers/storefront/assets/admin), forwarded by the gateway, so the CSP
// allows 'self' and nothing inline.
import type { Child } from 'hono/jsx';
import type { Role } from '../../../../db/schema/identity';
import type { ConsoleSession } from './session';

export interface Nav {
  session?: ConsoleSession;
  csrf?: string;
  current?: string;
}

const sections: { href: string; label: string; min: Role }[] = [
  { href: '/admin', label: 'Overview', min: 'merchant' },
  { href: '/admin/products', label: 'Products', min: 'merchant' },
  { href: '/admin/orders', label: 'Orders', min: 'merchant' },
  { href: '/admin/customers', label: 'Customers', min: 'merchant' },
  { href: '/admin/webhooks', label: 'Webhooks', min: 'merchant' },
  { href: '/admin/audit', label: 'Audit log', min: 'merchant' },
  { href: '/admin/dead-letters', label: 'Dead letters', min: 'admin' },
  { href: '/admin/ops', label: 'Ops', min: 'admin' },
];

function Header({ session, csrf, current }: Nav) {
  const role = session?.identity.role;
  return (
    <header class="top">
      <a class="brand" href="/admin">
        Storefront console
      </a>
      {session && role && (
        <nav aria-label="Sections">
          <ul>
            {sections
              .filter((s) => s.min === 'merchant' || role === 'admin')
              .map((s) => (
                <li>
                  <a href={s.href} aria-current={current === s.href ? 'page' : undefined}>
                    {s.label}
                  </a>
                </li>
              ))}
          </ul>
        </nav>
      )}
      {session && csrf && (
        <form class="sign-out" method="post" action="/admin/sign-out">
          <span class="who">
            {session.identity.sub.slice(0, 8)} · {role}
          </span>
          <input type="hidden" name="csrf" value={csrf} />
          <button type="submit">Sign out</button>
        </form>
      )}
    </header>
  );
}

export function Page(props: Nav & { title: string; children?: Child }) {
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{props.title} · Storefront console</title>
        <link rel="stylesheet" href="/admin/console.css" />
        <script src="/admin/console.js" defer />
      </head>
      <body>
        <a class="skip" href="#main">
          Skip to content
        </a>
        <Header {...props} />
        <main id="main" tabindex={-1}>
          {props.children}
        </main>
      </body>
    </html>
  );
}

export function SignInPage(props: { csrf: string; email?: string; error?: string }) {
  return (
    <Page title="Sign in">
      <h1>Sign in</h1>
      <p>Merchant and admin accounts only.</p>
      {props.error && (
        <p class="error" role="alert" id="sign-in-error">
          {props.error}
        </p>
      )}
      <form method="post" action="/admin/sign-in" class="stack" aria-describedby={props.error && 'sign-in-error'}>
        <input type="hidden" name="csrf" value={props.csrf} />
        <label for="email">Email</label>
        <input id="email" name="email" type="email" autocomplete="username" required value={props.email ?? ''} />
        <label for="password">Password</label>
        <input id="password" name="password" type="password" autocomplete="current-password" required />
        <button type="submit">Sign in</button>
      </form>
    </Page>
  );
}

export function ForbiddenPage(props: Nav & { min: Role }) {
  return (
    <Page title="Not allowed" {...props}>
      <h1>Not allowed</h1>
      <p>
        This page needs the <strong>{props.min}</strong> role; you are signed in as{' '}
        <strong>{props.session?.identity.role ?? 'nobody'}</strong>.
      </p>
      <p>
        <a href="/admin">Back to the overview</a>
      </p>
    </Page>
  );
}

export function MessagePage(props: Nav & { title: string; message: string; requestId?: string }) {
  return (
    <Page {...props}>
      <h1>{props.title}</h1>
      <p role="alert">{props.message}</p>
      {props.requestId && (
        <p class="muted">
          Request id: <code>{props.requestId}</code>
        </p>
      )}
      <p>
        <a href="/admin">Back to the console</a>
      </p>
    </Page>
  );
}
