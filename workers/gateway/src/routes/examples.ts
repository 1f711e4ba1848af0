// Request and answer examples shown in the OpenAPI document and on /docs. Each is typed by the schema it
// illustrates, so an example that no longer fits its schema fails the type check instead of misleading a reader.
import type { z } from '@hono/zod-openapi';
import type { LoginBody, Session } from '../../../../lib/auth/schemas';
import type { AddItemBody, CartView } from '../../../../lib/cart/schemas';
import type { CategoryTree, ProductDetail, ProductList, Suggestions } from '../../../../lib/catalog/schemas';
import type {
  CheckoutAccepted,
  CheckoutBody,
  InventoryView,
  OrderList,
  OrderView,
  SetStockBody,
} from '../../../../lib/checkout/schemas';

type In<T extends z.ZodType> = z.input<T>;
const usd = (amount: number) => ({ amount, currency: 'USD' });
const sku = 'MSH-00001-M-NAVY';

const summary = {
  id: '0f8e3b1c-5d2a-4c7e-9b1f-3a6d2e8c4f10',
  slug: 'harbor-linen-shirt-00001',
  title: 'Harbor Linen Shirt',
  brand: 'Harbor & Pine',
  category: { slug: 'mens', name: 'Men', path: 'apparel/mens' },
  price: usd(4900),
  image: 'https://images.example.com/products/harbor-linen-shirt-00001/1.jpg',
  createdAt: '2026-11-20T09:12:44.512Z',
};

export const productList: In<typeof ProductList> = {
  items: [summary],
  nextCursor: 'WyJuZXdlc3QiLFsiMjAyNi0xMS0yMCAwOToxMjo0NC41MTIrMDAiLCIwZjhlIl0sIltcIlwiLFwiXCJdIl0',
  facets: {
    brand: [
      { value: 'northfold', label: 'Northfold', count: 31 },
      { value: 'mireille', label: 'Mireille', count: 12 },
    ],
    price: [
      { band: '2500-4999', min: 2500, max: 4999, count: 18 },
      { band: '5000-9999', min: 5000, max: 9999, count: 25 },
    ],
    size: [
      { value: 'm', label: 'M', count: 40 },
      { value: 'xl', label: 'XL', count: 22 },
    ],
  },
  facetsExhaustive: true,
};

export const productDetail: In<typeof ProductDetail> = {
  ...summary,
  description: 'A relaxed shirt in washed linen, cut for warm days.',
  images: [summary.image],
  updatedAt: '2026-11-28T16:03:10.007Z',
  variants: [{ sku, title: 'M / Navy', options: { size: 'M', colour: 'Navy' }, price: usd(4900) }],
};

export const suggestions: In<typeof Suggestions> = {
  suggestions: [
    { text: 'linen shirt', products: 412 },
    { text: 'linen shorts', products: 57 },
    { text: 'linen shawl', products: 9 },
  ],
};

export const categoryTree: In<typeof CategoryTree> = {
  categories: [
    {
      slug: 'apparel',
      name: 'Apparel',
      path: 'apparel',
      children: [{ slug: 'mens', name: 'Men', path: 'apparel/mens', children: [] }],
    },
  ],
};

export const inventory: In<typeof InventoryView> = {
  sku,
  onHand: 25,
  held: 2,
  sold: 3,
  available: 20,
  maxPerCustomer: null,
};
export const setStock: In<typeof SetStockBody> = { onHand: 40, maxPerCustomer: 2, reason: 'stock count' };

export const login: In<typeof LoginBody> = { email: 'ada@example.com', password: 'correct horse battery' };
export const session: In<typeof Session> = {
  accessToken: 'eyJhbGciOiJFUzI1NiIsImtpZCI6ImstMSJ9.eyJzdWIiOiJjdXN0b21lcjo...',
  refreshToken: 'b3Vy4xY2mVq7Qn0sT1cR9wZ8pL5kJ6hG3fD2aS4dF6g',
  tokenType: 'Bearer',
  expiresIn: 900,
  subject: '6b1f2c8e-2f0a-4d3b-9e1c-7a5d4c3b2a10',
  role: 'customer',
};

export const addItem: In<typeof AddItemBody> = { sku, quantity: 2 };
export const cart: In<typeof CartView> = {
  lines: [
    {
      sku,
      productSlug: summary.slug,
      title: 'Harbor Linen Shirt (M / Navy)',
      image: summary.image,
      quantity: 2,
      unitPrice: usd(4900),
      lineTotal: usd(9800),
      priceChanged: false,
      available: true,
    },
  ],
  subtotal: usd(9800),
  itemCount: 2,
  currency: 'USD',
  version: 3,
  expiresAt: '2026-12-06T14:15:32.396Z',
};

export const checkoutBody: In<typeof CheckoutBody> = {
  email: 'ada@example.com',
  shippingAddress: { name: 'Ada Shopper', line1: '1 Main St', city: 'Springfield', postalCode: '62701', country: 'US' },
  shippingMethod: 'standard',
  paymentMethod: 'pm_card_visa',
};

// 2 x 49.00, free domestic standard shipping from 100.00 does not apply: 5.00; US tax 7.25 % of 103.00 = 7.47.
const totals = { subtotal: usd(9800), shipping: usd(500), tax: usd(747), total: usd(11047), taxRateBps: 725 };

export const checkoutAccepted: In<typeof CheckoutAccepted> = {
  orderId: 'ord_01jh8m3k5q2w7e9r4t6y',
  status: 'pending_payment',
  payment: {
    provider: 'stripe',
    paymentIntentId: 'pi_3QxYz2AbCdEf1234',
    status: 'succeeded',
    clientSecret: 'pi_3QxYz2AbCdEf1234_secret_9f8e7d',
    nextAction: null,
  },
  totals,
  holdExpiresAt: '2026-11-29T14:30:32.396Z',
};

export const order: In<typeof OrderView> = {
  id: checkoutAccepted.orderId,
  status: 'paid',
  email: 'ada@example.com',
  lines: [{ sku, title: 'Harbor Linen Shirt (M / Navy)', quantity: 2, unitPrice: usd(4900), lineTotal: usd(9800) }],
  totals,
  shippingAddress: checkoutBody.shippingAddress,
  shippingMethod: 'standard',
  payment: {
    provider: 'stripe',
    paymentIntentId: 'pi_3QxYz2AbCdEf1234',
    status: 'succeeded',
    amount: usd(11047),
    refunded: usd(0),
  },
  holdExpiresAt: '2026-11-29T14:30:32.396Z',
  createdAt: '2026-11-29T14:15:32.396Z',
  updatedAt: '2026-11-29T14:15:33.120Z',
  history: [
    { from: 'created', to: 'pending_payment', at: '2026-11-29T14:15:32.396Z', reason: 'checkout accepted' },
    {
      from: 'pending_payment',
      to: 'paid',
      at: '2026-11-29T14:15:33.120Z',
      reason: 'payment succeeded (evt_3QxYz2AbCdEf5678)',
    },
  ],
};
export const orderList: In<typeof OrderList> = { orders: [order], nextCursor: null };
