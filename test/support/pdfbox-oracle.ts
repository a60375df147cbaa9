/**
 * Runs test/oracles/VerifyPdf.java (Debian PDFBox 2 + BouncyCastle) on a PDF: an independent
 * check of every signature's CMS, signing-certificate-v2 / signing-time presence, signature
 * timestamps (imprint = hash of the signature value), document timestamps (imprint = hash of the
 * ByteRange) and the DSS. Compiled once per source version into the temp dir.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const JARS = ['pdfbox2', 'fontbox2', 'bcprov', 'bcpkix', 'bcutil', 'commons-logging'].map((j) => `/usr/share/java/${j}.jar`);
const SOURCE = resolve(import.meta.dirname, '../oracles/VerifyPdf.java');

export interface PdfboxSignature {
  subFilter: string | null;
  name: string | null;
  byteRange: string;
  coversWholeFile: boolean;
  cmsValid?: boolean;
  signer?: string;
  signingCertificateV2?: boolean;
  signingTime?: boolean;
  signatureTimestamp?: boolean;
  tstImprintMatches?: boolean;
  tstValid?: boolean;
  docTimestamp?: boolean;
  imprintMatches?: boolean;
  error?: string;
}

export interface PdfboxReport {
  signatures: PdfboxSignature[];
  dss: { Certs: number; OCSPs: number; CRLs: number; VRI: number } | null;
}

function classDir(): string {
  for (const jar of JARS) {
    if (!existsSync(jar)) throw new Error(`PDFBox oracle needs ${jar} (apt-get install libpdfbox2-java libbcpkix-java libbcprov-java libbcutil-java)`);
  }
  const src = readFileSync(SOURCE);
  const dir = join(tmpdir(), `oneshot-verifypdf-${createHash('sha256').update(src).digest('hex').slice(0, 12)}`);
  if (!existsSync(join(dir, 'VerifyPdf.class'))) {
    mkdirSync(dir, { recursive: true });
    execFileSync('javac', ['-nowarn', '-d', dir, '-cp', JARS.join(':'), SOURCE], { stdio: 'pipe' });
  }
  return dir;
}

export function pdfboxVerify(pdfPath: string): PdfboxReport {
  const cp = [classDir(), ...JARS].join(':');
  const out = execFileSync('java', ['-cp', cp, 'VerifyPdf', pdfPath], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  return JSON.parse(out.trim().split('\n').pop()!) as PdfboxReport;
}
