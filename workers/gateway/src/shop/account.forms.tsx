/** @jsxImportSource hono/jsx */
// The account pages' markup: forms that work without JavaScript (POST, a CSRF token in the `csrf` slot), each with
// the API's refusal shown above it (role=alert) and the values typed kept, never a password. Handlers:
// account.routes.tsx; the API behind them: docs/identity.md.
import type { Child } from 'hono/jsx';
import type { Schemas } from '../../../../lib/client';
import { money } from '../web/format';
import { slot } from './slots';

export type Values = Record<string, string | undefined>;

/** The API's refusal of a form, shown above it. */
export function Problem(props: { error?: string }) {
  return props.error ? (
    <p class="notice bad" role="alert">
      {props.error}
    </p>
  ) : null;
}

export function Field(props: {
  name: string;
  label: string;
  type?: string;
  value?: string;
  autocomplete?: string;
  required?: boolean;
  minlength?: number;
  maxlength?: number;
  hint?: string;
}) {
  const id = `f-${props.name}`;
  return (
    <p>
      <label for={id}>{props.label}</label>
      <br />
      <input
        id={id}
        name={props.name}
        type={props.type ?? 'text'}
        value={props.type === 'password' ? undefined : (props.value ?? '')}
        autocomplete={props.autocomplete}
        required={props.required}
        minlength={props.minlength}
        maxlength={props.maxlength}
        aria-describedby={props.hint ? `${id}-hint` : undefined}
      />
      {props.hint && (
        <>
          <br />
          <small id={`${id}-hint`} class="muted">
            {props.hint}
          </small>
        </>
      )}
    </p>
  );
}

/** A POST form with its CSRF field. */
export function PostForm(props: { action: string; label?: string; children?: Child }) {
  return (
    <form method="post" action={props.action} aria-label={props.label}>
      {slot('csrf')}
      {props.children}
    </form>
  );
}

export function RegisterForm(props: { values?: Values; error?: string }) {
  const v = props.values ?? {};
  return (
    <>
      <Problem error={props.error} />
      <PostForm action="/account/register" label="Create an account">
        <Field name="name" label="Name (optional)" value={v.name} autocomplete="name" maxlength={100} />
        <Field name="email" label="Email" type="email" value={v.email} autocomplete="email" required />
        <Field
          name="password"
          label="Password"
          type="password"
          autocomplete="new-password"
          required
          minlength={10}
          hint="At least 10 characters."
        />
        <button type="submit">Create account</button>
      </PostForm>
      <p>
        Have an account? <a href="/account/sign-in">Sign in</a>
      </p>
    </>
  );
}

export function SignInForm(props: { values?: Values; error?: string; notice?: string }) {
  const v = props.values ?? {};
  return (
    <>
      {props.notice && (
        <p class="notice" role="status">
          {props.notice}
        </p>
      )}
      <Problem error={props.error} />
      <PostForm action="/account/sign-in" label="Sign in">
        <Field name="email" label="Email" type="email" value={v.email} autocomplete="email" required />
        <Field name="password" label="Password" type="password" autocomplete="current-password" required />
        <button type="submit">Sign in</button>
      </PostForm>
      <p>
        <a href="/account/reset">Forgot your password?</a>
      </p>
      <p>
        New here? <a href="/account/register">Create an account</a>
      </p>
    </>
  );
}

export function AddressFields(props: { values?: Values }) {
  const v = props.values ?? {};
  return (
    <>
      <Field name="name" label="Full name" value={v.name} autocomplete="name" required maxlength={200} />
      <Field name="line1" label="Address" value={v.line1} autocomplete="address-line1" required maxlength={200} />
      <Field name="line2" label="Address line 2 (optional)" value={v.line2} autocomplete="address-line2" />
      <Field name="city" label="City" value={v.city} autocomplete="address-level2" required maxlength={100} />
      <Field name="region" label="State or region (optional)" value={v.region} autocomplete="address-level1" />
      <Field name="postalCode" label="Postal code" value={v.postalCode} autocomplete="postal-code" required />
      <Field
        name="country"
        label="Country code"
        value={v.country}
        autocomplete="country"
        required
        maxlength={2}
        hint="Two letters, such as US, GB or DE."
      />
      <Field name="phone" label="Phone (optional)" type="tel" value={v.phone} autocomplete="tel" />
    </>
  );
}

type Address = Schemas['SavedAddress'];

export function AddressCard(props: { a: Address }) {
  const { a } = props;
  const x = a.address;
  return (
    <li>
      <address>
        {x.name}
        <br />
        {x.line1}
        {x.line2 && (
          <>
            <br />
            {x.line2}
          </>
        )}
        <br />
        {x.postalCode} {x.city}
        {x.region ? `, ${x.region}` : ''}, {x.country}
      </address>
      {a.isDefault ? (
        <p>
          <strong>Default address</strong>
        </p>
      ) : (
        <PostForm action={`/account/addresses/${a.id}/default`} label="Make default">
          <button type="submit" class="quiet">
            Make default
          </button>
        </PostForm>
      )}
      <PostForm action={`/account/addresses/${a.id}/delete`} label="Delete address">
        <button type="submit" class="quiet">
          Delete
        </button>
      </PostForm>
    </li>
  );
}

/** The orders as a list (a table would scroll sideways on a phone): each links to its order page. */
export function OrderRows(props: { orders: Schemas['OrderList']['orders'] }) {
  if (props.orders.length === 0) return <p class="muted">No orders yet.</p>;
  return (
    <ul class="orders">
      {props.orders.map((o) => (
        <li>
          <a href={`/orders/${o.id}`}>
            Order <span translate="no">{o.id}</span>
          </a>
          <br />
          {[String(o.createdAt).slice(0, 10), o.status, money(o.totals.total.amount, o.totals.total.currency)].join(
            ' · ',
          )}
        </li>
      ))}
    </ul>
  );
}
