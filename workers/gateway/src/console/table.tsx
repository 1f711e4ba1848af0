/** @jsxImportSource hono/jsx */
// The console's one table and one "next page" link: every list, ledger and figure table of the console pages is a
// `Table` (caption, column heads, a row head in the first cell, a message instead of an empty table) and every
// keyset page ends with a `Next` link (rel="next"), so the pages differ only in their columns.
import type { Child } from 'hono/jsx';

type Attrs = Record<string, string | number | undefined>;

/** A cell with attributes of its own (a class, `colspan`, `data-*`); a plain value is a cell without any. */
class CellSpec {
  constructor(
    readonly value: Child,
    readonly attrs: Attrs,
  ) {}
}
/** A row with attributes of its own (the `data-*` key the tests and scripts find it by). */
class RowSpec {
  constructor(
    readonly cells: Cell[],
    readonly attrs: Attrs,
  ) {}
}
export type Cell = Child | CellSpec;
export type Row = Cell[] | RowSpec;

export const cell = (value: Child, attrs: Attrs): Cell => new CellSpec(value, attrs);
export const row = (cells: Cell[], attrs: Attrs): Row => new RowSpec(cells, attrs);

/** The link to the next keyset page, when there is one ("Older orders", "Older changes", …). */
export function Next({ href, label }: { href?: string; label: string }) {
  if (!href) return null;
  return (
    <p>
      <a href={href} rel="next">
        {label}
      </a>
    </p>
  );
}

function Cells({ cells }: { cells: Cell[] }) {
  return (
    <>
      {cells.map((c, i) => {
        const { value, attrs } = c instanceof CellSpec ? c : { value: c, attrs: {} };
        return i === 0 ? (
          <th scope="row" {...attrs}>
            {value}
          </th>
        ) : (
          <td {...attrs}>{value}</td>
        );
      })}
    </>
  );
}

/**
 * A table of `rows` under `head`, its first cell the row's head; `empty` (or "No <caption>.") instead of a table
 * without rows, and then no next link either: an empty page has no page after it.
 */
export function Table(props: {
  caption: string;
  head: string[];
  rows: Row[];
  id?: string;
  empty?: string;
  /** The rows of a `<tfoot>` (totals). */
  foot?: Child;
  next?: { href?: string; label: string };
}) {
  if (props.rows.length === 0) return <p class="muted">{props.empty ?? `No ${props.caption.toLowerCase()}.`}</p>;
  return (
    <>
      <div class="scroll">
        <table id={props.id}>
          <caption>{props.caption}</caption>
          <thead>
            <tr>
              {props.head.map((h) => (
                <th scope="col">{h}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {props.rows.map((r) =>
              r instanceof RowSpec ? (
                <tr {...r.attrs}>
                  <Cells cells={r.cells} />
                </tr>
              ) : (
                <tr>
                  <Cells cells={r} />
                </tr>
              ),
            )}
          </tbody>
          {props.foot && <tfoot>{props.foot}</tfoot>}
        </table>
      </div>
      {props.next && <Next {...props.next} />}
    </>
  );
}
