/**
 * LungLens as a DICOM node at work (DESIGN.md §3 `listen`, `send`): received series analysed once
 * per content, their results written as DICOM objects and sent. Transport is core/network's, the
 * objects core/dicom-results', the analysis core/analysis'.
 */
export { analyseDicomSeries, resultAnalysisOf, type AnalyseContext, type AnalysedSeries } from './analyse.js';
export { AnalysedJournal, type JournalEntry } from './journal.js';
export { startDicomNode, type DicomNodeOptions } from './node.js';
