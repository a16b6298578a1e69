// Reading a whole answer from a list field the server pages with `first` and `offset`.

/** Rows per request for the access-graph lists: 250 access rows (each with its path) cost
 * about 9,300 of the server's budget of 10,000 per document, and stay under its cap of 500. */
export const GRAPH_PAGE = 250;

/** The most rows the explorer reads for one answer, so one question cannot read without end. */
export const MOST_ROWS = 20_000;

export interface AllRows<T> {
  rows: T[];
  /** false when the answer had more than `most` rows and only the first `most` were read */
  complete: boolean;
}

/** Every row of a paged answer, asked page after page until a page comes back short.
 * `progress` hears the count read so far after each page (the browser paints in between). */
export async function readAll<T>(
  page: (first: number, offset: number) => Promise<T[]>,
  { pageSize = GRAPH_PAGE, most = MOST_ROWS, progress }: { pageSize?: number; most?: number; progress?: (read: number) => void } = {},
): Promise<AllRows<T>> {
  const rows: T[] = [];
  for (;;) {
    const found = await page(pageSize, rows.length);
    rows.push(...found);
    progress?.(rows.length);
    if (found.length < pageSize) return { rows, complete: true };
    if (rows.length >= most) return { rows: rows.slice(0, most), complete: false };
  }
}
