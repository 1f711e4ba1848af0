// dev/backup/sealed.mjs — the one implementation of the backup objects' format, shared by dev/backup/store.ts and
// the restore_command (dev/backup/restore-wal.mjs, a bare `node` start per WAL segment: hence plain JavaScript;
// its types are in sealed.d.mts).
//
// A sealed object: AES-256-GCM with a fresh 96-bit IV, the object's key as additional data (an object copied to
// another key does not open). Layout:
//   "SFB1" | key id (8 bytes: the first 8 of SHA-256(key)) | IV (12) | ciphertext | GCM tag (16)
//
// A folder store object (FolderStore, R2's local stand-in): ONE file per object, so that one rename publishes the
// body and its metadata together (two files renamed one after the other could pair one put's body with another's
// checksum):
//   "SFO1" | metadata length (uint32, big-endian) | metadata (JSON) | body
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';

export const KEY_ENV = 'BACKUP_ENCRYPTION_KEY';

/** A backup object that is not what was stored: its checksum or its GCM tag does not match. */
export class BackupIntegrityError extends Error {
  name = 'BackupIntegrityError';
}

const MAGIC = Buffer.from('SFB1');
const HEADER = MAGIC.length + 8 + 12;
const TAG = 16;

export const sha256 = (b) => createHash('sha256').update(b).digest('hex');

/** First 8 bytes of SHA-256(key), hex: names the key in every object without revealing it. */
export const keyIdOf = (key) => sha256(key).slice(0, 16);

export function seal(k, objectKey, plain) {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', k.key, iv);
  cipher.setAAD(Buffer.from(objectKey));
  const body = Buffer.concat([cipher.update(plain), cipher.final()]);
  return Buffer.concat([MAGIC, Buffer.from(k.id, 'hex'), iv, body, cipher.getAuthTag()]);
}

export function open(k, objectKey, sealed) {
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

/** Checks the stored bytes' SHA-256 against the metadata (and `expected` when given). */
export function checkSum(objectKey, body, meta, expected) {
  const sum = sha256(body);
  if (sum !== meta.sha256 || (expected && sum !== expected))
    throw new BackupIntegrityError(
      `${objectKey}: SHA-256 mismatch (stored bytes ${sum.slice(0, 16)}…, recorded ${(expected ?? meta.sha256 ?? 'none').slice(0, 16)}…)`,
    );
}

// ---- the folder store's files ----

const OBJ_MAGIC = Buffer.from('SFO1');

export function encodeFolderObject(body, meta) {
  const m = Buffer.from(JSON.stringify(meta));
  const len = Buffer.alloc(4);
  len.writeUInt32BE(m.length);
  return Buffer.concat([OBJ_MAGIC, len, m, body]);
}

/** The object in one folder store file; throws ENOENT when absent, and on a file that is not one. */
export function decodeFolderObject(file, bytes) {
  if (bytes.length < 8 || !bytes.subarray(0, 4).equals(OBJ_MAGIC)) throw new Error(`${file}: not a backup object file`);
  const end = 8 + bytes.readUInt32BE(4);
  if (end > bytes.length) throw new Error(`${file}: truncated backup object file`);
  return { meta: JSON.parse(bytes.subarray(8, end).toString('utf8')), body: bytes.subarray(end) };
}

export function readFolderObject(file) {
  return decodeFolderObject(file, fs.readFileSync(file));
}

/** Only the metadata (for listing): reads the header, not the body. */
export async function readFolderMeta(file) {
  const fh = await fs.promises.open(file, 'r');
  try {
    const head = Buffer.alloc(8);
    await fh.read(head, 0, 8, 0);
    if (!head.subarray(0, 4).equals(OBJ_MAGIC)) throw new Error(`${file}: not a backup object file`);
    const m = Buffer.alloc(head.readUInt32BE(4));
    const { bytesRead } = await fh.read(m, 0, m.length, 8);
    if (bytesRead !== m.length) throw new Error(`${file}: truncated backup object file`);
    return JSON.parse(m.toString('utf8'));
  } finally {
    await fh.close();
  }
}
