// Image bytes for the merchant image tests: a real 1×1 PNG with a random tail after its end (decoders ignore it), so
// every call is new content (uploads are content-addressed), and the magic numbers of the other accepted formats.
import { client, merchantToken, ok } from './helpers';

const PNG_1X1 = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==';

export function pngBytes(): Uint8Array {
  const png = Buffer.from(PNG_1X1, 'base64');
  return new Uint8Array(Buffer.concat([png, Buffer.from(crypto.randomUUID())]));
}

const withTail = (head: number[] | string) =>
  new Uint8Array(Buffer.concat([Buffer.from(head as never), Buffer.from(crypto.randomUUID())]));

/** The first bytes of each accepted format, and the type the upload must read from them. */
export const samples = () => ({
  'image/jpeg': withTail([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46]),
  'image/gif': withTail('GIF89a\x01\x00\x01\x00'),
  'image/webp': withTail('RIFF\x24\x00\x00\x00WEBPVP8 '),
  'image/avif': withTail([0, 0, 0, 0x1c, ...Buffer.from('ftypavif'), 0, 0, 0, 0, ...Buffer.from('avifmif1miaf')]),
});

/** POST /v1/admin/images through the typed client, the body sent as is. */
export async function upload(bytes: Uint8Array, token?: string, contentType = 'image/png') {
  return client(token ?? (await merchantToken())).POST('/v1/admin/images', {
    body: bytes as never,
    bodySerializer: (b: unknown) => b as never,
    headers: { 'content-type': contentType },
  });
}

export const uploadPng = async () => ok('upload', upload(pngBytes()));
