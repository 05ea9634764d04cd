/**
 * The API contract between the reading room (renderer) and its backend — one contract, two thin
 * transports (DESIGN.md §1): Electron IPC through the preload bridge, and HTTP on 127.0.0.1 for
 * `lunglens serve`. Each method names its request schema and its reply: a JSON schema, or
 * `binary` (raw little-endian pixels whose layout the method's comment gives). Both transports
 * validate every request with these schemas before the backend sees it. It depends on nothing of
 * ours but the core modules declared pure (scripts/lint/layers.js): a series' result is one schema.
 */
import { z } from 'zod';
import { SeriesResultSchema } from '../core/analysis/series-result.js';
import { DISPLAY_WINDOWS } from '../core/enhance/tone-map.js';

const Id = z.string().regex(/^[A-Za-z0-9_-]{1,80}$/, 'an identifier of letters, digits, - and _');
const Vec3 = z.tuple([z.number(), z.number(), z.number()]);
const Problem = z.object({ code: z.string(), message: z.string() });

const preset = (w: { centreHu: number; widthHu: number }) => Object.freeze({ centre: w.centreHu, width: w.widthHu });

/** Viewing windows (centre/width in HU) a radiologist expects by name. */
export const WINDOW_PRESETS = Object.freeze({
  lung: preset(DISPLAY_WINDOWS.lung),
  mediastinum: preset(DISPLAY_WINDOWS.mediastinal),
  bone: preset(DISPLAY_WINDOWS.bone),
});
export type WindowPreset = keyof typeof WINDOW_PRESETS;

export const SettingsSchema = z.object({
  /** The .onnx file (its .card.json beside it); null = the bundled model. */
  modelPath: z.string().min(1).nullable(),
  provider: z.enum(['auto', 'cuda', 'cpu']),
  /** onnxruntime threads; 0 = all cores. */
  threads: z.number().int().min(0).max(256),
  defaultWindow: z.enum(['lung', 'mediastinum', 'bone']),
  /** The name written with every review edit. */
  reviewer: z.string().max(120).default(''),
  /**
   * Voxel spacing [x, y, z] mm for image slices (PNG/JPEG), which carry none: used instead of the
   * estimate from anatomy; null = estimate. Files with a header keep their own.
   */
  imageSpacingMm: z.tuple([z.number().positive().max(100), z.number().positive().max(100), z.number().positive().max(100)]).nullable().default(null),
});
export type Settings = z.infer<typeof SettingsSchema>;

export const ModelInfoSchema = z.object({
  name: z.string(),
  version: z.string(),
  sha256: z.string(),
  threshold: z.number(),
  intendedUse: z.string(),
  inputSize: z.number().int(),
  provider: z.object({ requested: z.string(), used: z.string(), fallbackReason: z.string().optional() }),
});
export type ModelInfo = z.infer<typeof ModelInfoSchema>;

export const RecentStudySchema = z.object({ path: z.string(), label: z.string(), openedAt: z.string() });
export type RecentStudy = z.infer<typeof RecentStudySchema>;

export const AppInfoSchema = z.object({
  version: z.string(),
  transport: z.enum(['electron', 'http']),
  dataDir: z.string(),
  model: ModelInfoSchema.nullable(),
  /** Why there is no model (bad file, missing card …), as a sentence. */
  modelProblem: Problem.nullable(),
  settings: SettingsSchema,
  recent: z.array(RecentStudySchema),
});
export type AppInfo = z.infer<typeof AppInfoSchema>;

export const SeriesViewSchema = z.object({
  id: Id,
  source: z.enum(['dicom', 'nifti', 'metaimage', 'image-stack']),
  path: z.string(),
  studyInstanceUid: z.string(),
  seriesInstanceUid: z.string(),
  seriesDescription: z.string(),
  modality: z.string(),
  dimensions: Vec3,
  spacingMm: Vec3,
  originLps: Vec3,
  /** Row, column and slice-normal unit vectors (DESIGN.md §2), 9 numbers. */
  direction: z.array(z.number()).length(9),
  units: z.enum(['HU', 'unknown']),
  /** Where spacingMm came from: the header, an estimate from anatomy (image slices), or the user. */
  spacingSource: z.enum(['header', 'estimated', 'given']).default('header'),
  /** False for a sparse set of slices (not neighbours in the body): shown by slice, not by millimetre. */
  contiguous: z.boolean().default(true),
  valueRange: z.tuple([z.number(), z.number()]),
  warnings: z.array(Problem),
  /** A small PNG of the middle slice in the lung window, as a data: URL. */
  thumbnail: z.string(),
});
export type SeriesView = z.infer<typeof SeriesViewSchema>;

export const OpenResultSchema = z.object({
  series: z.array(SeriesViewSchema),
  rejected: z.array(z.object({ path: z.string(), code: z.string(), message: z.string() })),
});
export type OpenResult = z.infer<typeof OpenResultSchema>;

/** One series' analysis as the reading room shows it: the model's part of its result (core/analysis/series-result.ts), and what the viewer needs besides. */
export const AnalysisSchema = SeriesResultSchema.pick({
  status: true, probability: true, verdict: true, threshold: true, sliceAttention: true, slicePositive: true, topSlices: true, lungVolumeMl: true, timingsMs: true, error: true,
  // What was assumed about the input (DESIGN.md §3).
  units: true, calibrated: true, spacingSource: true, contiguous: true,
  // Where the model can abstain (DESIGN.md §3).
  oodScore: true, reasons: true,
}).extend({
  seriesId: Id,
  /** Slices with lung in the mask (the overlay and the 3-D view exist when > 0). */
  slicesWithLung: z.number().int(),
  /** The study's key in the review queue (its content identity), once analysed. */
  reviewKey: z.string().nullable(),
  executionProvider: z.string(),
  /**
   * What was assumed about the input, in plain words, for the band beside the verdict (null:
   * nothing was assumed): a title ("Uncalibrated input" …), one sentence per assumption, and
   * whether the lung volume is an estimate.
   */
  assumptions: z.object({ title: z.string(), lines: z.array(z.string()), lungVolumeEstimated: z.boolean() }).nullable().default(null),
});
export type Analysis = z.infer<typeof AnalysisSchema>;

export const StochasticParamsSchema = z.object({
  chains: z.number().int().min(1).max(64),
  samples: z.number().int().min(4).max(1000),
  sigmaI: z.number().positive().max(100),
  sigmaG: z.number().positive().max(100),
  k: z.number().min(0).max(10),
  gamma1: z.number().min(0).max(5),
  gamma2: z.number().min(0).max(5),
}).partial();
export type StochasticRequestParams = z.infer<typeof StochasticParamsSchema>;

/** One row of a batch scan: a series result in short. */
export const ScanRowSchema = SeriesResultSchema.pick({ id: true, path: true, seriesDescription: true, status: true, probability: true, verdict: true, lungVolumeMl: true, error: true, reasons: true }).extend({
  slices: z.number().int().nullable(),
  totalMs: z.number().nullable(),
});
export type ScanRow = z.infer<typeof ScanRowSchema>;

/** Streamed to the renderer while a job runs (scan, stochastic enhancement). */
export const JobEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('progress'), jobId: Id, done: z.number(), total: z.number(), row: ScanRowSchema.optional() }),
  z.object({ type: z.literal('done'), jobId: Id, outDir: z.string().optional(), cancelled: z.boolean() }),
  z.object({ type: z.literal('failed'), jobId: Id, error: Problem }),
]);
export type JobEvent = z.infer<typeof JobEventSchema>;

const ReviewVerdictSchema = z.enum(['covid', 'non-covid', 'indeterminate']);
/** The model's verdict; indeterminate where its card lets it abstain. */
const AiVerdictSchema = z.enum(['covid', 'non-covid', 'indeterminate']);
const ReviewStatusSchema = z.enum(['unreviewed', 'in-progress', 'done']);
const SliceMarkSchema = z.enum(['lesion', 'clear']);
const ReviewKey = z.string().regex(/^[0-9a-f]{16,128}$/, 'a study key');

export const QueueRowSchema = z.object({
  key: z.string(), description: z.string(), path: z.string(), slices: z.number().int(),
  aiVerdict: AiVerdictSchema.nullable(), aiProbability: z.number().nullable(),
  verdict: ReviewVerdictSchema.nullable(), status: ReviewStatusSchema, reviewer: z.string(), marked: z.number().int(), updatedAt: z.string().nullable(),
});
export type QueueRow = z.infer<typeof QueueRowSchema>;

export const ReviewSchema = z.object({
  key: z.string(), description: z.string(), path: z.string(), slices: z.number().int(),
  ai: z.object({
    probability: z.number().nullable(), verdict: AiVerdictSchema.nullable(), threshold: z.number().nullable(), attention: z.array(z.number()), slicePositive: z.array(z.boolean()),
    /** Why the model gave no answer (an indeterminate verdict), one sentence each. */
    reasons: z.array(z.string()).optional(),
  }),
  review: z.object({ reviewer: z.string(), verdict: ReviewVerdictSchema.nullable(), note: z.string(), status: ReviewStatusSchema, updatedAt: z.string().nullable() }),
  marks: z.array(SliceMarkSchema.nullable()),
});
export type Review = z.infer<typeof ReviewSchema>;
export type ReviewVerdict = z.infer<typeof ReviewVerdictSchema>;
export type SliceMark = z.infer<typeof SliceMarkSchema>;

// --- The DICOM node (DESIGN.md §8): its settings, query/retrieve, sending results -------------

const AeTitle = z.string().trim().min(1, 'an AE title').max(16, 'an AE title has at most 16 characters').regex(/^[\x20-\x5b\x5d-\x7e]+$/, 'an AE title holds printable ASCII without a backslash');
const Port = z.number().int().min(1).max(65535);
const Host = z.string().trim().min(1).max(253).regex(/^[A-Za-z0-9.:[\]_-]+$/, 'a host name or IP address');
const Name = z.string().trim().min(1).max(64);
const Uid = z.string().regex(/^[0-9.]{1,64}$/, 'a DICOM UID');
const PeerSchema = z.object({ aeTitle: AeTitle, host: Host, port: Port });

export const NetworkSettingsSchema = z.object({
  listener: z.object({
    /** Off by default: receiving studies is turned on deliberately. */
    enabled: z.boolean(),
    aeTitle: AeTitle,
    port: Port,
    /** 127.0.0.1: this machine only; 0.0.0.0 or an interface's address to receive from the network. */
    bindAddress: Host,
    /** Calling AE titles allowed to send (the PACS nodes below are always allowed). */
    allowedCallingAeTitles: z.array(AeTitle).max(100),
    /** A series is complete once it has been quiet this long. */
    stableSeconds: z.number().min(1).max(3600),
  }),
  pacs: z.array(z.object({ name: Name, peer: PeerSchema, dicomweb: z.string().url().optional() })).max(50),
  destinations: z.array(z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('dimse'), name: Name, peer: PeerSchema }),
    z.object({ kind: z.literal('stow'), name: Name, url: z.string().url() }),
  ])).max(50),
  /** Send every analysis of a received study, and every signed-off review, to these destinations. */
  autoSend: z.object({ enabled: z.boolean(), destinations: z.array(Name).max(50) }),
});
export type NetworkSettings = z.infer<typeof NetworkSettingsSchema>;

export const NetworkViewSchema = z.object({
  settings: NetworkSettingsSchema,
  status: z.object({ listening: z.boolean(), port: z.number().int().nullable(), problem: Problem.nullable() }),
});
export type NetworkView = z.infer<typeof NetworkViewSchema>;

/** A study found on a PACS. No patient identifiers go to the page: the reader typed the query. */
export const PacsStudySchema = z.object({
  studyInstanceUid: z.string(), studyDate: z.string(), accessionNumber: z.string(), studyDescription: z.string(),
  modalitiesInStudy: z.array(z.string()), numberOfSeries: z.number().nullable(), numberOfInstances: z.number().nullable(),
});
export type PacsStudy = z.infer<typeof PacsStudySchema>;

export const SendOutcomeSchema = z.object({
  destination: z.string(),
  sent: z.number().int(),
  failed: z.array(z.object({ file: z.string(), message: z.string() })),
  objects: z.array(z.object({ kind: z.enum(['sr', 'seg', 'kos', 'sc', 'verified-sr']), sopInstanceUid: z.string() })),
});
export type SendOutcome = z.infer<typeof SendOutcomeSchema>;

const JobStarted = z.object({ jobId: Id });
const SeriesSlice = z.object({ seriesId: Id, index: z.number().int().min(0) });

interface JsonMethod<Req extends z.ZodTypeAny, Res extends z.ZodTypeAny> { request: Req; reply: Res; binary?: false }
interface BinaryMethod<Req extends z.ZodTypeAny> { request: Req; reply: null; binary: true }
const json = <Req extends z.ZodTypeAny, Res extends z.ZodTypeAny>(request: Req, reply: Res): JsonMethod<Req, Res> => ({ request, reply });
const binary = <Req extends z.ZodTypeAny>(request: Req): BinaryMethod<Req> => ({ request, reply: null, binary: true });

export const API = {
  info: json(z.object({}), AppInfoSchema),
  /** Reads every series under the given files/folders (a study), and remembers it as recent. */
  open: json(z.object({ paths: z.array(z.string().min(1).max(4096)).min(1).max(10_000) }), OpenResultSchema),
  /** Opens the bundled sample studies (written to the data folder on first use). */
  openSamples: json(z.object({}), OpenResultSchema),
  /** Lung mask + model on one opened series. */
  analyze: json(z.object({ seriesId: Id }), AnalysisSchema),
  /** Int16 HU of slice `index`, columns × rows, x fastest. */
  slice: binary(SeriesSlice),
  /** Uint8 lung mask (0/1) of slice `index` (after analyze), columns × rows. */
  mask: binary(SeriesSlice),
  /**
   * The lung surface as a triangle mesh in patient millimetres: Uint32 vertex count V, Uint32
   * index count I, then V×3 Float32 positions, V Float32 slice coordinates (fractional slice
   * index of each vertex), I Uint32 indices.
   */
  mesh: binary(z.object({ seriesId: Id })),
  /** Starts the stochastic enhancement of a slice; progress events say how many chains are done. */
  enhance: json(SeriesSlice.extend({ params: StochasticParamsSchema }), JobStarted),
  /** The latest estimate of an enhancement job: Float32 in [0, 1], columns × rows. */
  enhanceImage: binary(z.object({ jobId: Id })),
  /** Batch scan of folders into `<data>/scans/<time>` (results.json/csv, report.html). */
  scan: json(z.object({ paths: z.array(z.string().min(1).max(4096)).min(1).max(1000) }), JobStarted),
  cancel: json(z.object({ jobId: Id }), z.object({ cancelled: z.boolean() })),
  setSettings: json(SettingsSchema, AppInfoSchema),
  /** The review queue (studies analysed here or in a batch scan), filtered. */
  reviewQueue: json(z.object({ aiVerdict: AiVerdictSchema.optional(), status: ReviewStatusSchema.optional() }), z.object({ rows: z.array(QueueRowSchema) })),
  review: json(z.object({ key: ReviewKey }), ReviewSchema),
  /** Changes the study's review; saved at once, audited under `reviewer`. */
  reviewSet: json(z.object({ key: ReviewKey, reviewer: z.string().min(1).max(120), verdict: ReviewVerdictSchema.nullable().optional(), note: z.string().max(20_000).optional(), status: ReviewStatusSchema.optional() }), ReviewSchema),
  /** Marks a slice (lesion / clear) or clears its mark (null); saved at once, audited. */
  reviewMark: json(z.object({ key: ReviewKey, reviewer: z.string().min(1).max(120), slice: z.number().int().min(0), mark: SliceMarkSchema.nullable() }), ReviewSchema),
  /** The DICOM node's settings (network.json in the data folder) and whether it is listening. */
  network: json(z.object({}), NetworkViewSchema),
  /** Saves the node's settings and starts, restarts or stops its listener to match. */
  setNetwork: json(NetworkSettingsSchema, NetworkViewSchema),
  /** Studies on a configured PACS node (C-FIND, or QIDO-RS with `dicomweb`). */
  pacsFind: json(z.object({
    pacs: Name, patientId: z.string().max(64).optional(), accessionNumber: z.string().max(16).optional(),
    studyDate: z.string().regex(/^(\d{8})?(-(\d{8})?)?$/, 'YYYYMMDD or a range YYYYMMDD-YYYYMMDD').optional(), modality: z.string().max(16).optional(), dicomweb: z.boolean().optional(),
  }), z.object({ studies: z.array(PacsStudySchema) })),
  /** Retrieves a study (or one series) into LungLens (C-MOVE to our AE title, or WADO-RS); the folders to open. */
  pacsRetrieve: json(z.object({ pacs: Name, studyInstanceUid: Uid, seriesInstanceUid: Uid.optional(), dicomweb: z.boolean().optional() }),
    z.object({ paths: z.array(z.string()), completed: z.number().int(), failed: z.number().int() })),
  /** Sends an analysed series' result objects (SR, SEG, KOS, SC; the VERIFIED SR once its review is done) to a destination. */
  sendResults: json(z.object({ seriesId: Id, destination: Name }), SendOutcomeSchema),
} as const;

export type Api = typeof API;
export type MethodName = keyof Api;
export type RequestOf<M extends MethodName> = z.input<Api[M]['request']>;
export type ReplyOf<M extends MethodName> = Api[M] extends JsonMethod<z.ZodTypeAny, infer R> ? z.infer<R> : ArrayBuffer;

/** What a failed call carries across either transport. */
export interface ApiProblem { code: string; message: string }

/** IPC channel names (Electron transport). */
export const IPC = { call: 'lunglens:call', event: 'lunglens:event', chooseFolder: 'lunglens:choose-folder' } as const;

/** HTTP header carrying the per-session token (serve transport). */
export const TOKEN_HEADER = 'x-lunglens-token';
