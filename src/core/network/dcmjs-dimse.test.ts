import { createRequire } from 'node:module';
import type * as Dimse from 'dcmjs-dimse';
import { describe, expect, it } from 'vitest';
import { storeResponseCommand } from './dcmjs-dimse.js';

const dimse = createRequire(import.meta.url)('dcmjs-dimse') as typeof Dimse;

describe('our C-STORE response command set', () => {
  it.each([
    [0x0000, undefined],
    [0xc000, 'The data set could not be parsed.'],
  ])('is byte for byte what dcmjs-dimse would send (status %s)', (status, comment) => {
    const request = new dimse.requests.CStoreRequest(new dimse.Dataset({ SOPClassUID: '1.2.840.10008.5.1.4.1.1.2', SOPInstanceUID: '2.25.1234' }));
    request.setMessageId(77);
    const response = dimse.responses.CStoreResponse.fromRequest(request);
    response.setStatus(status);
    if (comment) response.setErrorComment(comment);
    const theirs = response.getCommandDataset().getDenaturalizedCommandDataset();
    const ours = storeResponseCommand({ sopClassUid: '1.2.840.10008.5.1.4.1.1.2', sopInstanceUid: '2.25.1234', messageId: 77, status, ...(comment ? { comment } : {}) });
    expect(ours.toString('hex')).toBe(Buffer.from(theirs).toString('hex'));
  });
});
