export * from './objects.js';
export * from './byte-source.js';
export { Parser, NeedMoreInput } from './parser.js';
export { decodeStream } from './filters.js';
export { XrefIndex, MAX_OBJECTS } from './xref-index.js';
export { PdfReader, type PdfReaderOptions, type PdfPage, type StreamInfo, type XrefKind, type XrefSectionInfo } from './reader.js';
export { IncrementalWriter, type Increment, type IncrementOptions } from './writer.js';
export { listFields, isSigned, type FormField } from './acroform.js';
export { inspectPdf, type PdfInspection, type SignatureFieldInfo } from './inspect.js';
