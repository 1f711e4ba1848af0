// The development JWT signing key: generated once per data folder and kept, so tokens survive restarts.
import fs from 'node:fs';
import path from 'node:path';
import { exportJWK, generateKeyPair, type JWK } from 'jose';

export async function newSigningKey(kid: string): Promise<JWK> {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  return { ...(await exportJWK(privateKey)), kid, alg: 'ES256', use: 'sig' };
}

export async function devSigningKey(dataRoot: string): Promise<JWK> {
  const file = path.join(dataRoot, 'keys', 'jwt-signing-key.json');
  if (fs.existsSync(file)) return JSON.parse(fs.readFileSync(file, 'utf8')) as JWK;
  const key = await newSigningKey(`dev-${new Date().toISOString().slice(0, 10)}-${crypto.randomUUID().slice(0, 8)}`);
  fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  fs.writeFileSync(file, JSON.stringify(key), { mode: 0o600 });
  return key;
}
