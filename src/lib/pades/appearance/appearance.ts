/**
 * The visible signature appearance (issue 3 item 4): a form XObject (ISO 32000-1 §8.10) that the
 * signature engine puts in the widget's /AP << /N ref >> (§12.5.5, §12.7.4.5). Everything that
 * can fail on bad input (time zone, image, font, QR text, rectangle) fails in createAppearance,
 * before the engine writes a byte; build() only lays out and adds objects.
 * Same inputs → same bytes: no random ids, no clock.
 */
import { deflateSync } from 'node:zlib';
import { AppError } from '../../../shared/errors.js';
import { N, PdfDict, PdfStream, latin1, type ObjectAllocator, type PdfRef } from '../../pdf/objects.js';
import { createFontSubset, loadFont, type FontSubset, type LoadedFont } from './font-subset.js';
import { createImageXObject, encodeImage, type EncodedImage, type ImageXObject } from './image-xobject.js';
import { computeAreas, fitText, shapeLine, type ImageMode, type ShapedLine } from './layout.js';
import { qrMatrix, qrOperators, type QrMatrix } from './qr.js';
import { fmt } from './pdf-number.js';
import { parseRect, validateRect, type Rect } from './rect.js';
import { DEFAULT_DATE_FORMAT, strftime } from './strftime.js';
import { DEFAULT_TEXT_LINES, expandTemplate, type AppearanceValues } from './text-template.js';
import { textOperators } from './text-operators.js';

export interface AppearanceSpec {
  /** 0-based page index. */
  page: number;
  /** "x1,y1,x2,y2" or [x1, y1, x2, y2], in points from the page's bottom-left corner. */
  rect: Rect | string;
  /** Text lines with %(CN)s %(SUBJECT)s %(DATE)s %(E)s %(EMAIL)s %(L)s; default DEFAULT_TEXT_LINES. */
  text?: string[];
  /** strftime-like format of %(DATE)s; default "%d/%m/%Y %H:%M:%S %z". */
  dateFormat?: string;
  /** IANA time zone of %(DATE)s; default UTC. */
  timezone?: string;
  /** One-Shot `use_signature_text`: false draws no text. Default true. */
  useText?: boolean;
  /** One-Shot `horizontal`: image on the left, text on the right (same as imageMode 'left'). */
  horizontal?: boolean;
  /** Where the image goes when not horizontal: 'behind' the text (default) or 'above' it. */
  imageMode?: ImageMode;
  /** URL drawn as a QR code. */
  qrcode?: string;
  /** Side of the box for the QR code; default 'right'. */
  qrPosition?: 'left' | 'right';
  /** Fixed font size in points; default: auto-fit up to maxFontSize. */
  fontSize?: number;
  /** Largest auto-fit size; default 14 pt. */
  maxFontSize?: number;
  align?: 'left' | 'center' | 'right';
  /** Composite the image over white instead of an /SMask (PDF/A-1 inputs forbid transparency). */
  flattenAlpha?: boolean;
}

export interface AppearanceAssets {
  /** TrueType font bytes (e.g. DejaVuSans.ttf). Required when text is drawn. */
  font?: Uint8Array;
  /** PNG bytes of the signature image, or the result of encodeImage() (e.g. from a cache). */
  image?: Uint8Array | EncodedImage;
}

/** Extra, optional input of build(): the page's /Rotate, so the signature reads upright. */
export interface BuildOptions {
  /** The page's /Rotate (multiple of 90, any sign); default 0. */
  pageRotate?: number;
}

/** What the signature engine takes for a visible signature. */
export interface VisibleAppearance {
  page: number;
  rect: Rect;
  /**
   * Adds the form XObject (and its font, image, mask) through `alloc`; returns its ref for the
   * widget's /AP /N. `box` is the widget rectangle's size in page user space.
   */
  build(alloc: ObjectAllocator, box: { width: number; height: number }, options?: BuildOptions): PdfRef;
}

/**
 * /Matrix that turns a form laid out upright for the reader into page user space on a page
 * shown rotated by `rotate` degrees clockwise (ISO 32000-1 §8.3.2.3 /Rotate, §12.5.5 algorithm:
 * the transformed /BBox is then fitted to the widget /Rect). `vw`×`vh` is the upright size.
 */
function rotationMatrix(rotate: number, vw: number, vh: number): number[] | undefined {
  switch (rotate) {
    case 90: return [0, 1, -1, 0, vh, 0];
    case 180: return [-1, 0, 0, -1, vw, vh];
    case 270: return [0, -1, 1, 0, 0, vw];
    default: return undefined;
  }
}

const bad = (msg: string): never => {
  throw new AppError('PDF_ERR_BAD_APPEARANCE', msg);
};

function checkSize(name: string, v: number | undefined): void {
  if (v !== undefined && !(typeof v === 'number' && Number.isFinite(v) && v >= 1 && v <= 200)) bad(`${name} must be a number of points between 1 and 200`);
}

export function createAppearance(spec: AppearanceSpec, assets: AppearanceAssets, values: AppearanceValues): VisibleAppearance {
  if (!Number.isInteger(spec.page) || spec.page < 0) throw new AppError('PDF_ERR_PAGE_OUT_OF_RANGE', 'Page must be a 0-based integer');
  const rect = typeof spec.rect === 'string' ? parseRect(spec.rect) : validateRect(spec.rect);
  checkSize('fontSize', spec.fontSize);
  checkSize('maxFontSize', spec.maxFontSize);
  if (spec.text !== undefined && !Array.isArray(spec.text)) bad('text must be an array of lines');
  if (spec.dateFormat !== undefined && (typeof spec.dateFormat !== 'string' || spec.dateFormat.length > 200)) bad('dateFormat must be a string of at most 200 characters');
  const imageMode: ImageMode = spec.horizontal ? 'left' : (spec.imageMode ?? 'behind');
  if (!['behind', 'above', 'left'].includes(imageMode)) bad(`Unknown image mode ${String(imageMode)}`);
  if (spec.qrPosition !== undefined && spec.qrPosition !== 'left' && spec.qrPosition !== 'right') bad('qrPosition must be "left" or "right"');

  // Text: expand, shape, and subset the font now, so a bad font or zone fails before any write.
  let text: { font: LoadedFont; lines: ShapedLine[]; subset: FontSubset } | undefined;
  if (spec.useText !== false) {
    const date = strftime(values.date, spec.dateFormat ?? DEFAULT_DATE_FORMAT, spec.timezone);
    const lines = expandTemplate(spec.text ?? DEFAULT_TEXT_LINES, values, date);
    if (lines.some((l) => l.trim() !== '')) {
      if (!assets.font) bad('A font is required to draw the signature text');
      const font = loadFont(assets.font!);
      const shaped = lines.map((l) => shapeLine(font, l));
      const glyphs = shaped.flatMap((l) => [l.spaceGlyph, ...l.words.flatMap((w) => w.glyphs)]);
      text = { font, lines: shaped, subset: createFontSubset(font, glyphs) };
    }
  }

  let image: ImageXObject | undefined;
  if (assets.image) {
    const flattenAlpha = spec.flattenAlpha === true;
    const encoded = assets.image instanceof Uint8Array ? encodeImage(assets.image, { flattenAlpha }) : assets.image;
    image = createImageXObject(encoded, { flattenAlpha });
  }
  const qr: QrMatrix | undefined = spec.qrcode !== undefined && spec.qrcode !== '' ? qrMatrix(spec.qrcode) : undefined;

  return {
    page: spec.page,
    rect,
    build(alloc, box, options = {}) {
      if (!(box.width > 0 && box.height > 0 && Number.isFinite(box.width) && Number.isFinite(box.height))) bad('Appearance box must have a positive size');
      const rotateIn = options.pageRotate ?? 0;
      if (!Number.isInteger(rotateIn) || rotateIn % 90 !== 0) bad('Page rotation must be a multiple of 90');
      const rotate = ((rotateIn % 360) + 360) % 360;
      // On a page shown at 90/270 degrees, the reader sees the box with its sides swapped.
      const sideways = rotate === 90 || rotate === 270;
      const width = sideways ? box.height : box.width;
      const height = sideways ? box.width : box.height;
      const areas = computeAreas({
        width,
        height,
        ...(image ? { image: { aspect: image.width / image.height } } : {}),
        text: text !== undefined,
        ...(qr ? { qr: spec.qrPosition ?? 'right' } : {}),
        imageMode,
      });
      const ops: string[] = [];
      const resources = new PdfDict();
      if (image && areas.image) {
        const a = areas.image;
        resources.set('XObject', new PdfDict({ Im1: image.build(alloc) }));
        // The unit square of the image is mapped to its area (§8.9.4 / §8.3.4).
        ops.push('q', `${fmt(a.w)} 0 0 ${fmt(a.h)} ${fmt(a.x)} ${fmt(a.y)} cm`, '/Im1 Do', 'Q');
      }
      if (text && areas.text) {
        const block = fitText(text.font, text.lines, areas.text, {
          ...(spec.fontSize !== undefined ? { fontSize: spec.fontSize } : {}),
          ...(spec.maxFontSize !== undefined ? { maxFontSize: spec.maxFontSize } : {}),
          ...(spec.align ? { align: spec.align } : {}),
        });
        resources.set('Font', new PdfDict({ F1: text.subset.build(alloc) }));
        ops.push(textOperators(block, text.subset, text.font.unitsPerEm, 'F1'));
      }
      if (qr && areas.qr) ops.push(qrOperators(qr, areas.qr.x, areas.qr.y, areas.qr.w));
      const content = latin1(ops.join('\n') + '\n');
      const dict = new PdfDict({
        Type: N('XObject'),
        Subtype: N('Form'),
        FormType: 1,
        BBox: [0, 0, width, height],
      });
      const matrix = rotationMatrix(rotate, width, height);
      if (matrix) dict.set('Matrix', matrix);
      dict.set('Resources', resources);
      dict.set('Filter', N('FlateDecode'));
      return alloc.add(new PdfStream(dict, new Uint8Array(deflateSync(content, { level: 9 }))));
    },
  };
}
