// CSV (RFC 4180) for the merchant's bulk import and export (docs/admin.md#bulk-import-and-export): a streaming
// parser that takes text in chunks of any size and hands out whole records, and a writer that quotes what must be
// quoted and neutralises spreadsheet formulas. Written here rather than taken from npm: it is small, runs in
// Workers and in Node alike, and its rules (strict quotes, formula escape reversed on import) are ours to test.
//
// Parsing rules: fields are separated by commas and records by CRLF, LF or a lone CR; a field in double quotes may
// hold commas, quotes (doubled) and line breaks; a quote inside an unquoted field, text after a closing quote, or a
// file ending inside quotes is an error naming the line. A byte order mark at the start is dropped; empty lines
// are skipped.

export class CsvError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`);
  }
}

/** A record and the line of the file it starts on (1-based; a quoted line break makes records span lines). */
export interface CsvRecord {
  fields: string[];
  line: number;
}

/** A field longer than this is refused: no column of ours needs more, and it bounds what one field can hold. */
export const MAX_FIELD_CHARS = 65_536;

/** What ends a run of plain text in an unquoted field. */
const SPECIAL = /[",\r\n]/g;

// The parser's states: at the start of a field, inside an unquoted one, inside quotes, just after a quote in quotes.
const State = { FieldStart: 0, Unquoted: 1, Quoted: 2, QuoteInQuoted: 3 } as const;
type State = (typeof State)[keyof typeof State];

export class CsvParser {
  private state: State = State.FieldStart;
  private field = '';
  private fields: string[] = [];
  private line = 1;
  private recordLine = 1;
  private afterCr = false;
  /** A quoted field's text so far ended in a CR: an LF starting the next chunk is the same line break. */
  private quotedCr = false;
  private started = false;

  /** The records completed by `chunk` (the rest waits for the next chunk or `end`). */
  push(chunk: string): CsvRecord[] {
    const out: CsvRecord[] = [];
    let i = 0;
    if (!this.started && chunk.length) {
      this.started = true;
      if (chunk.charCodeAt(0) === 0xfeff) i = 1;
    }
    for (; i < chunk.length; i++) {
      const c = chunk[i]!;
      if (this.afterCr) {
        this.afterCr = false;
        // CRLF is one line break: the CR ended the record already.
        if (c === '\n' && this.state === State.FieldStart && this.fields.length === 0) continue;
      }
      if (this.state === State.Quoted) {
        // Copy the run up to the next quote at once: most of a quoted field is plain text.
        const q = chunk.indexOf('"', i);
        const end = q === -1 ? chunk.length : q;
        const run = chunk.slice(i, end);
        this.line += countBreaks(run, this.quotedCr);
        // Only a run cut by the chunk's end (no quote found) can have its CRLF split across chunks.
        if (q !== -1) this.quotedCr = false;
        else if (run.length) this.quotedCr = run.charCodeAt(run.length - 1) === 13;
        this.append(run);
        i = end;
        if (q !== -1) this.state = State.QuoteInQuoted;
      } else if (this.state === State.QuoteInQuoted) {
        if (c === '"') {
          this.append('"');
          this.state = State.Quoted;
        } else if (c === ',') this.endField();
        else if (c === '\n' || c === '\r') this.endRecord(c, out);
        else throw new CsvError(this.line, 'text after a closing quote (a quote inside a field is written "")');
      } else if (this.state === State.FieldStart && c === '"') this.state = State.Quoted;
      else if (c === ',') this.endField();
      else if (c === '\n' || c === '\r') this.endRecord(c, out);
      else if (c === '"') throw new CsvError(this.line, 'a quote inside an unquoted field (quote the field)');
      else {
        // An unquoted field: copy the run up to the next comma, quote or line break at once.
        SPECIAL.lastIndex = i;
        const end = SPECIAL.exec(chunk)?.index ?? chunk.length;
        this.append(chunk.slice(i, end));
        this.state = State.Unquoted;
        i = end - 1;
      }
    }
    return out;
  }

  /** The last record, if the file does not end with a line break. */
  end(): CsvRecord[] {
    if (this.state === State.Quoted) throw new CsvError(this.recordLine, 'the file ends inside a quoted field');
    const out: CsvRecord[] = [];
    if (this.state !== State.FieldStart || this.fields.length > 0) this.endRecord('\n', out);
    return out;
  }

  private append(text: string) {
    this.field += text;
    if (this.field.length > MAX_FIELD_CHARS)
      throw new CsvError(this.recordLine, `a field longer than ${MAX_FIELD_CHARS} characters`);
  }

  private endField() {
    this.fields.push(this.field);
    this.field = '';
    this.state = State.FieldStart;
  }

  private endRecord(breakChar: string, out: CsvRecord[]) {
    this.endField();
    const blank = this.fields.length === 1 && this.fields[0] === '';
    if (!blank) out.push({ fields: this.fields, line: this.recordLine });
    this.fields = [];
    this.line++;
    this.recordLine = this.line;
    this.afterCr = breakChar === '\r';
  }
}

/** Line breaks in `text`; `afterCr`: the text before it (maybe another chunk) ended in a CR. */
function countBreaks(text: string, afterCr: boolean): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // CRLF counts once: at its CR. An LF counts only when no CR came just before it, in this chunk or the last.
    const prev = i === 0 ? (afterCr ? 13 : -1) : text.charCodeAt(i - 1);
    if (c === 13 || (c === 10 && prev !== 13)) n++;
  }
  return n;
}

/** Records of a whole text (tests, small files). */
export function parseCsv(text: string): CsvRecord[] {
  const p = new CsvParser();
  return [...p.push(text), ...p.end()];
}

// A cell a spreadsheet would run as a formula starts with one of these (OWASP "CSV injection"). Such a cell is
// written with a leading apostrophe, which spreadsheets show as text; the import takes exactly one apostrophe
// off again. Cells already starting with apostrophes before such a character get one more, so the escape is
// reversible: import(export(s)) === s for every s.
const FORMULA = /^'*[=+\-@\t\r]/;
const ESCAPED = /^'+[=+\-@\t\r]/;

export const neutralise = (value: string) => (FORMULA.test(value) ? `'${value}` : value);
export const unneutralise = (value: string) => (ESCAPED.test(value) ? value.slice(1) : value);

/** One field as written: neutralised, then quoted when it holds a comma, quote or line break (or edge spaces). */
export function csvField(value: string): string {
  const v = neutralise(value);
  return /[",\r\n]|^\s|\s$/.test(v) ? `"${v.replaceAll('"', '""')}"` : v;
}

/** One record, CRLF-terminated as RFC 4180 says. */
export const csvRecord = (values: readonly string[]) => `${values.map(csvField).join(',')}\r\n`;
