/**
 * The one place where a call from either transport is checked against the contract and handed to
 * the workstation: unknown methods and payloads that do not match their schema are refused with
 * `unknown-method` / `bad-request` and a sentence, before any work starts.
 */
import type { z } from 'zod';
import { API, type Api, type MethodName } from '../shared/api.js';
import { ApiError } from './api-error.js';
import type { Workstation } from './workstation.js';

type Handlers = { [M in MethodName]: (ws: Workstation, request: z.infer<Api[M]['request']>) => unknown };

const HANDLERS: Handlers = {
  info: (ws) => ws.info(),
  open: (ws, r) => ws.open(r.paths),
  openSamples: (ws) => ws.openSamples(),
  analyze: (ws, r) => ws.analyze(r.seriesId),
  slice: (ws, r) => ws.slice(r.seriesId, r.index),
  mask: (ws, r) => ws.mask(r.seriesId, r.index),
  mesh: (ws, r) => ws.mesh(r.seriesId),
  enhance: (ws, r) => ws.enhance(r.seriesId, r.index, r.params),
  enhanceImage: (ws, r) => ws.enhanceImage(r.jobId),
  scan: (ws, r) => ws.scan(r.paths),
  cancel: (ws, r) => ws.cancel(r.jobId),
  setSettings: (ws, r) => ws.setSettings(r),
  reviewQueue: (ws, r) => ws.reviewQueue(r),
  review: (ws, r) => ws.review(r.key),
  reviewSet: (ws, r) => ws.reviewSet(r.key, r.reviewer, { ...(r.verdict !== undefined ? { verdict: r.verdict } : {}), ...(r.note !== undefined ? { note: r.note } : {}), ...(r.status !== undefined ? { status: r.status } : {}) }),
  reviewMark: (ws, r) => ws.reviewMark(r.key, r.reviewer, r.slice, r.mark),
};

export function isMethod(name: string): name is MethodName {
  return Object.prototype.hasOwnProperty.call(API, name);
}

/** Resolves to the reply: a JSON-able value, or a Buffer for the binary methods. */
export async function dispatch(ws: Workstation, method: string, payload: unknown): Promise<unknown> {
  if (!isMethod(method)) throw new ApiError('unknown-method', `There is no method "${method.slice(0, 60)}" in the LungLens API.`, 404);
  const parsed = API[method].request.safeParse(payload ?? {});
  if (!parsed.success) {
    const why = parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.') || 'request'}: ${i.message}`).join('; ');
    throw new ApiError('bad-request', `The request for ${method} is not valid (${why}).`);
  }
  const handler = HANDLERS[method] as (ws: Workstation, request: unknown) => unknown;
  return await handler(ws, parsed.data);
}
