// The CSV parser and writer of the bulk import and export: RFC 4180 quoting, line breaks of every kind, a BOM,
// chunks cut anywhere, the errors that name a line, and the formula escape that the import reverses exactly.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CsvError, CsvParser, csvField, csvRecord, neutralise, parseCsv, unneutralise } from './csv';

const fields = (text: string) => parseCsv(text).map((r) => r.fields);

/** The same text pushed in chunks cut at the given sizes: the records with their lines. */
function recordsInChunks(text: string, cuts: number[]) {
  const p = new CsvParser();
  const out: ReturnType<typeof parseCsv> = [];
  let at = 0;
  for (const n of cuts) {
    out.push(...p.push(text.slice(at, at + n)));
    at += n;
  }
  out.push(...p.push(text.slice(at)), ...p.end());
  return out;
}
const parseInChunks = (text: string, cuts: number[]) => recordsInChunks(text, cuts).map((r) => r.fields);

describe('parsing', () => {
  it('splits fields and records; quoted fields hold commas, doubled quotes and line breaks', () => {
    expect(fields('a,b,c\r\n1,"x, y","say ""hi"""\r\n')).toEqual([
      ['a', 'b', 'c'],
      ['1', 'x, y', 'say "hi"'],
    ]);
    expect(fields('a,"two\nlines",c\n"crlf\r\ninside",,\n')).toEqual([
      ['a', 'two\nlines', 'c'],
      ['crlf\r\ninside', '', ''],
    ]);
  });

  it('takes CRLF, LF and a lone CR as line breaks, and a last record without one', () => {
    expect(fields('a,b\r\nc,d\ne,f\rg,h')).toEqual([
      ['a', 'b'],
      ['c', 'd'],
      ['e', 'f'],
      ['g', 'h'],
    ]);
  });

  it('drops a byte order mark at the start only, and skips empty lines', () => {
    expect(fields('\uFEFFhandle,sku\r\n\r\nx,\uFEFFy\r\n\r\n')).toEqual([
      ['handle', 'sku'],
      ['x', '\uFEFFy'],
    ]);
  });

  it('keeps empty fields; a line holding one empty field is an empty line', () => {
    expect(fields(',,\n""\n')).toEqual([['', '', '']]);
    expect(fields('a,""\n')).toEqual([['a', '']]);
  });

  it('numbers each record by the line it starts on', () => {
    expect(parseCsv('h\n"a\nb"\nc\r\n\r\nd').map((r) => r.line)).toEqual([1, 2, 4, 6]);
  });

  it('gives the same records however the text is cut into chunks (CRLF and quotes split included)', () => {
    const text = 'a,"b ""q"" \r\nc"\r\n"",x\r\ny,z\r\n';
    const whole = fields(text);
    for (let i = 0; i <= text.length; i++)
      for (const j of [1, 2, 3]) expect(parseInChunks(text, [i, j])).toEqual(whole);
  });

  it('numbers lines the same however a quoted CRLF is cut into chunks', () => {
    const text = 'h\r\n"a\r\nb\r\nc"\r\nnext\r\n"x\ry"\r\nlast\r\n';
    const lines = parseCsv(text).map((r) => r.line);
    expect(lines).toEqual([1, 2, 5, 6, 8]);
    for (let i = 0; i <= text.length; i++)
      for (const j of [1, 2, 3]) expect(recordsInChunks(text, [i, j]).map((r) => r.line)).toEqual(lines);
  });

  it('refuses bad quoting and an unterminated field, naming the line', () => {
    expect(() => parseCsv('a,b\nx"y,z\n')).toThrow(CsvError);
    expect(() => parseCsv('a,b\nx"y,z\n')).toThrow('line 2: a quote inside an unquoted field');
    expect(() => parseCsv('a\n"ok"junk\n')).toThrow('line 2: text after a closing quote');
    expect(() => parseCsv('a\n\n"never closed\n')).toThrow('line 3: the file ends inside a quoted field');
  });
});

describe('writing', () => {
  it('quotes only what must be quoted, doubles quotes, ends records with CRLF', () => {
    expect(csvRecord(['plain', 'a,b', 'say "hi"', 'two\nlines', ' edge', ''])).toBe(
      'plain,"a,b","say ""hi""","two\nlines"," edge",\r\n',
    );
  });

  it('neutralises spreadsheet formulas with a leading apostrophe', () => {
    for (const cell of ['=HYPERLINK("x")', '+1', '-2', '@SUM(A1)', '\tx', '\rx'])
      expect(csvField(cell).replace(/^"/, '').startsWith(`'${cell[0]}`)).toBe(true);
    expect(neutralise("'=1")).toBe("''=1");
    expect(neutralise("it's")).toBe("it's");
    expect(neutralise('a=1')).toBe('a=1');
  });

  it('the import reverses the escape exactly, and leaves other apostrophes alone', () => {
    expect(unneutralise("'=1")).toBe('=1');
    expect(unneutralise("''=1")).toBe("'=1");
    expect(unneutralise("'quoted'")).toBe("'quoted'");
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom('=', '+', '-', '@', "'", 'a', ' ', '\t', '\r') }), (s) => {
        expect(unneutralise(neutralise(s))).toBe(s);
      }),
    );
  });

  it('round trip: any fields written and parsed back are the same fields', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.array(fc.string({ unit: fc.constantFrom('a', ',', '"', '\n', '\r', ' ', '=', "'", 'é') }), {
            minLength: 2,
            maxLength: 4,
          }),
          {
            minLength: 1,
            maxLength: 5,
          },
        ),
        (records) => {
          const text = records.map(csvRecord).join('');
          expect(fields(text).map((r) => r.map(unneutralise))).toEqual(records);
        },
      ),
    );
  });
});
