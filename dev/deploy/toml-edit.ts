// Writes a KV namespace id into a wrangler.toml by editing the one `id = "…"` line of that binding's
// [[kv_namespaces]] table, so every comment and the layout stay as they were (a TOML re-serialization would
// drop the comments that document the vars).
import fs from 'node:fs';
import { experimental_readRawConfig } from 'wrangler';

const HEADER = /^\s*\[/;
const KV_HEADER = /^\s*\[\[\s*kv_namespaces\s*\]\]\s*(#.*)?$/;
const BINDING = /^\s*binding\s*=\s*(["'])([^"']*)\1\s*(#.*)?$/;
const ID = /^(\s*id\s*=\s*)(["'])([^"']*)\2(.*)$/;
const INLINE_KV = /^\s*kv_namespaces\s*=/;

/**
 * `text` with the id of KV binding `binding` set to `id` (inserted after the binding line if it has none).
 * Throws when the file has no such [[kv_namespaces]] table, has it twice, or writes KV bindings inline.
 */
export function setKvNamespaceId(text: string, binding: string, id: string): string {
  const lines = text.split('\n');
  if (lines.some((l) => INLINE_KV.test(l))) {
    throw new Error('kv_namespaces is written inline; write each binding as a [[kv_namespaces]] table');
  }
  const blocks: { bindingLine: number; idLine?: number }[] = [];
  let current: { bindingLine?: number; idLine?: number; name?: string } | undefined;
  const close = () => {
    if (current?.name === binding && current.bindingLine !== undefined) {
      blocks.push({ bindingLine: current.bindingLine, idLine: current.idLine });
    }
  };
  lines.forEach((line, i) => {
    if (HEADER.test(line)) {
      close();
      current = KV_HEADER.test(line) ? {} : undefined;
      return;
    }
    if (!current) return;
    const b = BINDING.exec(line);
    if (b) {
      current.name = b[2];
      current.bindingLine = i;
    } else if (ID.test(line)) current.idLine = i;
  });
  close();
  if (blocks.length === 0) throw new Error(`no [[kv_namespaces]] table with binding = "${binding}"`);
  if (blocks.length > 1) throw new Error(`[[kv_namespaces]] binding = "${binding}" appears ${blocks.length} times`);
  const [block] = blocks as [{ bindingLine: number; idLine?: number }];
  if (block.idLine !== undefined) {
    lines[block.idLine] = lines[block.idLine]!.replace(
      ID,
      (_m, lead, quote, _old, rest) => `${lead}${quote}${id}${quote}${rest}`,
    );
  } else {
    const bindingLine = lines[block.bindingLine]!;
    const indent = /^\s*/.exec(bindingLine)![0];
    lines.splice(block.bindingLine + 1, 0, `${indent}id = "${id}"${bindingLine.endsWith('\r') ? '\r' : ''}`);
  }
  return lines.join('\n');
}

/** Writes the id into the config file and reads it back with wrangler's parser to prove the edit took. */
export function writeKvNamespaceId(configFile: string, binding: string, id: string): void {
  const before = fs.readFileSync(configFile, 'utf8');
  let after: string;
  try {
    after = setKvNamespaceId(before, binding, id);
  } catch (err) {
    throw new Error(`${configFile}: ${(err as Error).message}`);
  }
  if (after === before) return;
  fs.writeFileSync(configFile, after);
  const { rawConfig } = experimental_readRawConfig({ config: configFile });
  const written = (rawConfig.kv_namespaces ?? []).find((k: { binding: string }) => k.binding === binding);
  if (written?.id !== id) {
    fs.writeFileSync(configFile, before);
    throw new Error(`${configFile}: the edit did not give ${binding} the id ${id}; file left as it was`);
  }
}
