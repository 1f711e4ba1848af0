// The storefront's shell: one page for everyone with the personal parts as slots, filled per request; nothing
// inline (the CSP allows the two hashed files only); everything a shopper typed is escaped, so no text can forge
// a slot.
import { raw } from 'hono/html';
import { describe, expect, it } from 'vitest';
import { shopAssets } from './assets';
import { csrfField, personalLinks, ShopPage } from './layout';
import { renderPage } from './page';
import { fillSlots, hasSlot } from './slots';

const render = (query?: string) =>
  renderPage(
    ShopPage({
      title: 'Home',
      query,
      categories: [{ slug: 'apparel', name: 'Apparel' }],
      currentCategory: 'apparel',
      children: raw('<h1>Home</h1>'),
    }),
  );

describe('ShopPage', () => {
  it('has the landmarks, the skip link, the search form and the hashed files, and nothing inline', async () => {
    const html = await render();
    expect(html.startsWith('<!doctype html><html lang="en">')).toBe(true);
    expect(html).toContain('<a class="skip" href="#main">');
    expect(html).toContain('<main id="main" tabindex="-1">');
    expect(html).toContain('<search class="search"><form method="get" action="/search">');
    expect(html).toContain('<label class="visually-hidden" for="site-search">');
    expect(html).toContain(`<link rel="stylesheet" href="${shopAssets['shop.css']}"/>`);
    expect(html).toContain(`<script src="${shopAssets['shop.js']}" defer=""></script>`);
    expect(html).toContain('<a href="/c/apparel" aria-current="page">Apparel</a>');
    expect(html).not.toMatch(/<script>|<style|style="/);
    expect(hasSlot(html, 'cart')).toBe(true);
    expect(hasSlot(html, 'account')).toBe(true);
    expect(hasSlot(html, 'csrf')).toBe(false);
  });

  it('escapes what a shopper typed: a query cannot forge a slot or markup', async () => {
    const html = await render('"><script>x</script><!--slot:cart-->');
    expect(html).not.toContain('<script>x');
    expect(html.split('<!--slot:cart-->').length).toBe(2);
    const filled = fillSlots(html, { cart: 'CART', account: 'ACCOUNT' });
    expect(filled.split('CART').length).toBe(2);
    expect(filled).not.toContain('<!--slot:');
  });
});

describe('personal parts', () => {
  it('show the cart count and the account link from the hints', () => {
    expect(personalLinks({ cartCount: 0, customer: false })).toEqual({
      account: '<a href="/account">Sign in</a>',
      cart: '<a href="/cart">Cart</a>',
    });
    const two = personalLinks({ cartCount: 2, customer: true });
    expect(two.account).toBe('<a href="/account">Your account</a>');
    expect(two.cart).toContain('>2<span class="visually-hidden"> items</span>');
    expect(personalLinks({ cartCount: 1, customer: false }).cart).toContain(' item</span>');
    expect(csrfField('abc_-')).toBe('<input type="hidden" name="csrf" value="abc_-">');
  });
});
