// dev/backup/store.ts — where backups live, and how every object in it is sealed.
//
// BackupStore is the small object-store interface the backups use: put / get / list / delete by key, with custom
// metadata, shaped after an R2 bucket (R2Bucket.put(key, body, { customMetadata }), get, list({ prefix }),
// delete(keys)). Production's twin is an R2 bucket; locally FolderStore plays its part: one file per object under
// `.data/backups`, its metadata beside it in `<file>.meta.json`, each written to a temp file and renamed, so a
// reader never sees half an object.
//
// Every object is sealed before it is stored: AES-256-GCM with a fresh 96-bit IV, the object's key as additional
// data (an object copied to another key does not open), and the SHA-256 of the sealed bytes in its metadata
// (`sha256`), checked before it is opened. Layout of a sealed object:
//   "SFB1" | key id (8 bytes: the first 8 of SHA-256(key)) | IV (12) | ciphertext | GCM tag (16)
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

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

/** A backup object that is not what was stored: its checksum or its GCM tag does not match. */
export class BackupIntegrityError extends Error {
  override name = 'BackupIntegrityError';
}

const KEY_RE = /^[A-Za-z0-9][A-Za-z0-9._-]*(\/[A-Za-z0-9][A-Za-z0-9._-]*)*$/;
const META_SUFFIX = '.meta.json';

/** The local stand-in for the R2 bucket: a folder. */
export class FolderStore implements BackupStore {
  readonly where: string;
  constructor(readonly root: string) {
    this.where = path.resolve(root);
  }
  private file(key: string): string {
    if (!KEY_RE.test(key) || key.endsWith(META_SUFFIX)) throw new Error(`backup store: bad object key ${key}`);
    return path.join(this.where, key);
  }
  async put(key: string, body: Uint8Array, meta: Record<string, string>): Promise<void> {
    const file = this.file(key);
    await fs.promises.mkdir(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    // Body first, metadata last: an object without its metadata is unfinished and list() leaves it out.
    await fs.promises.writeFile(tmp, body);
    await fs.promises.rename(tmp, file);
    await fs.promises.writeFile(`${tmp}.m`, JSON.stringify({ ...meta, size: String(body.byteLength) }));
    await fs.promises.rename(`${tmp}.m`, `${file}${META_SUFFIX}`);
  }
  async get(key: string): Promise<{ body: Buffer; meta: Record<string, string> } | null> {
    const file = this.file(key);
    try {
      const meta = JSON.parse(await fs.promises.readFile(`${file}${META_SUFFIX}`, 'utf8')) as Record<string, string>;
      return { body: await fs.promises.readFile(file), meta };
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
        else if (e.name.endsWith(META_SUFFIX)) {
          const key = path.relative(this.where, full).slice(0, -META_SUFFIX.length).split(path.sep).join('/');
          if (!key.startsWith(prefix)) continue;
          try {
            const meta = JSON.parse(await fs.promises.readFile(full, 'utf8')) as Record<string, string>;
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
      const file = this.file(key);
      await fs.promises.rm(`${file}${META_SUFFIX}`, { force: true });
      await fs.promises.rm(file, { force: true });
    }
  }
}

// ---- the key ----

/** Only for the local stack (`npm run dev`, and `npm run backup` / `restore` on its folder store). */
export const DEV_BACKUP_KEY = 'ZGV2LW9ubHktc3RvcmVmcm9udC1iYWNrdXAta2V5ISE='; // base64 of 32 bytes: "dev-only-storefront-backup-key!!"
export const KEY_ENV = 'BACKUP_ENCRYPTION_KEY';

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
  return { key, id: createHash('sha256').update(key).digest('hex').slice(0, 16), dev };
}

/** The key from BACKUP_ENCRYPTION_KEY; the dev default only where allowed (the local folder store). */
export function resolveKey(env: NodeJS.ProcessEnv, allowDevDefault: boolean): BackupKey {
  const text = env[KEY_ENV];
  if (text?.trim()) return parseKey(text);
  if (!allowDevDefault) throw new Error(`${KEY_ENV} is not set (32 bytes, base64): backups are always encrypted`);
  return parseKey(DEV_BACKUP_KEY, true);
}

// ---- sealing ----

const MAGIC = Buffer.from('SFB1');
const HEADER = MAGIC.length + 8 + 12;
const TAG = 16;

export const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

export function seal(k: BackupKey, objectKey: string, plain: Uint8Array): Buffer {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', k.key, iv);
  cipher.setAAD(Buffer.from(objectKey));
  const body = Buffer.concat([cipher.update(plain), cipher.final()]);
  return Buffer.concat([MAGIC, Buffer.from(k.id, 'hex'), iv, body, cipher.getAuthTag()]);
}

export function open(k: BackupKey, objectKey: string, sealed: Buffer): Buffer {
  if (sealed.length < HEADER + TAG || !sealed.subarray(0, 4).equals(MAGIC))
    throw new BackupIntegrityError(`${objectKey}: not a sealed backup object`);
  const keyId = sealed.subarray(4, 12).toString('hex');
  if (keyId !== k.id)
    throw new Error(
      `${objectKey}: sealed with key ${keyId}, but ${KEY_ENV} is key ${k.id}: set the key it was made with`,
    );
  const decipher = createDecipheriv('aes-256-gcm', k.key, sealed.subarray(12, HEADER));
  decipher.setAAD(Buffer.from(objectKey));
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG));
  try {
    return Buffer.concat([decipher.update(sealed.subarray(HEADER, sealed.length - TAG)), decipher.final()]);
  } catch {
    throw new BackupIntegrityError(`${objectKey}: GCM authentication failed (the object was altered or damaged)`);
  }
}

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
  const sum = sha256(got.body);
  if (sum !== got.meta.sha256 || (expected && sum !== expected))
    throw new BackupIntegrityError(
      `${key}: SHA-256 mismatch (stored bytes ${sum.slice(0, 16)}…, recorded ${(expected ?? got.meta.sha256 ?? 'none').slice(0, 16)}…)`,
    );
  return { plain: open(k, key, got.body), meta: got.meta };
}
