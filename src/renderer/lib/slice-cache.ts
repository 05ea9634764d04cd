/**
 * Slices of the open series on the renderer side: fetched once, kept (a 512×512×300 series is
 * 157 MB of HU, well within a workstation's budget, and it makes scrolling a pure re-render),
 * and prefetched outward from the slice on screen so that wheel scrolling never waits.
 */
export type SliceFetcher<T> = (index: number) => Promise<T>;

export class SliceCache<T> {
  private readonly ready = new Map<number, T>();
  private readonly inflight = new Map<number, Promise<T>>();
  private prefetching = false;
  private centre = 0;
  private closed = false;

  constructor(readonly sliceCount: number, private readonly fetcher: SliceFetcher<T>, private readonly concurrency = 4) {}

  peek(index: number): T | undefined {
    return this.ready.get(index);
  }

  get(index: number): Promise<T> {
    const hit = this.ready.get(index);
    if (hit !== undefined) return Promise.resolve(hit);
    let p = this.inflight.get(index);
    if (!p) {
      p = this.fetcher(index).then((value) => {
        this.inflight.delete(index);
        if (!this.closed) this.ready.set(index, value);
        return value;
      }, (error: unknown) => {
        this.inflight.delete(index);
        throw error;
      });
      this.inflight.set(index, p);
    }
    return p;
  }

  get loaded(): number {
    return this.ready.size;
  }

  /** Loads every slice, nearest to `centre` first (call again when the reader moves). */
  prefetchAround(centre: number): void {
    this.centre = centre;
    if (this.prefetching) return;
    this.prefetching = true;
    const worker = async () => {
      for (;;) {
        if (this.closed) return;
        const k = this.nextMissing();
        if (k === undefined) return;
        await this.get(k).catch(() => undefined);
      }
    };
    void Promise.all(Array.from({ length: this.concurrency }, worker)).finally(() => (this.prefetching = false));
  }

  private nextMissing(): number | undefined {
    for (let d = 0; d < this.sliceCount; d++) {
      for (const k of [this.centre + d, this.centre - d]) {
        if (k >= 0 && k < this.sliceCount && !this.ready.has(k) && !this.inflight.has(k)) return k;
      }
    }
    return undefined;
  }

  close(): void {
    this.closed = true;
    this.ready.clear();
  }
}

/**
 * The slice caches of the last few series, kept across views (leaving the reading room and
 * coming back does not fetch a series again); older ones are closed and let go.
 */
export class CacheShelf<T> {
  private readonly shelf = new Map<string, SliceCache<T>>();

  constructor(private readonly keep = 3) {}

  get(key: string, make: () => SliceCache<T>): SliceCache<T> {
    let cache = this.shelf.get(key);
    if (cache) this.shelf.delete(key);
    else cache = make();
    this.shelf.set(key, cache); // most recently used last
    for (const [k, old] of this.shelf) {
      if (this.shelf.size <= this.keep) break;
      old.close();
      this.shelf.delete(k);
    }
    return cache;
  }
}

/** The reading room's shelves: HU slices and lung-mask slices of the last three series. */
export const sliceShelf = new CacheShelf<Int16Array>();
export const maskShelf = new CacheShelf<Uint8Array>();
