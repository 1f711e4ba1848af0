// dev/backup/restore-wal.mjs — the restore_command of a cluster being restored (dev/backup/restore.ts): fetches one
// WAL file from the folder backup store, checks its SHA-256, opens it (AES-256-GCM, the object key as additional
// data), gunzips it and writes it where PostgreSQL asked. Plain JavaScript, so that each call is a bare `node`
// start (PostgreSQL runs it once per segment). The format is dev/backup/store.ts's; keep the two in step.
// Usage: node restore-wal.mjs <store folder> <system id> <key file> <integrity-failure marker> %f %p
// Exit 1: no such file (PostgreSQL's "end of the archive"). Exit 200 (> 125): the object is damaged or altered;
// PostgreSQL then aborts the recovery instead of taking it for the end of the archive, and the marker says why.
import { createDecipheriv, createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';

const [storeDir, systemId, keyFile, marker, name, target] = process.argv.slice(2);
const key = `${systemId}/wal/${name}`;
const file = path.join(storeDir, key);
let body;
let meta;
const fail = (why) => {
  fs.writeFileSync(marker, `${key}: ${why}\n`, { flag: 'a' });
  console.error(`restore-wal: ${key}: ${why}`);
  process.exit(200);
};
try {
  meta = JSON.parse(fs.readFileSync(`${file}.meta.json`, 'utf8'));
  body = fs.readFileSync(file);
} catch (e) {
  // Only a missing object is the end of the archive; one that cannot be read must not end the recovery early.
  if (e.code === 'ENOENT') process.exit(1);
  fail(`cannot be read: ${e.message}`);
}
const sum = createHash('sha256').update(body).digest('hex');
if (sum !== meta.sha256)
  fail(`SHA-256 mismatch (stored bytes ${sum.slice(0, 16)}…, recorded ${meta.sha256?.slice(0, 16)}…)`);
const k = Buffer.from(fs.readFileSync(keyFile, 'utf8').trim(), 'hex');
if (body.length < 40 || body.subarray(0, 4).toString() !== 'SFB1') fail('not a sealed backup object');
const decipher = createDecipheriv('aes-256-gcm', k, body.subarray(12, 24));
decipher.setAAD(Buffer.from(key));
decipher.setAuthTag(body.subarray(body.length - 16));
let plain;
try {
  plain = Buffer.concat([decipher.update(body.subarray(24, body.length - 16)), decipher.final()]);
} catch {
  fail('GCM authentication failed (the object was altered or damaged)');
}
fs.writeFileSync(target, zlib.gunzipSync(plain));
