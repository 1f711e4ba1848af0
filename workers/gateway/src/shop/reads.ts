// The catalog reads of one page render, through the public API (in-process, typed client), each answer as data:
// its body, or the status and message of its failure. Each answer's catalog generation (x-catalog-generation) is
// kept, so the page cache stores a page only under the generation its data came from (page-cache.ts).
import type { paths, Schemas } from '../../../../lib/client';
import { type ShopContext, shopApi } from './session';

export type Read<T> = { ok: true; data: T } | { ok: false; status: number; code?: string; message: string };

type Answer<T> = { data?: T; error?: unknown; response: Response };

export class CatalogReads {
  /** The generations of every catalog answer read so far. */
  readonly generations = new Set<string>();

  constructor(private readonly c: ShopContext) {}

  private async read<T>(call: Promise<Answer<T>>): Promise<Read<T>> {
    let answer: Answer<T>;
    try {
      answer = await call;
    } catch (err) {
      return { ok: false, status: 0, message: `no answer (${String(err)})` };
    }
    const generation = answer.response.headers.get('x-catalog-generation');
    if (generation) this.generations.add(generation);
    if (answer.data !== undefined) return { ok: true, data: answer.data };
    const body = (answer.error as Schemas['Error'] | undefined)?.error;
    return { ok: false, status: answer.response.status, code: body?.code, message: body?.message ?? 'no details' };
  }

  categories(): Promise<Read<Schemas['CategoryTree']>> {
    return this.read(shopApi(this.c).GET('/v1/categories'));
  }

  products(
    query: Pick<
      NonNullable<paths['/v1/products']['get']['parameters']['query']>,
      | 'q'
      | 'category'
      | 'sort'
      | 'limit'
      | 'cursor'
      | 'brand'
      | 'size'
      | 'colour'
      | 'price_min'
      | 'price_max'
      | 'facets'
    >,
  ): Promise<Read<Schemas['ProductList']>> {
    return this.read(shopApi(this.c).GET('/v1/products', { params: { query } }));
  }

  product(slug: string): Promise<Read<Schemas['ProductDetail']>> {
    return this.read(shopApi(this.c).GET('/v1/products/{slug}', { params: { path: { slug } } }));
  }
}

/** The category `slug` anywhere in the tree, with the path of names to it (the breadcrumbs). */
export function findCategory(
  tree: Schemas['CategoryNode'][],
  slug: string,
  trail: Schemas['CategoryNode'][] = [],
): { node: Schemas['CategoryNode']; trail: Schemas['CategoryNode'][] } | undefined {
  for (const node of tree) {
    if (node.slug === slug) return { node, trail };
    const found = findCategory(node.children, slug, [...trail, node]);
    if (found) return found;
  }
  return undefined;
}
