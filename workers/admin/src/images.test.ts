// The image type comes from the bytes: each accepted format by its magic numbers, and look-alikes refused.
import { describe, expect, it } from 'vitest';
import { sniffImage } from './images';

const bytes = (...parts: (number[] | string)[]) =>
  new Uint8Array(parts.flatMap((p) => (typeof p === 'string' ? [...p].map((ch) => ch.charCodeAt(0)) : p)));
const ftyp = (major: string, ...compatible: string[]) => {
  const body = `ftyp${major}\0\0\0\0${compatible.join('')}`;
  return bytes([0, 0, 0, body.length + 4], body, 'rest of the file');
};

describe('sniffImage', () => {
  it('knows PNG, JPEG, WebP, GIF and AVIF by their first bytes', () => {
    const cases: [Uint8Array, string][] = [
      [bytes([0x89], 'PNG\r\n\x1a\n', 'IHDR'), 'image/png'],
      [bytes([0xff, 0xd8, 0xff, 0xe0], 'JFIF'), 'image/jpeg'],
      [bytes('RIFF', [1, 2, 3, 4], 'WEBPVP8 '), 'image/webp'],
      [bytes('GIF87a', [1, 0, 1, 0]), 'image/gif'],
      [bytes('GIF89a', [1, 0, 1, 0]), 'image/gif'],
      [ftyp('avif', 'mif1', 'miaf'), 'image/avif'],
      [ftyp('avis', 'msf1'), 'image/avif'],
      [ftyp('mif1', 'miaf', 'avif'), 'image/avif'],
    ];
    for (const [b, type] of cases) expect(sniffImage(b)?.type, type).toBe(type);
  });

  it('refuses everything else, look-alikes and truncated headers included', () => {
    const refused = [
      bytes('<svg xmlns="http://www.w3.org/2000/svg"/>'),
      bytes('<html><script>alert(1)</script>'),
      bytes('%PDF-1.7'),
      bytes('RIFF', [1, 2, 3, 4], 'WAVEfmt '),
      bytes('GIF88a'),
      bytes([0x89], 'PNG'),
      bytes([0xff, 0xd8]),
      ftyp('heic', 'mif1', 'heic'),
      ftyp('isom', 'mp41'),
      new Uint8Array(0),
    ];
    for (const b of refused) expect(sniffImage(b), new TextDecoder().decode(b)).toBeNull();
  });
});
