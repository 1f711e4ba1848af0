// dev/backup/pack.ts — a PostgreSQL data directory as a stream of entries and back (the base backup's file copy,
// taken between pg_backup_start and pg_backup_stop). Each entry: a 4-byte big-endian header length, the header as
// JSON ({ p: path, t: 'd' | 'f' | 'l', m: mode, s: size, l: link target }), then `s` bytes of content for a file.
// Left out, as PostgreSQL's documentation on base backups says: the WAL (restored from the archive instead), the
// server's lock and option files, replication slots and the directories the server empties at start (only the
// directories themselves are kept).
import fs from 'node:fs';
import path from 'node:path';

const SKIP_FILES = new Set([
  'postmaster.pid',
  'postmaster.opts',
  'backup_label',
  'backup_label.old',
  'tablespace_map',
  'standby.signal',
  'recovery.signal',
  'current_logfiles',
]);
const EMPTY_DIRS = new Set([
  'pg_wal',
  'pg_replslot',
  'pg_dynshmem',
  'pg_notify',
  'pg_serial',
  'pg_snapshots',
  'pg_stat_tmp',
  'pg_subtrans',
]);

interface Header {
  p: string;
  t: 'd' | 'f' | 'l';
  m: number;
  s?: number;
  l?: string;
}

function entry(h: Header, content?: Buffer): Buffer[] {
  const json = Buffer.from(JSON.stringify(h));
  const len = Buffer.alloc(4);
  len.writeUInt32BE(json.length);
  return content ? [len, json, content] : [len, json];
}

/** The entries of a live data directory; files that vanish while it is read (a dropped table) are left out. */
export async function* packDir(root: string, stats: { files: number; bytes: number }): AsyncGenerator<Buffer> {
  async function* walk(rel: string): AsyncGenerator<Buffer> {
    let names: fs.Dirent[];
    try {
      names = await fs.promises.readdir(path.join(root, rel), { withFileTypes: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw e;
    }
    for (const d of names.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = rel ? `${rel}/${d.name}` : d.name;
      const full = path.join(root, p);
      if (SKIP_FILES.has(p) || d.name === 'pg_internal.init' || d.name.startsWith('pgsql_tmp')) continue;
      try {
        if (d.isDirectory()) {
          const st = await fs.promises.stat(full);
          yield* entry({ p, t: 'd', m: st.mode & 0o7777 });
          if (!EMPTY_DIRS.has(p)) yield* walk(p);
        } else if (d.isSymbolicLink()) {
          yield* entry({ p, t: 'l', m: 0o777, l: await fs.promises.readlink(full) });
        } else if (d.isFile()) {
          const st = await fs.promises.stat(full);
          const content = await fs.promises.readFile(full);
          stats.files++;
          stats.bytes += content.length;
          yield* entry({ p, t: 'f', m: st.mode & 0o7777, s: content.length }, content);
        }
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
    }
  }
  yield* walk('');
}

/** Writes the entries read from `chunks` under `root` (which must exist); returns how many files. */
export async function unpackInto(root: string, chunks: AsyncIterable<Buffer>): Promise<number> {
  // Chunks are kept in a list and joined only when a whole header or file is there (no quadratic copying).
  let parts: Buffer[] = [];
  let have = 0;
  const take = (n: number): Buffer | undefined => {
    if (have < n) return undefined;
    const all = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    const out = all.subarray(0, n);
    parts = all.length > n ? [all.subarray(n)] : [];
    have -= n;
    return out;
  };
  let header: Header | undefined;
  let files = 0;
  const target = (p: string) => {
    const full = path.resolve(root, p);
    if (!full.startsWith(`${path.resolve(root)}${path.sep}`))
      throw new Error(`backup: entry outside the data dir: ${p}`);
    return full;
  };
  for await (const chunk of chunks) {
    parts.push(chunk);
    have += chunk.length;
    for (;;) {
      if (!header) {
        if (have < 4) break;
        const len = (parts[0]!.length >= 4 ? parts[0]! : Buffer.concat(parts)).readUInt32BE(0);
        if (have < 4 + len) break;
        header = JSON.parse(
          take(4 + len)!
            .subarray(4)
            .toString('utf8'),
        ) as Header;
        if (header.t === 'd') {
          await fs.promises.mkdir(target(header.p), { recursive: true, mode: header.m });
          await fs.promises.chmod(target(header.p), header.m);
          header = undefined;
        } else if (header.t === 'l') {
          await fs.promises.symlink(header.l ?? '', target(header.p));
          header = undefined;
        }
        continue;
      }
      const content = take(header.s ?? 0);
      if (!content) break;
      await fs.promises.writeFile(target(header.p), content, { mode: header.m });
      files++;
      header = undefined;
    }
  }
  if (header || have) throw new Error('backup: the base backup ends in the middle of an entry (truncated)');
  return files;
}
