// Vocabulary for the seed catalog: the category tree and, per leaf category, the words, brands, price range
// (USD cents) and option axes its products are made of. Over 300 lines on purpose: it is data, not logic.
export interface Leaf {
  skuPrefix: string;
  nouns: string[];
  materials: string[];
  adjectives: string[];
  brands: string[];
  pitches: string[];
  price: [number, number];
  options: Record<string, string[]>;
}
type Node =
  | { slug: string; name: string; leaf: Leaf }
  | { slug: string; name: string; children: { slug: string; name: string; leaf: Leaf }[] };

const sizes = ['XS', 'S', 'M', 'L', 'XL', 'XXL'];
const colours = ['Black', 'Navy', 'Olive', 'Sand', 'Rust', 'Grey', 'White', 'Forest'];
const shoeSizes = ['38', '39', '40', '41', '42', '43', '44', '45'];
const apparelBrands = ['Northfold', 'Alder & Finch', 'Mireille', 'Kestrel Works', 'Saltmarsh', 'Ondine'];
const wear = [
  'Everyday comfort with a clean, tailored cut.',
  'Breathable and easy to layer through the seasons.',
  'A wardrobe staple that softens with every wash.',
];

const leaf = (l: Partial<Leaf> & Pick<Leaf, 'skuPrefix' | 'nouns' | 'materials' | 'price'>): Leaf => ({
  adjectives: [
    'Classic',
    'Essential',
    'Heritage',
    'Modern',
    'Relaxed',
    'Lightweight',
    'Premium',
    'Vintage',
    'Signature',
    'Utility',
  ],
  brands: apparelBrands,
  pitches: wear,
  options: {},
  ...l,
});

export const tree: { slug: string; name: string; children: Node[] }[] = [
  {
    slug: 'apparel',
    name: 'Apparel',
    children: [
      {
        slug: 'mens',
        name: "Men's",
        children: [
          {
            slug: 'mens-shirts',
            name: 'Shirts',
            leaf: leaf({
              skuPrefix: 'MSH',
              nouns: ['Oxford Shirt', 'Linen Shirt', 'Flannel Shirt', 'Denim Shirt', 'Polo'],
              materials: ['Cotton', 'Linen', 'Organic Cotton', 'Chambray'],
              price: [3500, 9500],
              options: { size: sizes, colour: colours },
            }),
          },
          {
            slug: 'mens-trousers',
            name: 'Trousers',
            leaf: leaf({
              skuPrefix: 'MTR',
              nouns: ['Chinos', 'Jeans', 'Cargo Trousers', 'Corduroys'],
              materials: ['Twill', 'Selvedge Denim', 'Stretch Cotton', 'Corduroy'],
              price: [4500, 12000],
              options: { size: sizes, colour: colours },
            }),
          },
          {
            slug: 'mens-jackets',
            name: 'Jackets',
            leaf: leaf({
              skuPrefix: 'MJK',
              nouns: ['Field Jacket', 'Rain Shell', 'Puffer Jacket', 'Overshirt'],
              materials: ['Waxed Cotton', 'Recycled Nylon', 'Wool', 'Ripstop'],
              price: [8900, 29900],
              options: { size: sizes, colour: colours },
            }),
          },
        ],
      },
      {
        slug: 'womens',
        name: "Women's",
        children: [
          {
            slug: 'womens-dresses',
            name: 'Dresses',
            leaf: leaf({
              skuPrefix: 'WDR',
              nouns: ['Wrap Dress', 'Midi Dress', 'Shirt Dress', 'Slip Dress'],
              materials: ['Silk', 'Linen', 'Viscose', 'Cotton Poplin'],
              price: [5900, 19900],
              options: { size: sizes, colour: colours },
            }),
          },
          {
            slug: 'womens-tops',
            name: 'Tops',
            leaf: leaf({
              skuPrefix: 'WTP',
              nouns: ['Blouse', 'T-Shirt', 'Tank Top', 'Cardigan'],
              materials: ['Cotton', 'Merino Wool', 'Linen', 'Cashmere'],
              price: [2500, 14900],
              options: { size: sizes, colour: colours },
            }),
          },
          {
            slug: 'womens-skirts',
            name: 'Skirts',
            leaf: leaf({
              skuPrefix: 'WSK',
              nouns: ['Pleated Skirt', 'A-Line Skirt', 'Denim Skirt'],
              materials: ['Wool', 'Denim', 'Satin'],
              price: [3900, 11900],
              options: { size: sizes, colour: colours },
            }),
          },
        ],
      },
      {
        slug: 'accessories',
        name: 'Accessories',
        children: [
          {
            slug: 'bags',
            name: 'Bags',
            leaf: leaf({
              skuPrefix: 'BAG',
              nouns: ['Tote Bag', 'Backpack', 'Messenger Bag', 'Weekender'],
              materials: ['Canvas', 'Leather', 'Recycled Polyester', 'Waxed Canvas'],
              price: [4900, 24900],
              options: { colour: colours },
            }),
          },
          {
            slug: 'hats-scarves',
            name: 'Hats & Scarves',
            leaf: leaf({
              skuPrefix: 'HAT',
              nouns: ['Beanie', 'Bucket Hat', 'Scarf', 'Baseball Cap'],
              materials: ['Merino Wool', 'Cotton Twill', 'Alpaca', 'Cashmere'],
              price: [1900, 8900],
              options: { colour: colours },
            }),
          },
        ],
      },
    ],
  },
  {
    slug: 'footwear',
    name: 'Footwear',
    children: [
      {
        slug: 'sneakers',
        name: 'Sneakers',
        leaf: leaf({
          skuPrefix: 'SNK',
          nouns: ['Runner', 'Court Sneaker', 'Trail Sneaker', 'Slip-On'],
          materials: ['Suede', 'Knit', 'Leather', 'Canvas'],
          price: [6900, 17900],
          options: { size: shoeSizes, colour: colours.slice(0, 4) },
          brands: ['Stride Lab', 'Paceline', 'Kestrel Works', 'Alder & Finch'],
        }),
      },
      {
        slug: 'boots',
        name: 'Boots',
        leaf: leaf({
          skuPrefix: 'BOT',
          nouns: ['Chelsea Boot', 'Hiking Boot', 'Work Boot', 'Ankle Boot'],
          materials: ['Leather', 'Suede', 'Nubuck', 'Waterproof Leather'],
          price: [11900, 32900],
          options: { size: shoeSizes, colour: ['Black', 'Brown', 'Tan'] },
          brands: ['Ironbark', 'Stride Lab', 'Northfold'],
        }),
      },
      {
        slug: 'sandals',
        name: 'Sandals',
        leaf: leaf({
          skuPrefix: 'SND',
          nouns: ['Slide', 'Sport Sandal', 'Espadrille'],
          materials: ['Cork', 'Leather', 'Recycled Rubber'],
          price: [2900, 9900],
          options: { size: shoeSizes },
          brands: ['Saltmarsh', 'Paceline'],
        }),
      },
    ],
  },
  {
    slug: 'home',
    name: 'Home',
    children: [
      {
        slug: 'kitchen',
        name: 'Kitchen',
        leaf: leaf({
          skuPrefix: 'KIT',
          nouns: ['Chef Knife', 'Dutch Oven', 'Pour-Over Kettle', 'Cutting Board', 'Mixing Bowl Set'],
          materials: ['Carbon Steel', 'Cast Iron', 'Stainless Steel', 'Walnut', 'Stoneware'],
          price: [1900, 34900],
          brands: ['Hearth & Co', 'Tallow', 'Oakmere'],
          pitches: [
            'Made for daily cooking, easy to clean and to care for.',
            'Heats evenly and holds its temperature.',
            'A kitchen essential that will outlast trends.',
          ],
          options: { colour: ['Natural', 'Black', 'Cream'] },
        }),
      },
      {
        slug: 'lighting',
        name: 'Lighting',
        leaf: leaf({
          skuPrefix: 'LGT',
          nouns: ['Desk Lamp', 'Floor Lamp', 'Pendant Light', 'Table Lamp'],
          materials: ['Oak', 'Brass', 'Opal Glass', 'Powder-Coated Steel'],
          price: [4900, 39900],
          brands: ['Lumen House', 'Oakmere'],
          pitches: [
            'Warm, glare-free light for reading and work.',
            'Dimmable and fitted with an energy-efficient bulb.',
          ],
          options: { colour: ['Black', 'White', 'Brass'] },
        }),
      },
      {
        slug: 'furniture',
        name: 'Furniture',
        leaf: leaf({
          skuPrefix: 'FRN',
          nouns: ['Side Table', 'Bookshelf', 'Lounge Chair', 'Bench', 'Desk'],
          materials: ['Oak', 'Walnut', 'Ash', 'Rattan'],
          price: [12900, 129900],
          brands: ['Oakmere', 'Hearth & Co'],
          pitches: ['Solid construction with a timeless silhouette.', 'Arrives flat-packed and assembles in minutes.'],
          options: { finish: ['Natural', 'Smoked', 'Black'] },
        }),
      },
      {
        slug: 'bedding',
        name: 'Bedding',
        leaf: leaf({
          skuPrefix: 'BED',
          nouns: ['Duvet Cover', 'Sheet Set', 'Quilt', 'Pillowcase Pair'],
          materials: ['Percale Cotton', 'Linen', 'Sateen', 'Bamboo Lyocell'],
          price: [3900, 24900],
          brands: ['Dune & Dale', 'Hearth & Co'],
          pitches: ['Cool in summer, cosy in winter.', 'Pre-washed for a soft, lived-in feel.'],
          options: { size: ['Single', 'Double', 'Queen', 'King'], colour: ['White', 'Sand', 'Grey', 'Sage'] },
        }),
      },
    ],
  },
  {
    slug: 'outdoor',
    name: 'Outdoor',
    children: [
      {
        slug: 'camping',
        name: 'Camping',
        leaf: leaf({
          skuPrefix: 'CMP',
          nouns: ['Tent', 'Sleeping Bag', 'Camp Stove', 'Headlamp', 'Camp Chair'],
          materials: ['Ripstop Nylon', 'Aluminium', 'Down', 'Recycled Polyester'],
          price: [2900, 59900],
          brands: ['Ridgeway', 'Cairn Outdoor'],
          pitches: ['Packs small and sets up fast.', 'Tested in wind, rain and cold.'],
          options: { size: ['Small', 'Large'] },
        }),
      },
      {
        slug: 'hiking',
        name: 'Hiking',
        leaf: leaf({
          skuPrefix: 'HIK',
          nouns: ['Daypack', 'Trekking Poles', 'Water Bottle', 'Trail Map Case'],
          materials: ['Carbon Fibre', 'Stainless Steel', 'Cordura', 'Recycled Nylon'],
          price: [1500, 19900],
          brands: ['Ridgeway', 'Cairn Outdoor', 'Kestrel Works'],
          pitches: ['Light enough for long days on the trail.', 'Built for rough ground and changing weather.'],
          options: { colour: ['Black', 'Orange', 'Blue'] },
        }),
      },
      {
        slug: 'cycling',
        name: 'Cycling',
        leaf: leaf({
          skuPrefix: 'CYC',
          nouns: ['Helmet', 'Bike Light Set', 'Pannier', 'Jersey'],
          materials: ['Polycarbonate', 'Aluminium', 'Waterproof Nylon', 'Merino Wool'],
          price: [1900, 24900],
          brands: ['Paceline', 'Ridgeway'],
          pitches: ['Seen and safe on every commute.', 'Aerodynamic, ventilated and comfortable.'],
          options: { size: ['S', 'M', 'L'] },
        }),
      },
    ],
  },
  {
    slug: 'electronics',
    name: 'Electronics',
    children: [
      {
        slug: 'audio',
        name: 'Audio',
        leaf: leaf({
          skuPrefix: 'AUD',
          nouns: ['Wireless Headphones', 'Bluetooth Speaker', 'Earbuds', 'Turntable'],
          materials: ['Aluminium', 'Recycled Plastic', 'Walnut', 'Fabric'],
          price: [4900, 49900],
          brands: ['Sonora', 'Volt & Vane'],
          pitches: [
            'Rich, balanced sound with all-day battery life.',
            'Noise cancelling that adapts to where you are.',
          ],
          options: { colour: ['Black', 'White', 'Silver'] },
        }),
      },
      {
        slug: 'computing',
        name: 'Computing',
        leaf: leaf({
          skuPrefix: 'CMP2',
          nouns: ['Mechanical Keyboard', 'Wireless Mouse', 'USB-C Hub', 'Portable SSD', 'Monitor Arm'],
          materials: ['Aluminium', 'PBT Plastic', 'Steel'],
          price: [2900, 29900],
          brands: ['Volt & Vane', 'Bytecraft'],
          pitches: ['Plug in and work: no drivers needed.', 'Designed for long sessions at the desk.'],
          options: { capacity: ['500GB', '1TB'], colour: ['Black', 'Silver'] },
        }),
      },
      {
        slug: 'cameras',
        name: 'Cameras',
        leaf: leaf({
          skuPrefix: 'CAM',
          nouns: ['Instant Camera', 'Action Camera', 'Camera Strap', 'Tripod'],
          materials: ['Magnesium Alloy', 'Carbon Fibre', 'Leather'],
          price: [2500, 89900],
          brands: ['Aperture Co', 'Bytecraft'],
          pitches: ['Sharp images in any light.', 'Compact and ready when the moment is.'],
          options: { colour: ['Black', 'Silver'] },
        }),
      },
    ],
  },
  {
    slug: 'beauty',
    name: 'Beauty',
    children: [
      {
        slug: 'skincare',
        name: 'Skincare',
        leaf: leaf({
          skuPrefix: 'SKN',
          nouns: ['Face Serum', 'Moisturiser', 'Cleanser', 'Sunscreen SPF 50'],
          materials: ['Hyaluronic', 'Vitamin C', 'Ceramide', 'Aloe'],
          price: [1200, 8900],
          brands: ['Verdant Lab', 'Maison Clé'],
          pitches: ['Gentle enough for every skin type.', 'Dermatologist tested and fragrance free.'],
          options: { volume: ['30ml', '50ml', '100ml'] },
        }),
      },
      {
        slug: 'fragrance',
        name: 'Fragrance',
        leaf: leaf({
          skuPrefix: 'FRG',
          nouns: ['Eau de Parfum', 'Candle', 'Room Spray'],
          materials: ['Cedar', 'Fig', 'Vetiver', 'Bergamot', 'Amber'],
          price: [2500, 18900],
          brands: ['Maison Clé', 'Verdant Lab'],
          pitches: ['A warm, lasting scent with a bright opening.', 'Blended in small batches.'],
          options: { volume: ['50ml', '100ml'] },
        }),
      },
    ],
  },
];
