// Merchant category writes: create, rename (name and/or slug), reorder and move. A category keeps its slash-joined
// `path` from the root, so a subtree is one prefix match for reads; a change of slug or parent rewrites the path of
// the category and of its whole subtree in the same transaction as the category row and its audit entry. A move
// under the category itself or one of its descendants is refused (409 CATEGORY_CYCLE): checked first for a clear
// answer, and again by the statements themselves under a lock that serializes category writes, so two concurrent
// moves cannot make a cycle together.
import { type SQL, sql } from 'drizzle-orm';
import { categories } from '../../../db/schema';
import type { CategoryCreate, CategoryPatch } from '../../../lib/admin/catalog.schemas';
import type { Actor } from '../../../lib/contracts/admin';
import { createDb } from '../../../lib/db/client';
import { AppError } from '../../../lib/errors';
import { auditedWrites, type PrimaryDb } from './audit';
import { type CatalogWriteEnv, publishCatalogWrite, read, uniqueViolation } from './products';

interface CategoryRow {
  id: number;
  slug: string;
  name: string;
  parent: string | null;
  path: string;
  position: number;
}

const categoryBySlug = (db: PrimaryDb, slug: string) => categoryWhere(db, sql`c.slug = ${slug}`);

async function categoryWhere(db: PrimaryDb, where: SQL): Promise<CategoryRow | undefined> {
  const { rows } = await read(
    db.execute<{ id: number; slug: string; name: string; parent: string | null; path: string; position: number }>(
      sql`select c.id, c.slug, c.name, p.slug as parent, c.path, c.position
          from ${categories} c left join ${categories} p on p.id = c.parent_id where ${where}`,
    ),
  );
  const r = rows[0];
  return r && { ...r, id: Number(r.id), position: Number(r.position) };
}

const noCategory = (field: string, slug: string) =>
  new AppError('VALIDATION_FAILED', `Invalid body: ${field}: no category with slug "${slug}"`, {
    details: [{ path: [field], message: `no category with slug "${slug}"` }],
  });
const slugTaken = (slug: string) =>
  new AppError('SLUG_TAKEN', `A category with slug "${slug}" exists already.`, { details: { slug } });

/** The category and the paths of its subtree, as the audit log keeps it. */
const categoryState = (id: number) =>
  sql`(select jsonb_build_object('category', to_jsonb(c), 'subtree', coalesce((select jsonb_agg(s.path
      order by s.path) from ${categories} s where s.path like c.path || '/%'), '[]'::jsonb))
      from ${categories} c where c.id = ${id})`;

/** A unique violation is a taken slug (the path follows from it); other errors as they are. */
function conflictOf(err: unknown, slug: string): never {
  if (uniqueViolation(err)) throw slugTaken(slug);
  throw err;
}

/**
 * Category writes take one transaction-scoped advisory lock, so they run one at a time: a move's cycle check and the
 * paths it computes (in SQL, from the rows as they are once the lock is held) always see every earlier move. They
 * are rare; serializing them costs nothing that matters.
 */
const serialize = sql`select pg_advisory_xact_lock(hashtext('storefront.categories'))`;

/** The path of a category under `parentId` (a root when null), computed in the transaction. */
const pathUnder = (parentId: number | null, slug: string) =>
  parentId === null
    ? sql`${slug}::text`
    : sql`((select path from ${categories} where id = ${parentId}) || '/' || ${slug})`;

export async function createCategory(env: CatalogWriteEnv, actor: Actor, input: CategoryCreate) {
  const db = createDb(env).$primary;
  const parent = input.parent ? await categoryBySlug(db, input.parent) : undefined;
  if (input.parent && !parent) throw noCategory('parent', input.parent);
  if (await categoryBySlug(db, input.slug)) throw slugTaken(input.slug);
  // The id first, so the audit row can name its target.
  const { rows } = await read(
    db.execute<{ id: string }>(sql`select nextval(pg_get_serial_sequence('categories', 'id'))::text as id`),
  );
  const id = Number(rows[0]!.id);
  await auditedWrites(
    db,
    actor,
    {
      action: 'category.create',
      target: { type: 'category', id: String(id) },
      state: categoryState(id),
      lock: serialize,
    },
    [
      db.insert(categories).values({
        id,
        slug: input.slug,
        name: input.name,
        parentId: parent?.id ?? null,
        path: pathUnder(parent?.id ?? null, input.slug),
        position: input.position,
      }),
    ],
  ).catch((err) => conflictOf(err, input.slug));
  const generation = await publishCatalogWrite(env);
  return { category: (await categoryBySlug(db, input.slug))!, generation };
}

export async function updateCategory(env: CatalogWriteEnv, actor: Actor, slug: string, patch: CategoryPatch) {
  const db = createDb(env).$primary;
  const current = await categoryBySlug(db, slug);
  if (!current) throw new AppError('NOT_FOUND', `No category with slug "${slug}".`);
  const newSlug = patch.slug ?? current.slug;
  if (newSlug !== current.slug && (await categoryBySlug(db, newSlug))) throw slugTaken(newSlug);
  let parent: CategoryRow | null | undefined;
  if (patch.parent === undefined) parent = current.parent ? await categoryBySlug(db, current.parent) : null;
  else if (patch.parent === null) parent = null;
  else {
    parent = await categoryBySlug(db, patch.parent);
    if (!parent) throw noCategory('parent', patch.parent);
  }
  const cycle = () =>
    new AppError('CATEGORY_CYCLE', `"${slug}" cannot move under itself or one of its own subcategories.`, {
      details: { category: slug, parent: patch.parent },
    });
  // A clear answer from what was read; the statements below check again under the lock.
  if (parent && (parent.path === current.path || parent.path.startsWith(`${current.path}/`))) throw cycle();
  const id = current.id;
  const parentId = parent?.id ?? null;
  const noCycle: SQL =
    parentId === null
      ? sql`true`
      : sql`not exists (select 1 from ${categories} np, ${categories} self where np.id = ${parentId}
          and self.id = ${id} and (np.path = self.path or np.path like self.path || '/%'))`;
  // What the patch leaves out is taken from the row as it is under the lock, not as read above: a concurrent
  // rename or move committed in between must not be written back over (slug, parent, name and position alike).
  const slugNow =
    patch.slug === undefined ? sql`(select slug from ${categories} where id = ${id})` : sql`${newSlug}::text`;
  const parentNow =
    patch.parent === undefined ? sql`(select parent_id from ${categories} where id = ${id})` : sql`${parentId}::int`;
  const newPath = sql`coalesce((select path || '/' from ${categories} where id = ${parentNow}), '') || ${slugNow}`;
  const [paths, row] = await auditedWrites(
    db,
    actor,
    {
      action: patch.parent !== undefined || patch.slug !== undefined ? 'category.move' : 'category.update',
      target: { type: 'category', id: String(id) },
      state: categoryState(id),
      lock: serialize,
    },
    [
      // The subtree's paths first (the category's own old path is still there to match them), then the row.
      db.execute<{ id: number }>(sql`update ${categories} c set path = ${newPath}
          || substr(c.path, length(me.path) + 1)
        from (select path from ${categories} where id = ${id}) me
        where (c.path = me.path or c.path like me.path || '/%') and ${noCycle}
        returning c.id`),
      db
        .update(categories)
        .set({
          ...(patch.slug === undefined ? {} : { slug: patch.slug }),
          ...(patch.name === undefined ? {} : { name: patch.name }),
          ...(patch.position === undefined ? {} : { position: patch.position }),
          ...(patch.parent === undefined ? {} : { parentId }),
        })
        .where(sql`${categories.id} = ${id} and ${noCycle}`)
        .returning({ id: categories.id }),
    ],
  ).catch((err) => conflictOf(err, newSlug));
  if (paths.rows.length === 0 && row.length === 0) throw cycle();
  const generation = await publishCatalogWrite(env);
  // By id: without a slug in the patch, the slug is whatever it is now.
  const category = (await categoryWhere(db, sql`c.id = ${id}`))!;
  return { category, moved: category.path === current.path ? 0 : paths.rows.length, generation };
}
