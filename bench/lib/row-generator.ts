// Deterministic, realistic scraped rows (a product listing: 16 fields of text, numbers, nested
// objects and arrays, some unicode, quotes, commas and line breaks) and their NDJSON bytes.
import { createWriteStream } from 'node:fs';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';

export type ScrapedRow = Record<string, unknown>;

/** mulberry32: a tiny seeded PRNG, so the same seed gives the same rows on every machine. */
function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = (
  'stainless steel kettle wireless headphones organic cotton shirt ergonomic chair portable ' +
  'charger vintage leather wallet garden hose ceramic mug running shoes waterproof jacket ' +
  'smart watch desk lamp yoga mat coffee grinder backpack sunglasses bluetooth speaker ' +
  'naïve café crème brûlée Zürich São Paulo Kraków Ærø façade jalapeño smörgåsbord ' +
  '東京 大阪 Москва Київ Αθήνα שלום مرحبا 😀 ✨ 🚀 ★ €'
).split(' ');
const BRANDS = ['Müller & Söhne', 'Société Générale du Meuble', '東京電機', 'Škoda Parts', 'Ørsted Home', 'Café ☕ Co', 'ACME, Inc.', 'O\'Reilly "Best" Tools', 'Nordisk Design', 'Generic'];
const CATEGORIES = ['Home & Kitchen', 'Electronics', 'Fashion', 'Sports, Outdoors', 'Garden', 'Toys', 'Books', 'Beauty', 'Office'];
const COUNTRIES = ['FR', 'DE', 'US', 'JP', 'GB', 'PL', 'BR', 'UA', 'IL', 'EG'];
const CITIES = ['Paris', 'Berlin', 'New York', '東京', 'London', 'Kraków', 'São Paulo', 'Київ', 'Tel Aviv', 'القاهرة'];
const CURRENCIES = ['EUR', 'USD', 'GBP', 'JPY', 'PLN'];
const COLORS = ['black', 'white', 'red', 'navy blue', 'forest green', 'beige'];
const SIZES = ['XS', 'S', 'M', 'L', 'XL', '42', '10"', 'one size'];

export interface RowGenerator {
  next(): ScrapedRow;
}

export function createRowGenerator(seed = 42, startIndex = 0): RowGenerator {
  const random = createRandom(seed);
  const int = (max: number): number => Math.floor(random() * max);
  const pick = <T>(list: readonly T[]): T => list[int(list.length)] as T;
  const words = (count: number): string => Array.from({ length: count }, () => pick(WORDS)).join(' ');
  let index = startIndex;
  const describe = (): string => {
    const sentences = Array.from({ length: 1 + int(3) }, () => `${words(5 + int(8))}.`);
    // One row in five has a line break, one in six a quoted phrase and a comma: CSV must quote these.
    if (int(5) === 0) sentences.splice(1, 0, '\n');
    if (int(6) === 0) sentences.push(`Customers say: "${words(3)}", "${words(2)}".`);
    return sentences.join(' ');
  };
  return {
    next(): ScrapedRow {
      index += 1;
      const slug = `${pick(WORDS)}-${pick(WORDS)}`;
      return {
        item_id: index,
        url: `https://shop.example.com/p/${encodeURIComponent(slug)}-${index}`,
        title: int(8) === 0 ? `${words(3)} "${words(2)}" (${pick(SIZES)})` : words(4 + int(6)),
        price: Math.round(random() * 100_000) / 100,
        currency: pick(CURRENCIES),
        rating: int(10) === 0 ? null : Math.round(random() * 50) / 10,
        reviews_count: int(20_000),
        in_stock: random() < 0.8,
        brand: pick(BRANDS),
        description: describe(),
        categories: Array.from({ length: 1 + int(3) }, () => pick(CATEGORIES)),
        seller: { name: `${pick(BRANDS)} Store`, country: pick(COUNTRIES), rating: Math.round(random() * 1000) / 10 },
        images: Array.from({ length: int(5) }, (_, n) => `https://img.example.com/${index}/${n}.jpg`),
        attributes: { color: pick(COLORS), size: pick(SIZES), weight_g: 50 + int(5000) },
        location: { city: pick(CITIES), lat: Math.round((random() * 180 - 90) * 1e5) / 1e5, lng: Math.round((random() * 360 - 180) * 1e5) / 1e5 },
        scraped_at: new Date(Date.UTC(2025, 0, 1) + index * 1000).toISOString(),
      };
    },
  };
}

/** `rows` rows as NDJSON, in chunks of about `chunkBytes`, generated as they are read. */
export function createNdjsonStream(rows: number, seed = 42, chunkBytes = 256 * 1024): Readable {
  const generator = createRowGenerator(seed);
  async function* chunks(): AsyncGenerator<Buffer> {
    let lines: string[] = [];
    let pending = 0;
    for (let n = 0; n < rows; n += 1) {
      const line = `${JSON.stringify(generator.next())}\n`;
      lines.push(line);
      pending += line.length;
      if (pending >= chunkBytes) {
        yield Buffer.from(lines.join(''));
        lines = [];
        pending = 0;
      }
    }
    if (lines.length > 0) yield Buffer.from(lines.join(''));
  }
  return Readable.from(chunks(), { objectMode: false });
}

/** Writes the NDJSON of `rows` rows to `path`; answers its size in bytes. */
export async function writeNdjsonFile(path: string, rows: number, seed = 42): Promise<number> {
  const file = createWriteStream(path);
  await pipeline(createNdjsonStream(rows, seed), file);
  return file.bytesWritten;
}
