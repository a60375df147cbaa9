export { createAppearance, type AppearanceAssets, type AppearanceSpec, type BuildOptions, type VisibleAppearance } from './appearance.js';
export { parseRect, validateRect, MAX_COORDINATE, MIN_RECT_SIDE, type Rect } from './rect.js';
export { DEFAULT_TEXT_LINES, MAX_LINE_CHARS, MAX_TEXT_LINES, expandTemplate, type AppearanceValues } from './text-template.js';
export { DEFAULT_DATE_FORMAT, resolveTimeZone, strftime } from './strftime.js';
export { decodePng, isPng, MAX_IMAGE_PIXELS, MAX_IMAGE_SIDE, type DecodedImage } from './png.js';
export { createImageXObject, encodeImage, type EncodedImage, type ImageXObject } from './image-xobject.js';
export { createFontSubset, loadFont, type FontSubset, type LoadedFont, type ShapedGlyph } from './font-subset.js';
export { qrMatrix, qrOperators, QR_QUIET_ZONE, type QrMatrix } from './qr.js';
export { computeAreas, fitText, type Area, type ImageMode } from './layout.js';
