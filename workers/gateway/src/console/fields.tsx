/** @jsxImportSource hono/jsx */
// Form pieces the catalog pages share: a labelled field, the errors of a refused form (the API's, or the form's
// own), the category choice, the option slots, a variant's fields and the notice after a redirect. Every input has
// a visible label tied to it by id, so the pages are usable with a keyboard and a screen reader.
import type { Schemas } from '../../../../lib/client';
import { OPTION_SLOTS, type Values } from './products.form';

/** A form refused by the console or the API, shown again next to that form with what the merchant typed. */
export interface Failed {
  form: string;
  status: number;
  errors: string[];
  values: Values;
}

/** The values a form shows: what was just refused, else the stored ones. */
export const shown = (failed: Failed | undefined, form: string, stored: Values): Values =>
  failed?.form === form ? failed.values : stored;

export function Errors({ failed, form }: { failed?: Failed; form: string }) {
  if (failed?.form !== form) return null;
  return (
    <div class="error" role="alert" id={`${form}-errors`}>
      <p>{failed.status === 409 ? 'Refused:' : 'Not saved:'}</p>
      <ul>
        {failed.errors.map((e) => (
          <li>{e}</li>
        ))}
      </ul>
    </div>
  );
}

export function Field(props: {
  id: string;
  name: string;
  label: string;
  value?: string;
  type?: string;
  required?: boolean;
  hint?: string;
  inputmode?: 'numeric' | 'text';
  pattern?: string;
}) {
  return (
    <div class="field">
      <label for={props.id}>{props.label}</label>
      <input
        id={props.id}
        name={props.name}
        type={props.type ?? 'text'}
        value={props.value ?? ''}
        required={props.required}
        inputmode={props.inputmode}
        pattern={props.pattern}
        aria-describedby={props.hint ? `${props.id}-hint` : undefined}
      />
      {props.hint && (
        <small class="muted" id={`${props.id}-hint`}>
          {props.hint}
        </small>
      )}
    </div>
  );
}

type Node = Schemas['CategoryNode'];
const flatten = (nodes: Node[], depth = 0): { slug: string; label: string }[] =>
  nodes.flatMap((n) => [{ slug: n.slug, label: `${'— '.repeat(depth)}${n.name}` }, ...flatten(n.children, depth + 1)]);

export function CategorySelect({ id, categories, value }: { id: string; categories: Node[]; value?: string }) {
  const all = flatten(categories);
  return (
    <div class="field">
      <label for={id}>Category</label>
      <select id={id} name="category" required>
        <option value="">Choose…</option>
        {/* A category the tree does not list (hidden from shoppers) is still the product's: keep it choosable. */}
        {value && !all.some((c) => c.slug === value) && (
          <option value={value} selected>
            {value}
          </option>
        )}
        {all.map((c) => (
          <option value={c.slug} selected={c.slug === value}>
            {c.label}
          </option>
        ))}
      </select>
    </div>
  );
}

export function OptionFields({ prefix, values }: { prefix: string; values: Values }) {
  return (
    <fieldset class="grid">
      <legend>Options (such as Size: S, M, L): up to {OPTION_SLOTS}</legend>
      {Array.from({ length: OPTION_SLOTS }, (_, i) => (
        <>
          <Field
            id={`${prefix}option${i + 1}_name`}
            name={`option${i + 1}_name`}
            label={`Option ${i + 1} name`}
            value={values[`option${i + 1}_name`]}
          />
          <Field
            id={`${prefix}option${i + 1}_values`}
            name={`option${i + 1}_values`}
            label={`Option ${i + 1} values (comma-separated)`}
            value={values[`option${i + 1}_values`]}
          />
        </>
      ))}
    </fieldset>
  );
}

/** A variant's fields; `rowPrefix` names them (`v1_sku`), `id` keeps their ids unique on the page. */
export function VariantFields(props: {
  id: string;
  rowPrefix: string;
  values: Values;
  optionNames: string[];
  withSku: boolean;
  withStock: boolean;
}) {
  const { id, rowPrefix: p, values: v } = props;
  return (
    <div class="grid">
      {props.withSku && <Field id={`${id}sku`} name={`${p}sku`} label="SKU" value={v[`${p}sku`]} />}
      <Field id={`${id}title`} name={`${p}title`} label="Title (default: its option values)" value={v[`${p}title`]} />
      {props.optionNames.map((name, i) => (
        <Field id={`${id}opt${i + 1}`} name={`${p}opt${i + 1}`} label={name} value={v[`${p}opt${i + 1}`]} />
      ))}
      <Field
        id={`${id}price`}
        name={`${p}price`}
        label="Price (minor units: 4500 is 45.00)"
        value={v[`${p}price`]}
        inputmode="numeric"
      />
      {props.withStock && (
        <Field id={`${id}stock`} name={`${p}stock`} label="Initial stock" value={v[`${p}stock`]} inputmode="numeric" />
      )}
    </div>
  );
}

export function Notice({ text }: { text?: string }) {
  if (!text) return null;
  return (
    <p class="notice" role="status">
      {text}
    </p>
  );
}
