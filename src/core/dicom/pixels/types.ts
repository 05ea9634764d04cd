/**
 * What a pixel decoder needs to know about a frame, read from the Image Pixel module
 * (and, for native data, the transfer syntax's byte order).
 */
export interface FrameInfo {
  rows: number;
  columns: number;
  bitsAllocated: number;
  bitsStored: number;
  highBit: number;
  /** 0 = unsigned, 1 = two's complement, as the header says. */
  pixelRepresentation: 0 | 1;
  samplesPerPixel: number;
  planarConfiguration: 0 | 1;
  photometricInterpretation: string;
}

/**
 * Stored pixel values of one frame, one per pixel (single sample), row by row, already
 * masked to BitsStored and sign-extended per the DICOM rules, so that
 * HU = value · RescaleSlope + RescaleIntercept needs nothing else.
 */
export type StoredPixels = Int16Array | Uint16Array | Int32Array | Uint8Array | Int8Array;

export interface DecodedFrame {
  pixels: StoredPixels;
  /** Non-fatal findings (e.g. the codestream's signedness disagreed with PixelRepresentation). */
  warnings: { code: string; message: string }[];
}
