// The first step of a bulk import: the request body, read as it arrives (never buffered whole), hashed (SHA-256,
// for the audit entry), decoded as UTF-8 and parsed as CSV (lib/csv.ts), each data row checked against the
// per-row schema (lib/admin/bulk.schemas.ts). What is kept is the parsed rows, at most BULK_MAX_ROWS of them: the
// all-or-nothing decision needs every row before anything is written. A body or row count over the limit is 413,
// a file that is not CSV (bad quoting, not UTF-8, a bad header) 400; a bad row is not an error here but a row
// with its errors, for the report.
import {
  BULK_COLUMNS,
  BULK_MAX_BYTES,
  BULK_MAX_ROWS,
  ImportRow,
  OPTIONAL_COLUMNS,
} from '../../../lib/admin/bulk.schemas';
import { CsvError, CsvParser, type CsvRecord, unneutralise } from '../../../lib/csv';
import { AppError } from '../../../lib/errors';

export interface RowError {
  field: string;
  message: string;
}

/** A data row: its line, what the schema made of it (when valid) and its errors. */
export interface ReadRow {
  row: number;
  handle: string | null;
  sku: string | null;
  value?: ImportRow;
  errors: RowError[];
}

const badFile = (message: string) =>
  new AppError('VALIDATION_FAILED', `The file is not a valid import: ${message}`, {
    details: [{ path: ['body'], message }],
  });

const tooLarge = (what: string) =>
  new AppError('PAYLOAD_TOO_LARGE', `The file is too large: ${what}.`, {
    details: { maxBytes: BULK_MAX_BYTES, maxRows: BULK_MAX_ROWS },
  });

/** The header's column of each known name; unknown, repeated or missing required columns are a bad file. */
function columnsOf(header: CsvRecord): Map<string, number> {
  const at = new Map<string, number>();
  for (const [i, raw] of header.fields.entries()) {
    const name = raw.trim().toLowerCase();
    if (!(BULK_COLUMNS as readonly string[]).includes(name))
      throw badFile(`unknown column "${raw}" (the columns: ${BULK_COLUMNS.join(', ')})`);
    if (at.has(name)) throw badFile(`the column "${name}" appears twice`);
    at.set(name, i);
  }
  const missing = BULK_COLUMNS.filter((c) => !at.has(c) && !OPTIONAL_COLUMNS.includes(c));
  if (missing.length) throw badFile(`missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`);
  return at;
}

function checkRow(columns: Map<string, number>, width: number, record: CsvRecord): ReadRow {
  const cells: Record<string, string> = {};
  for (const [name, i] of columns) cells[name] = unneutralise(record.fields[i] ?? '');
  const text = (name: string) => {
    const v = cells[name]?.trim();
    return v ? v : null;
  };
  const base = {
    row: record.line,
    handle: text('handle')?.toLowerCase() ?? null,
    sku: text('sku')?.toUpperCase() ?? null,
  };
  if (record.fields.length !== width)
    return {
      ...base,
      errors: [{ field: 'row', message: `has ${record.fields.length} fields, the header has ${width}` }],
    };
  const parsed = ImportRow.safeParse(cells);
  if (parsed.success)
    return { ...base, handle: parsed.data.handle, sku: parsed.data.sku, value: parsed.data, errors: [] };
  return {
    ...base,
    errors: parsed.error.issues.map((i) => ({ field: i.path.join('.') || 'row', message: i.message })),
  };
}

/** The body as checked rows, and the file's SHA-256 (hex). */
export async function readImport(body: ReadableStream<Uint8Array>): Promise<{ rows: ReadRow[]; sha256: string }> {
  const digest = new crypto.DigestStream('SHA-256');
  const hashing = digest.getWriter();
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  const parser = new CsvParser();
  const reader = body.getReader();
  const rows: ReadRow[] = [];
  let columns: Map<string, number> | undefined;
  let width = 0;
  let bytes = 0;
  const take = (records: CsvRecord[]) => {
    for (const record of records) {
      if (!columns) {
        columns = columnsOf(record);
        width = record.fields.length;
        continue;
      }
      if (rows.length >= BULK_MAX_ROWS) throw tooLarge(`more than ${BULK_MAX_ROWS} rows`);
      rows.push(checkRow(columns, width, record));
    }
  };
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      bytes += value.byteLength;
      if (bytes > BULK_MAX_BYTES) throw tooLarge(`more than ${BULK_MAX_BYTES} bytes`);
      await hashing.write(value);
      take(parser.push(decoder.decode(value, { stream: true })));
    }
    take(parser.push(decoder.decode()));
    take(parser.end());
  } catch (err) {
    await reader.cancel().catch(() => {});
    if (err instanceof CsvError) throw badFile(err.message);
    if (err instanceof TypeError && /decode|encoding|utf/i.test(err.message)) throw badFile('it is not UTF-8 text');
    throw err;
  }
  if (!columns) throw badFile('it is empty (the first line is the header)');
  await hashing.close();
  const hash = new Uint8Array(await digest.digest);
  return { rows, sha256: [...hash].map((b) => b.toString(16).padStart(2, '0')).join('') };
}
