import { createRequire } from 'node:module';
import type DicomParser from 'dicom-parser';

/**
 * dicom-parser, loaded with require. An ESM import of this CommonJS module makes Node scan its
 * source for named exports (cjs-module-lexer): in each new reading thread that scan ran long
 * enough to be compiled by the JavaScript engine (≈ 30 ms), while a scan's threads start.
 */
export const dicomParser = createRequire(import.meta.url)('dicom-parser') as typeof DicomParser;
