/**
 * `results.json` (DESIGN.md §3), format `lunglens-scan` version 1: the schema is the contract and
 * the type is inferred from it. `lunglens scan` writes it; `lunglens evaluate` reads it, also as
 * the training package writes it (training/evaluate.py: the fields DESIGN.md §3 names, not the
 * rest) — `ScanResultsReadSchema`, the same fields and types with only an item's status required.
 */
import { z } from 'zod';
import { SeriesResultSchema } from '../analysis/index.js';

export const ModelIdentitySchema = z.object({
  name: z.string(),
  version: z.string(),
  sha256: z.string(),
  executionProvider: z.string(),
  provider: z.object({ requested: z.enum(['auto', 'cuda', 'cpu']), used: z.enum(['cuda', 'cpu']), fallbackReason: z.string().optional() }),
  threads: z.number().int(),
});

export const ScanResultsSchema = z.object({
  format: z.literal('lunglens-scan'),
  version: z.literal(1),
  model: ModelIdentitySchema,
  /** False while the scan is still running (or was interrupted); `--resume` completes it. */
  complete: z.boolean(),
  summary: z.object({ series: z.number().int(), ok: z.number().int(), error: z.number().int(), skipped: z.number().int(), covid: z.number().int(), nonCovid: z.number().int(),
    /** Volumes the model gave no answer for (a card with abstention only; 0 otherwise). */
    indeterminate: z.number().int().optional() }),
  items: z.array(SeriesResultSchema),
});

export type ScanResults = z.infer<typeof ScanResultsSchema>;

export const ScanResultsReadSchema = z.object({
  model: ModelIdentitySchema.partial().passthrough().nullish(),
  items: z.array(SeriesResultSchema.partial().required({ status: true }).passthrough()),
}).passthrough();

export type ScanResultsRead = z.infer<typeof ScanResultsReadSchema>;
