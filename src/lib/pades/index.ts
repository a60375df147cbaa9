export type { ByteSink, RandomAccessFile, AppendableFile } from './ports.js';
export { CHUNK_SIZE, DIGEST_ALGORITHMS, forEachChunk, hashByteRange, newHash, type DigestAlgorithm } from './digest.js';
export { BYTE_RANGE_DIGITS, MAX_CONTENTS_SIZE, byteRangePlaceholder, contentsPlaceholder, formatByteRange } from './placeholder.js';
export { pdfDate, signatureDictionary, type SignatureDictionary, type SignatureDictionaryOptions, type SignatureKind } from './signature-dictionary.js';
export { addSignatureField, uniqueFieldName, type FieldOptions, type SignatureAppearance } from './signature-field.js';
export {
  buildSignatureIncrement, completeDigest, hashPlanned, hashSource, planSignature, preparedDigestOf, prepareDocumentTimestamp, prepareSignature, writeAndHash,
  type PlannedSignature, type PrepareOptions, type PreparedDigest, type SignatureIncrement,
} from './prepare.js';
export { finishSignature } from './finish.js';
export { contentsSizeFor, type ContentsSizeInput } from './contents-size.js';
export { derLength, extractSignatures, type ExtractedSignature } from './extract.js';
export { appendDss, buildDssIncrement, vriKey, type DssInput, type DssResult, type VriInput } from './dss.js';
export * from './appearance/index.js';
