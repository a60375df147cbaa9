/**
 * finish: writes the CMS (hex, ISO 32000-1 §12.8.1) into the /Contents placeholder of a
 * prepared file with one positional write. Everything is checked first — the CMS fits, the
 * file is the prepared one, the placeholder is still all zeros — so a refusal writes nothing.
 */
import { AppError } from '../../shared/errors.js';
import type { PreparedDigest } from './prepare.js';
import type { RandomAccessFile } from './ports.js';

const ZERO = 0x30;

export async function finishSignature(file: RandomAccessFile, prepared: PreparedDigest, cms: Uint8Array): Promise<void> {
  const { contentsOffset, contentsLength, fileSize, byteRange } = prepared;
  if (!(cms instanceof Uint8Array) || cms.length === 0) throw new AppError('CMS_ERR_MALFORMED', 'Empty signature container');
  if (cms.length > contentsLength) {
    throw new AppError(
      'PDF_ERR_CONTENTS_OVERFLOW',
      `The signature container (${cms.length} bytes) does not fit the reserved /Contents (${contentsLength} bytes)`,
      { needed: cms.length, reserved: contentsLength },
    );
  }
  const hexLen = contentsLength * 2;
  if (
    file.size !== fileSize ||
    byteRange[0] !== 0 ||
    byteRange[1] !== contentsOffset - 1 ||
    byteRange[2] - byteRange[1] !== hexLen + 2 ||
    byteRange[2] + byteRange[3] !== fileSize
  ) {
    throw new AppError('PDF_ERR_PLACEHOLDER_NOT_FOUND', 'The file does not match the prepared signature');
  }
  const region = await file.read(contentsOffset - 1, hexLen + 2);
  let ok = region.length === hexLen + 2 && region[0] === 0x3c && region[hexLen + 1] === 0x3e;
  for (let i = 1; ok && i <= hexLen; i++) if (region[i] !== ZERO) ok = false;
  if (!ok) throw new AppError('PDF_ERR_PLACEHOLDER_NOT_FOUND', 'The /Contents placeholder is missing or already filled');
  // Unused space stays "0"s: DER is self-delimiting, trailing zero bytes are ignored by verifiers.
  await file.write(contentsOffset, Buffer.from(Buffer.from(cms).toString('hex').toUpperCase(), 'latin1'));
}
