// GET /images/<sha-256>.<ext>: product images from R2 (uploaded through POST /v1/admin/images), public. The name is
// the hash of the bytes, so an answer never changes: cached for a year, immutable, with the type its extension
// names (the upload sniffed it from the bytes) and `nosniff` (the security headers) so a browser never guesses.
import { createRoute, z } from '@hono/zod-openapi';
import { ifNoneMatchMatches } from '../../../../lib/catalog/etag';
import { AppError } from '../../../../lib/errors';
import { failure } from './openapi';
import { router } from './router';

export const imageRoutes = router();

const contentTypes: Record<string, string> = {
  png: 'image/png',
  jpg: 'image/jpeg',
  webp: 'image/webp',
  gif: 'image/gif',
  avif: 'image/avif',
};

const ImageFile = z.object({
  file: z
    .string()
    .regex(/^[0-9a-f]{64}\.(png|jpg|webp|gif|avif)$/, 'a sha-256 hex name with png, jpg, webp, gif or avif')
    .openapi({ example: `${'0'.repeat(64)}.png` }),
});

imageRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/{file}',
    tags: ['Catalog'],
    summary: 'A product image (immutable: its name is the hash of its bytes)',
    request: { params: ImageFile },
    responses: {
      200: {
        description: 'The image',
        content: Object.fromEntries(
          Object.values(contentTypes).map((t) => [t, { schema: z.string().openapi({ format: 'binary' }) }]),
        ),
      },
      304: { description: 'Not modified (If-None-Match)' },
      400: failure('Not an image name'),
      404: failure('No such image'),
    },
  }),
  async (c) => {
    const { file } = c.req.valid('param');
    const etag = `"${file.split('.')[0]}"`;
    const headers = {
      'content-type': contentTypes[file.split('.')[1]!]!,
      'cache-control': 'public, max-age=31536000, immutable',
      etag,
    };
    // A list of tags, or the weak form a compressing proxy makes of ours, matches too; `*` is left to the fetch
    // below (it must not answer 304 for an image that does not exist).
    const inm = c.req.header('if-none-match');
    if (inm && inm.trim() !== '*' && ifNoneMatchMatches(inm, etag)) return c.body(null, 304, headers) as never;
    const object = await c.env.IMAGES.get(file);
    if (!object) throw new AppError('NOT_FOUND', `No image ${file}.`);
    return c.body(object.body, 200, { ...headers, 'content-length': String(object.size) }) as never;
  },
);
