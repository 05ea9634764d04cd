/**
 * Drawing a rendered slice (RGBA at its own resolution) onto a canvas of any size: fitted to the
 * canvas with the pixel aspect ratio kept, then zoomed about the centre and panned (screen px).
 * `imageToScreen`/`screenToImage` are the one transform, for drawing and for pointer read-outs.
 */
export interface View { zoom: number; panX: number; panY: number }

export interface Placement { scaleX: number; scaleY: number; offsetX: number; offsetY: number }

export function placement(canvasW: number, canvasH: number, imageW: number, imageH: number, pixelAspect: number, view: View): Placement {
  const fit = Math.min(canvasW / imageW, canvasH / (imageH * pixelAspect));
  const scaleX = fit * view.zoom, scaleY = fit * pixelAspect * view.zoom;
  return { scaleX, scaleY, offsetX: (canvasW - imageW * scaleX) / 2 + view.panX, offsetY: (canvasH - imageH * scaleY) / 2 + view.panY };
}

export function screenToImage(p: Placement, x: number, y: number): { x: number; y: number } {
  return { x: (x - p.offsetX) / p.scaleX, y: (y - p.offsetY) / p.scaleY };
}

export function drawImage(ctx: CanvasRenderingContext2D, source: CanvasImageSource, p: Placement, imageW: number, imageH: number): void {
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.fillStyle = '#000';
  ctx.fillRect(0, 0, ctx.canvas.width, ctx.canvas.height);
  ctx.imageSmoothingEnabled = p.scaleX < 4;
  ctx.drawImage(source, 0, 0, imageW, imageH, p.offsetX, p.offsetY, imageW * p.scaleX, imageH * p.scaleY);
}
