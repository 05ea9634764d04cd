/**
 * The one place where a call from either transport is checked against the contract and handed to
 * its service: unknown methods and payloads that do not match their schema are refused with
 * `unknown-method` / `bad-request` and a sentence, before any work starts. Where replies are
 * checked (development and tests: `checkReplies`), a reply that does not match its schema is a
 * `bad-reply` — a bug in the backend, caught before a page relies on it.
 */
import type { z } from 'zod';
import { API, type Api, type MethodName } from '../shared/api.js';
import { ApiError } from './api-error.js';
import type { Services } from './services/index.js';

type Handlers = { [M in MethodName]: (s: Services, request: z.infer<Api[M]['request']>) => unknown };

const HANDLERS: Handlers = {
  // settings
  info: (s) => s.settings.info(),
  setSettings: (s, r) => s.settings.set(r),
  // studies
  open: (s, r) => s.studies.open(r.paths),
  openSamples: (s) => s.studies.openSamples(),
  slice: (s, r) => s.studies.slice(r.seriesId, r.index),
  // analysis
  analyze: (s, r) => s.analysis.analyze(r.seriesId),
  mask: (s, r) => s.analysis.mask(r.seriesId, r.index),
  mesh: (s, r) => s.analysis.mesh(r.seriesId),
  // enhancement
  enhance: (s, r) => s.enhancement.enhance(r.seriesId, r.index, r.params),
  enhanceImage: (s, r) => s.enhancement.image(r.jobId),
  // scans and jobs
  scan: (s, r) => s.scans.scan(r.paths),
  cancel: (s, r) => s.ctx.jobs.cancel(r.jobId),
  // review
  reviewQueue: (s, r) => s.review.queue(r),
  review: (s, r) => s.review.review(r.key),
  reviewSet: (s, r) => s.review.set(r.key, r.reviewer, { ...(r.verdict !== undefined ? { verdict: r.verdict } : {}), ...(r.note !== undefined ? { note: r.note } : {}), ...(r.status !== undefined ? { status: r.status } : {}) }),
  reviewMark: (s, r) => s.review.mark(r.key, r.reviewer, r.slice, r.mark),
  // the DICOM node
  network: (s) => s.network.view(),
  setNetwork: (s, r) => s.network.set(r),
  pacsFind: (s, r) => s.network.find(r),
  pacsRetrieve: (s, r) => s.network.retrieve(r),
  sendResults: (s, r) => s.network.send(r.seriesId, r.destination),
};

export function isMethod(name: string): name is MethodName {
  return Object.prototype.hasOwnProperty.call(API, name);
}

/** Replies are checked against their schemas in development and tests (NODE_ENV development or test), or with LUNGLENS_CHECK_REPLIES=1. */
export function checkRepliesByDefault(): boolean {
  const env = process.env;
  return env['LUNGLENS_CHECK_REPLIES'] === '1' || env['NODE_ENV'] === 'development' || env['NODE_ENV'] === 'test';
}

/** Resolves to the reply: a JSON-able value, or a Buffer for the binary methods. */
export async function dispatch(services: Services, method: string, payload: unknown, checkReplies = checkRepliesByDefault()): Promise<unknown> {
  if (!isMethod(method)) throw new ApiError('unknown-method', `There is no method "${method.slice(0, 60)}" in the LungLens API.`, 404);
  const parsed = API[method].request.safeParse(payload ?? {});
  if (!parsed.success) throw new ApiError('bad-request', `The request for ${method} is not valid (${complaint(parsed.error, 'request')}).`);
  const handler = HANDLERS[method] as (s: Services, request: unknown) => unknown;
  const reply = await handler(services, parsed.data);
  if (checkReplies) checkReply(method, reply);
  return reply;
}

function checkReply(method: MethodName, reply: unknown): void {
  const spec = API[method];
  if (spec.reply === null) {
    if (!Buffer.isBuffer(reply)) throw new ApiError('bad-reply', `The backend's reply to ${method} is not binary.`, 500);
    return;
  }
  const checked = spec.reply.safeParse(reply);
  if (!checked.success) throw new ApiError('bad-reply', `The backend's reply to ${method} does not match the contract (${complaint(checked.error, 'reply')}).`, 500);
}

function complaint(error: z.ZodError, what: string): string {
  return error.issues.slice(0, 3).map((i) => `${i.path.join('.') || what}: ${i.message}`).join('; ');
}
