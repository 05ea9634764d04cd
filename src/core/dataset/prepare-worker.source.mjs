// Loads the TypeScript worker when LungLens runs from its sources (the test runner): worker threads
// do not inherit the parent's TypeScript loader, so this shim registers tsx inside the worker.
// Built code (dist/) loads prepare-worker.js directly and never uses this file.
import { tsImport } from 'tsx/esm/api';

const worker = await tsImport('./prepare-worker.ts', import.meta.url);
export const { prepareCase, sliceInputs, maskInputs, lungsOf, lungHull, maskSlab, warmUp } = worker;
