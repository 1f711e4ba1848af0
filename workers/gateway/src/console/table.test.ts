// The console's one table and next link: the markup every list page relies on (the browser tests find rows by
// their data-* key and cells by their attributes; screen readers get the caption, column heads and row heads).
import { describe, expect, it } from 'vitest';
import { cell, Next, row, Table } from './table';

const render = async (el: unknown) => String(await (el as { toString(): string | Promise<string> }).toString());

describe('Table', () => {
  it('renders caption, heads, a row head per row, row and cell attributes, a tfoot and the next link', async () => {
    const html = await render(
      Table({
        id: 'things',
        caption: 'Things, newest first',
        head: ['Thing', 'State', 'Count'],
        rows: [
          row(['a', cell('on', { class: 'good', 'data-level': 'state' }), 3], { 'data-thing': 'a' }),
          ['b', cell('could not read', { colspan: 2, class: 'bad' })],
        ],
        foot: 'TOTAL',
        next: { href: '/things?cursor=x&amp;y', label: 'Older things' },
      }),
    );
    expect(html).toContain('<table id="things"><caption>Things, newest first</caption>');
    expect(html).toContain('<th scope="col">Thing</th><th scope="col">State</th><th scope="col">Count</th>');
    expect(html).toContain(
      '<tr data-thing="a"><th scope="row">a</th><td class="good" data-level="state">on</td><td>3</td></tr>',
    );
    expect(html).toContain('<tr><th scope="row">b</th><td colspan="2" class="bad">could not read</td></tr>');
    expect(html).toContain('<tfoot>TOTAL</tfoot>');
    expect(html).toMatch(/<a href="[^"]+" rel="next">Older things<\/a>/);
  });

  it('shows the empty message instead of a table, and no next link then', async () => {
    const html = await render(
      Table({ caption: 'Things', head: ['Thing'], rows: [], empty: 'Nothing yet.', next: { href: '/n', label: 'N' } }),
    );
    expect(html).toBe('<p class="muted">Nothing yet.</p>');
    expect(await render(Table({ caption: 'Open alerts', head: ['Alert'], rows: [] }))).toBe(
      '<p class="muted">No open alerts.</p>',
    );
  });

  it('leaves out an undefined attribute and the next link without a page after', async () => {
    const html = await render(Table({ caption: 'C', head: ['H'], rows: [[cell('x', { class: undefined })]] }));
    expect(html).toContain('<th scope="row">x</th>');
    expect(html).not.toContain('rel="next"');
    expect(Next({ label: 'Older' })).toBeNull();
  });
});
