/** Every item of a paged listing, 100 at a time. */
export async function pages<T>(page: (limit: number, offset: number) => Promise<{ items: T[]; total: number }>): Promise<T[]> {
  const all: T[] = [];
  for (let offset = 0; ; offset += 100) {
    const { items, total } = await page(100, offset);
    all.push(...items);
    if (offset + 100 >= total || items.length === 0) return all;
  }
}
