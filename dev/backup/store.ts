// dev/backup/store.ts — where backups live, and how every object in it is sealed.
//
// BackupStore is the small object-store interface the backups use: put / get / list / delete by key, with custom
// metadata, shaped after an R2 bucket (R2Bucket.put(key, body, { customMetadata }), get, list({ prefix }),
// delete(keys)). Production's twin is an R2 bucket (a put publishes body and metadata at once); locally FolderStore
// plays its part: one file per object under `.data/backups` holding its metadata and body, written to a temp file,
// fsynced and renamed (then the folder fsynced), so a reader never sees half an object, or one put's body beside
// another's metadata.
//
// Every object is sealed before it is stored: AES-256-GCM with a fresh 96-bit IV, the object's key as additional
// data (an object copied to another key does not open), and the SHA-256 of the sealed bytes in its metadata
// (`sha256`), checked before it is opened. The format is in dev/backup/sealed.mjs, shared with the restore_command.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import {
  BackupIntegrityError,
  checkSum,
  encodeFolderObject,
  KEY_ENV,
  keyIdOf,
  open,
  readFolderMeta,
  readFolderObject,
  seal,
  sha256,
} from './sealed.mjs';

export { BackupIntegrityError, KEY_ENV, open, seal, sha256 };

export interface StoredObject {
  key: string;
  size: number;
  meta: Record<string, string>;
}
export interface BackupStore {
  /** Where it is, for messages (a folder, or r2://bucket). */
  readonly where: string;
  put(key: string, body: Uint8Array, meta: Record<string, string>): Promise<void>;
  get(key: string): Promise<{ body: Buffer; meta: Record<string, string> } | null>;
  /** Every object whose key starts with prefix, in key order. */
  list(prefix: string): Promise<StoredObject[]>;
  delete(keys: string[]): Promise<void>;
}

const KEY_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)*$/;
const TMP = /\.tmp$/;

/** The local stand-in for the R2 bucket: a folder. */
export class FolderStore implements BackupStore {
  readonly where: string;
  constructor(readonly root: string) {
    this.where = path.resolve(root);
  }
  private file(key: string): string {
    if (!KEY_RE.test(key) || TMP.test(key)) throw new Error(`backup store: bad object key ${key}`);
    return path.join(this.where, key);
  }
  async put(key: string, body: Uint8Array, meta: Record<string, string>): Promise<void> {
    const file = this.file(key);
    await fs.promises.mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    // One file, one rename: body and metadata are published together. Synced before and after the rename, so
    // that an object the store has taken (and whose source is then deleted) survives a crash.
    const fh = await fs.promises.open(tmp, 'w');
    try {
      await fh.writeFile(encodeFolderObject(body, { ...meta, size: String(body.byteLength) }));
      await fh.sync();
    } finally {
      await fh.close();
    }
    await fs.promises.rename(tmp, file);
    const dir = await fs.promises.open(path.dirname(file), 'r');
    try {
      await dir.sync();
    } finally {
      await dir.close();
    }
  }
  async get(key: string): Promise<{ body: Buffer; meta: Record<string, string> } | null> {
    const file = this.file(key);
    try {
      return readFolderObject(file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
  }
  async list(prefix: string): Promise<StoredObject[]> {
    const out: StoredObject[] = [];
    const walk = async (dir: string) => {
      let entries: fs.Dirent[];
      try {
        entries = await fs.promises.readdir(dir, { withFileTypes: true });
      } catch {
        return;
      }
      for (const e of entries) {
        const full = path.join(dir, e.name);
        if (e.isDirectory()) await walk(full);
        else if (!TMP.test(e.name)) {
          const key = path.relative(this.where, full).split(path.sep).join('/');
          if (!key.startsWith(prefix)) continue;
          try {
            const meta = await readFolderMeta(full);
            out.push({ key, size: Number(meta.size), meta });
          } catch {
            /* deleted meanwhile */
          }
        }
      }
    };
    // Walk only the folder the prefix names (keys are paths).
    const dirPart = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
    await walk(path.join(this.where, dirPart));
    return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  }
  async delete(keys: string[]): Promise<void> {
    for (const key of keys) {
      await fs.promises.rm(this.file(key), { force: true });
    }
  }
}

// ---- the key ----

/** Only for the local stack (`npm run dev`, and `npm run backup` / `restore` on its folder store). */
export const DEV_BACKUP_KEY = 'ZGV2LW9ubHktc3RvcmVmcm9udC1iYWNrdXAta2V5ISE='; // base64 of 32 bytes: "dev-only-storefront-backup-key!!"

export interface BackupKey {
  key: Buffer;
  /** First 8 bytes of SHA-256(key), hex: names the key in every object without revealing it. */
  id: string;
  dev: boolean;
}

/** 32 bytes, as base64 or 64 hex digits. */
export function parseKey(text: string, dev = false): BackupKey {
  const t = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(t) ? Buffer.from(t, 'hex') : Buffer.from(t, 'base64');
  if (key.length !== 32 || (!/^[0-9a-fA-F]{64}$/.test(t) && key.toString('base64') !== t))
    throw new Error(`${KEY_ENV} must be 32 bytes, as base64 (44 characters) or 64 hex digits`);
  return { key, id: keyIdOf(key), dev };
}

/** The key from BACKUP_ENCRYPTION_KEY; the dev default only where allowed (the local folder store). */
export function resolveKey(env: NodeJS.ProcessEnv, allowDevDefault: boolean): BackupKey {
  const text = env[KEY_ENV];
  if (text?.trim()) return parseKey(text);
  if (!allowDevDefault) throw new Error(`${KEY_ENV} is not set (32 bytes, base64): backups are always encrypted`);
  return parseKey(DEV_BACKUP_KEY, true);
}

// ---- sealing (dev/backup/sealed.mjs) ----

/** Seals and stores; returns the stored bytes' SHA-256. */
export async function putSealed(
  store: BackupStore,
  k: BackupKey,
  key: string,
  plain: Uint8Array,
  meta: Record<string, string> = {},
): Promise<{ sha256: string; size: number }> {
  const sealed = seal(k, key, plain);
  const sum = sha256(sealed);
  await store.put(key, sealed, { ...meta, sha256: sum, keyId: k.id });
  return { sha256: sum, size: sealed.length };
}

/** Fetches, checks the SHA-256 (against the metadata, and `expected` when given), opens. Null when absent. */
export async function getSealed(
  store: BackupStore,
  k: BackupKey,
  key: string,
  expected?: string,
): Promise<{ plain: Buffer; meta: Record<string, string> } | null> {
  const got = await store.get(key);
  if (!got) return null;
  checkSum(key, got.body, got.meta, expected);
  return { plain: open(k, key, got.body), meta: got.meta };
}
