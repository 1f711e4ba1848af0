// dev/backup/restore-wal.mjs — the restore_command of a cluster being restored (dev/backup/restore.ts): fetches one
// WAL file from the folder backup store, checks its SHA-256, opens it (AES-256-GCM, the object key as additional
// data, the key id checked first), gunzips it and writes it where PostgreSQL asked. Plain JavaScript, so that each
// call is a bare `node` start (PostgreSQL runs it once per segment); the format is dev/backup/sealed.mjs's, the
// same code dev/backup/store.ts uses.
// Usage: node restore-wal.mjs <store folder> <system id> <key file> <integrity-failure marker> %f %p
// Exit 1: no such file (PostgreSQL's "end of the archive"). Exit 200 (> 125): the object is damaged or altered, or
// sealed with another key; PostgreSQL then aborts the recovery instead of taking it for the end of the archive,
// and the marker says why.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { checkSum, keyIdOf, open, readFolderObject } from './sealed.mjs';

const [storeDir, systemId, keyFile, marker, name, target] = process.argv.slice(2);
const key = `${systemId}/wal/${name}`;
const fail = (why) => {
  fs.writeFileSync(marker, `${why.startsWith(key) ? why : `${key}: ${why}`}\n`, { flag: 'a' });
  console.error(`restore-wal: ${why}`);
  process.exit(200);
};
let obj;
try {
  obj = readFolderObject(path.join(storeDir, key));
} catch (e) {
  // Only a missing object is the end of the archive; one that cannot be read must not end the recovery early.
  if (e.code === 'ENOENT') process.exit(1);
  fail(`cannot be read: ${e.message}`);
}
const k = Buffer.from(fs.readFileSync(keyFile, 'utf8').trim(), 'hex');
let plain;
try {
  checkSum(key, obj.body, obj.meta);
  plain = open({ key: k, id: keyIdOf(k) }, key, obj.body);
} catch (e) {
  fail(e.message);
}
fs.writeFileSync(target, zlib.gunzipSync(plain));
