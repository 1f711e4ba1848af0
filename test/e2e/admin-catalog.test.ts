// The merchant catalog API end to end (issue 13): create a product with options, variants, stock, an image and a
// category; change any field; publish, unpublish, archive; delete one never ordered; variants; categories (rename,
// move with the subtree's paths, no cycles); every change audited and visible to shoppers within the bound; bad
// input and callers below the merchant role refused with nothing changed.
import { describe, expect, it } from 'vitest';
import type { paths } from '../../lib/client';
import { checkout, checkoutBody, guestToken, inventory, shopperWith } from './checkout-helpers';
import { client, eventually, freshIp, merchantToken, ok, primary, uniqueWord } from './helpers';
import { expectError } from './identity-helpers';
import { uploadPng } from './image-helpers';

type Create = paths['/v1/admin/products']['post']['requestBody']['content']['application/json'];
/** The documented bound for a change to show in catalog reads (locally; docs/catalog.md). */
const BOUND_MS = 2000;
/** Reading the change back takes requests of its own; on a loaded 2-core machine each can take a second or more. */
const READ_SLACK_MS = 3000;

const as = async (token?: string) => client(token ?? (await merchantToken()));
/** POST /v1/admin/products/:slug/{publish,unpublish,archive} as the merchant. */
async function setStatus(action: 'publish' | 'unpublish' | 'archive', slug: string) {
  const c = await as();
  const params = { params: { path: { slug } } };
  if (action === 'publish') return c.POST('/v1/admin/products/{slug}/publish', params);
  if (action === 'unpublish') return c.POST('/v1/admin/products/{slug}/unpublish', params);
  return c.POST('/v1/admin/products/{slug}/archive', params);
}
const publicProduct = (slug: string) => client().GET('/v1/products/{slug}', { params: { path: { slug } } });

async function newCategory(parent: string | null = null, name = 'Test category') {
  const slug = uniqueWord('cat');
  return ok('category', (await as()).POST('/v1/admin/categories', { body: { slug, name, parent } })).then(
    (r) => r.category,
  );
}

function productBody(category: string, over: Partial<Create> = {}): Create {
  const slug = uniqueWord('prod');
  const sku = slug.toUpperCase();
  return {
    slug,
    title: 'Harbor Linen Shirt',
    description: 'Washed linen.',
    brand: 'Harbor',
    category,
    currency: 'USD',
    options: [{ name: 'Size', values: ['S', 'M'] }],
    variants: [
      { sku: `${sku}-S`, title: 'S', options: { Size: 'S' }, priceAmount: 4500, initialStock: 7 },
      { sku: `${sku}-M`, title: 'M', options: { Size: 'M' }, priceAmount: 4200, initialStock: 3 },
    ],
    ...over,
  };
}

const auditOf = async (targetType: string, targetId: string) =>
  (await ok('audit', (await as()).GET('/v1/admin/audit', { params: { query: { targetType, targetId, limit: 200 } } })))
    .items;

async function visibleWithin(what: string, check: () => Promise<boolean>) {
  const started = Date.now();
  await eventually(what, async () => (await check()) || undefined, BOUND_MS + READ_SLACK_MS, 25);
  return Date.now() - started;
}

describe('products', () => {
  it('creates a draft with options, variants, stock, an image and a category; publishing shows it to shoppers', async () => {
    const category = await newCategory();
    const image = await uploadPng();
    const body = productBody(category.slug, { images: [image.url] });
    const created = await ok('create', (await as()).POST('/v1/admin/products', { body }));
    expect(Object.keys(created).sort()).toEqual(['generation', 'product', 'stock']);
    expect(created.product).toMatchObject({
      slug: body.slug,
      status: 'draft',
      category: category.slug,
      priceAmount: 4200,
      currency: 'USD',
      options: body.options,
      images: [image.url],
    });
    expect(created.product.variants.map((v) => [v.sku, v.priceAmount, v.options])).toEqual([
      [body.variants[0]!.sku, 4500, { Size: 'S' }],
      [body.variants[1]!.sku, 4200, { Size: 'M' }],
    ]);
    expect(created.stock).toEqual([
      { sku: body.variants[0]!.sku, onHand: 7 },
      { sku: body.variants[1]!.sku, onHand: 3 },
    ]);
    expect(await inventory(body.variants[0]!.sku)).toMatchObject({ onHand: 7, available: 7 });
    // A draft is the merchant's only.
    expect((await publicProduct(body.slug)).response.status).toBe(404);
    const [entry] = await auditOf('product', created.product.id);
    expect(entry).toMatchObject({ action: 'product.create', before: null, after: { slug: body.slug } });
    expect((entry!.after as { variants: unknown[] }).variants).toHaveLength(2);
    expect((await auditOf('sku', body.variants[1]!.sku))[0]).toMatchObject({
      action: 'stock.set',
      outcome: 'succeeded',
      after: { inventory: { onHand: 3 } },
    });

    await ok('publish', setStatus('publish', body.slug));
    await visibleWithin('published product in the catalog', async () => (await publicProduct(body.slug)).response.ok);
    const shown = await ok('public', publicProduct(body.slug));
    expect(shown).toMatchObject({ title: body.title, images: [image.url], price: { amount: 4200, currency: 'USD' } });
    expect(shown.category.path).toBe(category.path);
    expect(shown.variants.map((v) => v.sku).sort()).toEqual(body.variants.map((v) => v.sku).sort());
    const listed = await ok('list', client().GET('/v1/products', { params: { query: { category: category.slug } } }));
    expect(listed.items.map((p) => p.slug)).toEqual([body.slug]);
  });

  it('unpublishes and archives (hidden from shoppers within the bound) and publishes again', async () => {
    const category = await newCategory();
    const body = productBody(category.slug, { status: 'published' });
    await ok('create', (await as()).POST('/v1/admin/products', { body }));
    await visibleWithin('shown', async () => (await publicProduct(body.slug)).response.ok);
    const path = { params: { path: { slug: body.slug } } };
    for (const action of ['unpublish', 'archive'] as const) {
      const answer = await ok(action, setStatus(action, body.slug));
      expect(answer.product.status).toBe(action === 'archive' ? 'archived' : 'draft');
      await visibleWithin(`${action}: hidden`, async () => (await publicProduct(body.slug)).response.status === 404);
      await ok('publish', setStatus('publish', body.slug));
      await visibleWithin('shown again', async () => (await publicProduct(body.slug)).response.ok);
    }
    // The same status again changes nothing and records nothing.
    const id = (await ok('get', (await as()).GET('/v1/admin/products/{slug}', path))).id;
    const before = (await auditOf('product', id)).length;
    await ok('publish again', setStatus('publish', body.slug));
    expect((await auditOf('product', id)).length).toBe(before);
    expect((await auditOf('product', id)).map((e) => e.action).slice(0, 4)).toEqual([
      'product.publish',
      'product.archive',
      'product.publish',
      'product.unpublish',
    ]);
  });

  it('changes any field, and shoppers see it within the bound; the audit keeps before and after', async () => {
    const [from, to] = [await newCategory(), await newCategory()];
    const body = productBody(from.slug, { status: 'published' });
    const { product } = await ok('create', (await as()).POST('/v1/admin/products', { body }));
    const image = await uploadPng();
    const slug = uniqueWord('renamed');
    const patch = {
      slug,
      title: 'Harbor Linen Shirt II',
      description: 'Now with pockets.',
      brand: 'Harbor & Co',
      category: to.slug,
      images: [image.url],
    };
    const changed = await ok(
      'patch',
      (await as()).PATCH('/v1/admin/products/{slug}', { params: { path: { slug: body.slug } }, body: patch }),
    );
    expect(changed.product).toMatchObject({ slug, title: patch.title });
    const ms = await visibleWithin('the change', async () => {
      const p = await publicProduct(slug);
      return p.data?.title === patch.title && p.data.category.slug === to.slug;
    });
    expect(ms).toBeLessThanOrEqual(BOUND_MS + READ_SLACK_MS);
    expect(await ok('public', publicProduct(slug))).toMatchObject({
      description: patch.description,
      brand: patch.brand,
      images: [image.url],
    });
    expect((await publicProduct(body.slug)).response.status).toBe(404);
    const [entry] = await auditOf('product', product.id);
    expect(entry).toMatchObject({
      action: 'product.update',
      before: { slug: body.slug, title: body.title, brand: body.brand, images: [] },
      after: { slug, title: patch.title, brand: patch.brand, images: [image.url] },
    });
  });

  it('adds a variant with stock and changes a variant; the "from" price follows', async () => {
    const category = await newCategory();
    const body = productBody(category.slug);
    await ok('create', (await as()).POST('/v1/admin/products', { body }));
    const path = { slug: body.slug };
    const sku = `${body.variants[0]!.sku}-X`;
    // The same options as an existing variant: a shopper could not pick it apart (409 naming that variant).
    const twin = await (await as()).POST('/v1/admin/products/{slug}/variants', {
      params: { path },
      body: { sku, title: 'S again', options: { Size: 'S' }, priceAmount: 3900, initialStock: 11 },
    });
    expectError(twin, 409, 'VARIANT_OPTIONS_TAKEN');
    expect(twin.error?.error.message).toContain(body.variants[0]!.sku);
    // A new size first (the product's options, patched whole), then its variant.
    await ok(
      'add a size',
      (await as()).PATCH('/v1/admin/products/{slug}', {
        params: { path },
        body: { options: [{ name: 'Size', values: ['S', 'M', 'L'] }] },
      }),
    );
    const added = await ok(
      'add variant',
      (await as()).POST('/v1/admin/products/{slug}/variants', {
        params: { path },
        body: { sku, title: 'L', options: { Size: 'L' }, priceAmount: 3900, initialStock: 11 },
      }),
    );
    expect(added.product.priceAmount).toBe(3900);
    expect(added.stock).toEqual([{ sku, onHand: 11 }]);
    const cheaper = await ok(
      'patch variant',
      (await as()).PATCH('/v1/admin/products/{slug}/variants/{sku}', {
        params: { path: { ...path, sku } },
        body: { priceAmount: 5000, title: 'S (tall)' },
      }),
    );
    expect(cheaper.product.priceAmount).toBe(4200);
    expect(cheaper.product.variants.find((v) => v.sku === sku)).toMatchObject({ priceAmount: 5000, title: 'S (tall)' });
    const badOption = await (await as()).PATCH('/v1/admin/products/{slug}/variants/{sku}', {
      params: { path: { ...path, sku } },
      body: { options: { Size: 'XXL' } },
    });
    expectError(badOption, 400, 'VALIDATION_FAILED');
    expect(badOption.error?.error.message).toMatch(/options\.Size: must be one of S, M, L/);
    const moveOnto = await (await as()).PATCH('/v1/admin/products/{slug}/variants/{sku}', {
      params: { path: { ...path, sku } },
      body: { options: { Size: 'M' } },
    });
    expectError(moveOnto, 409, 'VARIANT_OPTIONS_TAKEN');
    // Options a variant uses cannot go: a size, or the option's name.
    for (const options of [[{ name: 'Size', values: ['S', 'M'] }], [{ name: 'Fit', values: ['S', 'M', 'L'] }]]) {
      const dropped = await (await as()).PATCH('/v1/admin/products/{slug}', { params: { path }, body: { options } });
      expectError(dropped, 409, 'OPTION_IN_USE');
    }
    const [stored] = await primary<{ options: unknown; variants: unknown }>(
      `select p.options, (select jsonb_object_agg(v.sku, v.options) from product_variants v where v.product_id = p.id)
         as variants from products p where p.slug = $1`,
      [body.slug],
    );
    expect(stored!.options).toEqual([{ name: 'Size', values: ['S', 'M', 'L'] }]);
    expect(stored!.variants).toEqual({
      [body.variants[0]!.sku]: { Size: 'S' },
      [body.variants[1]!.sku]: { Size: 'M' },
      [sku]: { Size: 'L' },
    });
    expectError(
      await (await as()).PATCH('/v1/admin/products/{slug}/variants/{sku}', {
        params: { path: { ...path, sku: 'NO-SUCH-SKU' } },
        body: { priceAmount: 1 },
      }),
      404,
      'NOT_FOUND',
    );
  });

  it('two variants with the same new options added at once: one is created, the other refused', async () => {
    const body = productBody((await newCategory()).slug);
    await ok('create', (await as()).POST('/v1/admin/products', { body }));
    const path = { slug: body.slug };
    const sizes = ['L', 'XL', 'XXL', '3XL', '4XL'];
    await ok(
      'sizes',
      (await as()).PATCH('/v1/admin/products/{slug}', {
        params: { path },
        body: { options: [{ name: 'Size', values: ['S', 'M', ...sizes] }] },
      }),
    );
    const add = async (sku: string, size: string) =>
      (await as()).POST('/v1/admin/products/{slug}/variants', {
        params: { path },
        body: { sku, title: size, options: { Size: size }, priceAmount: 5000, initialStock: 1 },
      });
    for (const [i, size] of sizes.entries()) {
      const skus = [`${body.slug.toUpperCase()}-A${i}`, `${body.slug.toUpperCase()}-B${i}`];
      const answers = await Promise.all(skus.map((sku) => add(sku, size)));
      expect(answers.map((a) => a.response.status).sort()).toEqual([201, 409]);
    }
    const [{ n }] = await primary(
      `select count(*)::int as n from product_variants v join products p on p.id = v.product_id where p.slug = $1`,
      [body.slug],
    );
    expect(n).toBe(2 + sizes.length);
  });

  it('deletes a product never ordered, and refuses one with an order (409 naming the SKU)', async () => {
    const category = await newCategory();
    const unsold = productBody(category.slug);
    const { product } = await ok('create', (await as()).POST('/v1/admin/products', { body: unsold }));
    const gone = await ok(
      'delete',
      (await as()).DELETE('/v1/admin/products/{slug}', { params: { path: { slug: unsold.slug } } }),
    );
    expect(gone.deleted).toEqual({ id: product.id, slug: unsold.slug });
    expect(await primary('select 1 from products where id = $1', [product.id])).toEqual([]);
    expect((await auditOf('product', product.id))[0]).toMatchObject({ action: 'product.delete', after: null });

    const sold = productBody(category.slug, { status: 'published' });
    await ok('create', (await as()).POST('/v1/admin/products', { body: sold }));
    const sku = sold.variants[0]!.sku;
    await visibleWithin('shown', async () => (await publicProduct(sold.slug)).response.ok);
    const shopper = await shopperWith(sku, 1);
    expect((await checkout(shopper, checkoutBody())).response.status).toBe(202);
    await ok(
      'archive',
      (await as()).POST('/v1/admin/products/{slug}/archive', { params: { path: { slug: sold.slug } } }),
    );
    const refused = await (await as()).DELETE('/v1/admin/products/{slug}', { params: { path: { slug: sold.slug } } });
    expectError(refused, 409, 'PRODUCT_ORDERED');
    expect(refused.error?.error.message).toContain(sku);
    expect(await primary('select count(*)::int as n from products where slug = $1', [sold.slug])).toEqual([{ n: 1 }]);
  });

  it('refuses to delete a published product (it could be held and sold meanwhile): archived, it is deleted', async () => {
    const category = await newCategory();
    const shown = productBody(category.slug, { status: 'published' });
    const { product } = await ok('create', (await as()).POST('/v1/admin/products', { body: shown }));
    const path = { params: { path: { slug: shown.slug } } };
    const refused = await (await as()).DELETE('/v1/admin/products/{slug}', path);
    expectError(refused, 409, 'PRODUCT_PUBLISHED');
    expect(await primary('select status from products where id = $1', [product.id])).toEqual([{ status: 'published' }]);
    await ok('archive', (await as()).POST('/v1/admin/products/{slug}/archive', path));
    expect((await ok('delete', (await as()).DELETE('/v1/admin/products/{slug}', path))).deleted).toEqual({
      id: product.id,
      slug: shown.slug,
    });
  });
});

describe('categories', () => {
  it('creates, renames and moves a category with its whole subtree, in the public tree within the bound', async () => {
    const [left, right] = [await newCategory(null, 'Left'), await newCategory(null, 'Right')];
    const mid = await newCategory(left.slug, 'Mid');
    const leaf = await newCategory(mid.slug, 'Leaf');
    expect(leaf.path).toBe(`${left.slug}/${mid.slug}/${leaf.slug}`);
    const { product } = await ok(
      'create',
      (await as()).POST('/v1/admin/products', { body: productBody(leaf.slug, { status: 'published' }) }),
    );
    const moved = await ok(
      'move',
      (await as()).PATCH('/v1/admin/categories/{slug}', {
        params: { path: { slug: mid.slug } },
        body: { parent: right.slug, name: 'Middle' },
      }),
    );
    expect(moved).toMatchObject({ category: { path: `${right.slug}/${mid.slug}`, name: 'Middle' }, moved: 2 });
    expect(await primary('select path from categories where slug = $1', [leaf.slug])).toEqual([
      { path: `${right.slug}/${mid.slug}/${leaf.slug}` },
    ]);
    await visibleWithin('moved in the tree', async () => {
      const tree = (await ok('tree', client().GET('/v1/categories'))).categories;
      const r = tree.find((c) => c.slug === right.slug);
      return r?.children[0]?.slug === mid.slug && r.children[0].children[0]?.slug === leaf.slug;
    });
    const under = await ok('list', client().GET('/v1/products', { params: { query: { category: right.slug } } }));
    expect(under.items.map((p) => p.id)).toEqual([product.id]);
    expect((await auditOf('category', String(mid.id)))[0]).toMatchObject({
      action: 'category.move',
      before: { category: { path: `${left.slug}/${mid.slug}` }, subtree: [`${left.slug}/${mid.slug}/${leaf.slug}`] },
      after: { category: { path: `${right.slug}/${mid.slug}` }, subtree: [`${right.slug}/${mid.slug}/${leaf.slug}`] },
    });
    // Renaming the slug rewrites the subtree's paths too.
    const slug = uniqueWord('mid');
    await ok(
      'rename',
      (await as()).PATCH('/v1/admin/categories/{slug}', { params: { path: { slug: mid.slug } }, body: { slug } }),
    );
    expect(await primary('select path from categories where slug = $1', [leaf.slug])).toEqual([
      { path: `${right.slug}/${slug}/${leaf.slug}` },
    ]);
  });

  it('lets one of two concurrent moves that would make a cycle together win, and refuses the other', async () => {
    const move = async (slug: string, parent: string) =>
      (await as()).PATCH('/v1/admin/categories/{slug}', { params: { path: { slug } }, body: { parent } });
    for (let i = 0; i < 5; i++) {
      const [a, b] = [await newCategory(), await newCategory()];
      const answers = await Promise.all([move(a.slug, b.slug), move(b.slug, a.slug)]);
      expect(answers.map((r) => r.response.status).sort()).toEqual([200, 409]);
      const rows = await primary<{ slug: string; path: string }>(
        'select slug, path from categories where slug = any($1) order by path',
        [[a.slug, b.slug]],
      );
      // One is the root, the other under it: no cycle.
      expect(rows.map((r) => r.path)).toEqual([rows[0]!.slug, `${rows[0]!.slug}/${rows[1]!.slug}`]);
    }
  });

  it('a rename and a move of one category at once: both stick (neither writes back what it read before)', async () => {
    const patch = async (slug: string, body: { name?: string; parent?: string; position?: number }) =>
      (await as()).PATCH('/v1/admin/categories/{slug}', { params: { path: { slug } }, body });
    for (let i = 0; i < 5; i++) {
      const [from, to] = [await newCategory(), await newCategory()];
      const moving = await newCategory(from.slug);
      const answers = await Promise.all([
        patch(moving.slug, { name: `Renamed ${i}` }),
        patch(moving.slug, { parent: to.slug }),
        patch(moving.slug, { position: 7 }),
      ]);
      expect(answers.map((a) => a.response.status)).toEqual([200, 200, 200]);
      const [row] = await primary<{ name: string; path: string; position: number }>(
        'select name, path, position from categories where slug = $1',
        [moving.slug],
      );
      expect(row).toEqual({ name: `Renamed ${i}`, path: `${to.slug}/${moving.slug}`, position: 7 });
    }
  });

  it('refuses a cycle, a taken slug and an unknown parent, changing nothing', async () => {
    const root = await newCategory();
    const child = await newCategory(root.slug);
    const grandchild = await newCategory(child.slug);
    const snapshot = () =>
      primary('select slug, path, parent_id from categories where path like $1 order by path', [`${root.slug}%`]);
    const before = await snapshot();
    const patch = (slug: string, body: Record<string, unknown>) =>
      as().then((c) => c.PATCH('/v1/admin/categories/{slug}', { params: { path: { slug } }, body }));
    expectError(await patch(root.slug, { parent: grandchild.slug }), 409, 'CATEGORY_CYCLE');
    expectError(await patch(root.slug, { parent: root.slug }), 409, 'CATEGORY_CYCLE');
    expectError(await patch(child.slug, { slug: grandchild.slug }), 409, 'SLUG_TAKEN');
    expectError(await patch(child.slug, { parent: 'no-such-category' }), 400, 'VALIDATION_FAILED');
    expectError(await patch(child.slug, {}), 400, 'VALIDATION_FAILED');
    expectError(await patch('no-such-category', { name: 'x' }), 404, 'NOT_FOUND');
    const create = await (await as()).POST('/v1/admin/categories', {
      body: { slug: child.slug, name: 'Again', parent: null },
    });
    expectError(create, 409, 'SLUG_TAKEN');
    expect(await snapshot()).toEqual(before);
  });
});

describe('bad input and permissions', () => {
  it('refuses bad product bodies with a 400 or 409 naming the problem, and creates nothing', async () => {
    const category = await newCategory();
    const good = productBody(category.slug);
    const taken = productBody(category.slug);
    await ok('create', (await as()).POST('/v1/admin/products', { body: taken }));
    const cases: [Create, number, RegExp][] = [
      [{ ...good, category: 'no-such-category' }, 400, /category: no category/],
      [{ ...good, variants: [good.variants[0]!, good.variants[0]!] }, 400, /repeated SKU/],
      [{ ...good, variants: [{ ...good.variants[0]!, options: { Size: 'XL' } }] }, 400, /Size: must be one of S, M/],
      [{ ...good, variants: [{ ...good.variants[0]!, options: { Colour: 'Red', Size: 'S' } }] }, 400, /not an option/],
      [{ ...good, variants: [{ ...good.variants[0]!, priceAmount: -1 }] }, 400, /priceAmount/],
      [{ ...good, variants: [] }, 400, /variants/],
      [{ ...good, currency: 'usd' }, 400, /currency/],
      [{ ...good, currency: 'XYZ' }, 400, /currency: not an ISO 4217 currency/],
      [{ ...good, images: [`/images/${'a'.repeat(64)}.png`] }, 400, /images: not uploaded/],
      [{ ...good, images: ['javascript:alert(1)'] }, 400, /images/],
      [{ ...good, slug: taken.slug }, 409, /slug/],
      [{ ...good, variants: [{ ...taken.variants[0]! }] }, 409, new RegExp(taken.variants[0]!.sku)],
      [{ ...good, extra: 1 } as Create, 400, /extra/],
    ];
    // Every refused create comes from one address of its own: no audit row may name it (other files write the
    // audit log at the same time, so the table's own count proves nothing).
    const ip = freshIp();
    const merchant = client(await merchantToken(), ip);
    for (const [body, status, message] of cases) {
      const answer = await merchant.POST('/v1/admin/products', { body });
      expectError(answer, status);
      expect(answer.error?.error.message, JSON.stringify(body)).toMatch(message);
    }
    expect(await primary('select count(*)::int as n from products where slug = $1', [good.slug])).toEqual([{ n: 0 }]);
    const fromIp = async () =>
      (await primary<{ n: number }>('select count(*)::int as n from audit_log where client_address = $1', [ip]))[0]!.n;
    expect(await fromIp()).toBe(0);
    // The same address's good create is recorded under it: the count above could have seen a write.
    await ok('the good create', merchant.POST('/v1/admin/products', { body: good }));
    expect(await fromIp()).toBeGreaterThan(0);
  });

  it('answers 401 without a token and 403 to shoppers on every catalog write, changing nothing', async () => {
    const category = await newCategory();
    const body = productBody(category.slug);
    const guest = await guestToken();
    for (const [token, status] of [
      [undefined, 401],
      [guest, 403],
    ] as const) {
      const c = client(token);
      const slug = { params: { path: { slug: 'any-product' } } };
      const answers = [
        await c.POST('/v1/admin/products', { body }),
        await c.GET('/v1/admin/products/{slug}', slug),
        await c.POST('/v1/admin/products/{slug}/publish', slug),
        await c.DELETE('/v1/admin/products/{slug}', slug),
        await c.POST('/v1/admin/categories', { body: { slug: uniqueWord('c'), name: 'x', parent: null } }),
        await c.PATCH('/v1/admin/categories/{slug}', {
          params: { path: { slug: category.slug } },
          body: { name: 'x' },
        }),
      ];
      for (const answer of answers) expectError(answer, status);
    }
    expect(await primary('select count(*)::int as n from products where slug = $1', [body.slug])).toEqual([{ n: 0 }]);
    expect(await primary('select name from categories where id = $1', [category.id])).toEqual([
      { name: category.name },
    ]);
  });
});
