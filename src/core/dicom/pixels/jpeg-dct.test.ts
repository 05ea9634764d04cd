/**
 * The 12-bit sequential DCT decoder on a tiny fixture: a synthetic 21×13 12-bit image (so edge
 * blocks are partial) encoded by dcmtk (`dcmcjpeg +ee +q 75`), with dcmtk's own decoding
 * (`dcmdjpeg`, IJG islow) as the expected values — which we must reproduce exactly.
 * Real CT is covered in decode-corpus.test.ts and third-party-encoders.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { decodeJpegDct } from './jpeg-dct.js';

const JPEG_12_BIT =
  '/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRofHh0aHBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDL/wQALDAANABUBAREA/8QAFwABAAMAAAAAAAAAAAAAAAAACggJC//EACYQAAEDAwMDBQEAAAAAAAAAAAECAwQFBxEGCAkKEiEAExQxMkH/2gAIAQEAAD8Al10ds7jm6P8A4Prw8d+267l2dUwrrXWqF6dQvXdrtMnVNmtzqHR6O/FiGnU+npRF+NRISktuIdWHFyD7p8Bs4fUKcQ1x+YPdnJu1a+kPVpmRUnZTT0Za1sKV3pdKG/b78Edyh4OcDtP6Hq2jgsoMPjN2azbJawpMKFWEymJCmJ6W0BLQSsI7CfKvspPgAdoxkH0Mbmo3xXqtLzSV23GmNSyWaBA1MInxlLBbWFOfYBGR+DkKUr7TjtCcHWm6Lna1brdHx7ae1VdimsV+tSqIl1x+TFaWCtZGVYKT/XTnz5Awf4Qt7Yj0gPBtyJ7DbaX63a7LZNxLrVWpaoZqGoId2tbabQ+hjUFQispEOkVmLFbCGIzCAEND8FRypSlK/9k=';
const DCMDJPEG_OUTPUT =
  'AAAAAA8ArAyYDZUNYg2GDI8KrAgAByoFkANTAioChALqAnoE9wX1B8QJAAAVAAAA1Ax9DQcNCw0XDKEKaAjiBt4EhwMGAxMCkgKhA48EYgZRCBsKCwAAAAEA6QsmDTkNbww3DIQKaggJB5YFBgRYA94CPwMUBPYEjgYgCP8Jrgc9CaEK4wt2DPULxgswC4sJcgg2BxsG+ATwA7kDvQPlBFgFwwZHCJ0J/QfFCOYJpQpICzkL4Ap5CmQJpwhfB4kGUAUSBWIEhARmBesFJge7CPMIyweyCEcJbAnPCQwKyQkXCcsIUAhlBzEHWQaIBkYGQAZNBvsGAQfRB7sIlQdHCNcHlwgfCKsIVwj1B4AIawjoB7QHrAdkB8QHdQehB5UHsQexB4EI+AfZB2IH7QbnBtUGEAceB3MHgQcICOkInwjACBwJWwmDCIUIMAiGB78H/gcxB1MGFAZ2BY4FhAX0BTcHfAeTCD0JuQkfCp8KQArrCWYJ+ggHCC0H3Ad/BvUFFgV/BG8EzQSGBYYGcQcGCYsJ/wqPC+IL8gtZC+kJmAgJCGAG/gewBqoElQNrA1QDvAOeBJ4F/gbhCBgKLAtiDLAMlQydC30K9Q//D/UP2gc6BsEE8ANkAssCAQMPBCsFIwchCcQKJwz4DLYNMw3fCwwL/w//D/8PSwglBh8E4wKkAkYCyQLQA2MFWgdDCecKIgx8DZkNzA14DEEL/w/xD/8P';

describe('12-bit sequential DCT JPEG', () => {
  it('reproduces the IJG reference decoding exactly, partial edge blocks included', () => {
    const image = decodeJpegDct(new Uint8Array(Buffer.from(JPEG_12_BIT, 'base64')));
    const expected = new Uint16Array(new Uint8Array(Buffer.from(DCMDJPEG_OUTPUT, 'base64')).buffer);
    expect([image.width, image.height, image.precision]).toEqual([21, 13, 12]);
    expect(Array.from(image.samples)).toEqual(Array.from(expected));
  });

  it('refuses a truncated stream', () => {
    const bytes = new Uint8Array(Buffer.from(JPEG_12_BIT, 'base64'));
    expect(() => decodeJpegDct(bytes.subarray(0, bytes.length - 60))).toThrowError(expect.objectContaining({ code: 'corrupt-file' }));
  });

  it('refuses a progressive stream with a sentence', () => {
    const bytes = new Uint8Array(Buffer.from(JPEG_12_BIT, 'base64'));
    const sof = bytes.findIndex((b, i) => b === 0xff && bytes[i + 1] === 0xc1);
    bytes[sof + 1] = 0xc2;
    expect(() => decodeJpegDct(bytes)).toThrowError(expect.objectContaining({ code: 'unsupported-pixel-format', message: expect.stringMatching(/not a sequential/) }));
  });
});
