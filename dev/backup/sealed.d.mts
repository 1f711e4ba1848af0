// Types of dev/backup/sealed.mjs.
export const KEY_ENV: 'BACKUP_ENCRYPTION_KEY';
export class BackupIntegrityError extends Error {}
export interface SealingKey {
  key: Buffer;
  /** First 8 bytes of SHA-256(key), hex. */
  id: string;
}
export function sha256(b: Uint8Array): string;
export function keyIdOf(key: Uint8Array): string;
export function seal(k: SealingKey, objectKey: string, plain: Uint8Array): Buffer;
export function open(k: SealingKey, objectKey: string, sealed: Buffer): Buffer;
export function checkSum(objectKey: string, body: Buffer, meta: Record<string, string>, expected?: string): void;
export function encodeFolderObject(body: Uint8Array, meta: Record<string, string>): Buffer;
export function decodeFolderObject(file: string, bytes: Buffer): { meta: Record<string, string>; body: Buffer };
export function readFolderObject(file: string): { meta: Record<string, string>; body: Buffer };
export function readFolderMeta(file: string): Promise<Record<string, string>>;
