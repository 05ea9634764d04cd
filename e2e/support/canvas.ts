import type { Page } from '@playwright/test';

/** Pixels of a canvas (2-D or WebGL) that are not black (`drawn`) or that are green (`green`: the mask overlay). */
export async function countPixels(page: Page, selector: string, kind: 'drawn' | 'green'): Promise<number> {
  return page.locator(selector).evaluate((c: HTMLCanvasElement, kind) => {
    const copy = document.createElement('canvas');
    copy.width = c.width;
    copy.height = c.height;
    const ctx = copy.getContext('2d')!;
    ctx.drawImage(c, 0, 0);
    const d = ctx.getImageData(0, 0, c.width, c.height).data;
    let n = 0;
    for (let i = 0; i < d.length; i += 4) if (kind === 'drawn' ? d[i]! + d[i + 1]! + d[i + 2]! > 60 : d[i + 1]! > d[i]! + 25) n++;
    return n;
  }, kind);
}
