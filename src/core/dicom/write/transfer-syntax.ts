/** The transfer syntaxes `writePart10` encodes itself; others are made from these with dcmtk/GDCM. */
export const WRITABLE_TRANSFER_SYNTAXES = {
  /** Explicit VR Little Endian, the default. */
  'explicit-little': '1.2.840.10008.1.2.1',
  /** Implicit VR Little Endian, the DICOM default transfer syntax. */
  'implicit-little': '1.2.840.10008.1.2',
  /** Deflated Explicit VR Little Endian: the data set after the file meta group is raw-deflated. */
  'deflated-explicit-little': '1.2.840.10008.1.2.1.99',
} as const;

export type WritableTransferSyntax = keyof typeof WRITABLE_TRANSFER_SYNTAXES;
