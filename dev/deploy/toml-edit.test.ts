// Writing a KV id back into a wrangler.toml changes that one line and keeps every comment.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { experimental_readRawConfig } from 'wrangler';
import { projectRoot } from '../stack';
import { setKvNamespaceId, writeKvNamespaceId } from './toml-edit';

const id = '0123456789abcdef0123456789abcdef';
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'storefront-toml-edit-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** The lines of `before` and `after` that differ, as [before, after] pairs (same line count expected). */
const changedLines = (before: string, after: string) => {
  const a = before.split('\n');
  const b = after.split('\n');
  expect(b).toHaveLength(a.length);
  return a.flatMap((line, i) => (line === b[i] ? [] : [[line, b[i]]]));
};

describe('writeKvNamespaceId on a copy of the real catalog config', () => {
  it('changes only the id line of the binding, keeps the comments, and wrangler reads the new id', () => {
    const file = path.join(tmp, 'catalog.toml');
    const original = fs.readFileSync(path.join(projectRoot, 'workers/catalog/wrangler.toml'), 'utf8');
    fs.writeFileSync(file, original);
    writeKvNamespaceId(file, 'CATALOG_META', id);
    const after = fs.readFileSync(file, 'utf8');
    expect(changedLines(original, after)).toEqual([['id = "storefront-catalog-meta"', `id = "${id}"`]]);
    const comments = (text: string) => text.split('\n').filter((l) => l.trim().startsWith('#'));
    expect(comments(after)).toEqual(comments(original));
    expect(comments(after).length).toBeGreaterThan(3);
    const { rawConfig } = experimental_readRawConfig({ config: file });
    expect(rawConfig.kv_namespaces).toEqual([{ binding: 'CATALOG_META', id }]);
  });

  it('leaves an already correct file untouched', () => {
    const file = path.join(tmp, 'same.toml');
    fs.writeFileSync(file, `name = "w"\n\n[[kv_namespaces]]\nbinding = "META"\nid = "${id}"\n`);
    const before = fs.statSync(file).mtimeMs;
    writeKvNamespaceId(file, 'META', id);
    expect(fs.statSync(file).mtimeMs).toBe(before);
  });

  it('names the file when the binding is not there, and does not write it', () => {
    const file = path.join(tmp, 'none.toml');
    fs.writeFileSync(file, 'name = "w"\n');
    expect(() => writeKvNamespaceId(file, 'META', id)).toThrow(`${file}: no [[kv_namespaces]] table with binding`);
    expect(fs.readFileSync(file, 'utf8')).toBe('name = "w"\n');
  });
});

describe('setKvNamespaceId', () => {
  const two = [
    '# two namespaces',
    '[[kv_namespaces]]',
    'id = "old-first" # the id comes first here',
    'binding = "FIRST"',
    '',
    '[[kv_namespaces]]',
    '  binding = "SECOND"',
    "  id = 'old-second'  # single quotes",
    '',
    '[vars]',
    'id = "not a kv id"',
  ].join('\n');

  it('edits the table of that binding only, keeping quotes, indentation and trailing comments', () => {
    expect(changedLines(two, setKvNamespaceId(two, 'SECOND', id))).toEqual([
      ["  id = 'old-second'  # single quotes", `  id = '${id}'  # single quotes`],
    ]);
    expect(changedLines(two, setKvNamespaceId(two, 'FIRST', id))).toEqual([
      ['id = "old-first" # the id comes first here', `id = "${id}" # the id comes first here`],
    ]);
  });

  it('adds an id line after the binding when the table has none', () => {
    const text = '[[kv_namespaces]]\r\n  binding = "META"\r\n\r\n[vars]\r\nX = "1"\r\n';
    expect(setKvNamespaceId(text, 'META', id)).toBe(
      `[[kv_namespaces]]\r\n  binding = "META"\r\n  id = "${id}"\r\n\r\n[vars]\r\nX = "1"\r\n`,
    );
  });

  it('refuses what it cannot edit safely', () => {
    expect(() => setKvNamespaceId(two, 'THIRD', id)).toThrow('no [[kv_namespaces]] table with binding = "THIRD"');
    const twice = '[[kv_namespaces]]\nbinding = "A"\n[[kv_namespaces]]\nbinding = "A"\n';
    expect(() => setKvNamespaceId(twice, 'A', id)).toThrow('appears 2 times');
    const inline = 'kv_namespaces = [{ binding = "A", id = "x" }]\n';
    expect(() => setKvNamespaceId(inline, 'A', id)).toThrow('written inline');
  });
});
