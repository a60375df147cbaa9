/**
 * Independent readers for the signature-level checks (issue 5): the DSS as qpdf sees it (qpdf
 * --json with decoded stream data; no code of ours), and openssl's verdicts on signature and
 * document timestamps, OCSP responses and CRLs.
 */
import { execFile, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OID, parseSignedData } from '../../src/lib/cms/index.js';
import { run, requireTool } from './pdf-tools.js';
import { parsePdfsigReport, type PdfsigSignature } from './pdf-oracles.js';

/**
 * pdfsig without blocking the event loop: NSS fetches the AIA OCSP URL, which may be served by a
 * TSC in this very process (spawnSync would starve it until NSS gives up, ~2 min).
 */
export function pdfsigOnline(path: string, nssDir: string): Promise<PdfsigSignature[]> {
  return new Promise((resolve, reject) => {
    execFile(requireTool('pdfsig'), ['-nssdir', `sql:${nssDir}`, path], { encoding: 'utf8', maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
      if (err && typeof (err as NodeJS.ErrnoException).code === 'string') return reject(err);
      resolve(parsePdfsigReport(stdout + stderr));
    });
  });
}

export interface DssView {
  certs: Buffer[];
  ocsps: Buffer[];
  crls: Buffer[];
  /** VRI keys (uppercase hex SHA-1 of each signature's /Contents). */
  vri: string[];
}

type Json = Record<string, any>;

/** The catalog's /DSS read by qpdf (null when absent). */
export function qpdfDss(pdfPath: string): DssView | null {
  const out = execFileSync('qpdf', ['--json=2', '--json-key=qpdf', '--json-stream-data=inline', '--decode-level=generalized', pdfPath], { maxBuffer: 256 << 20, encoding: 'utf8' });
  const objs = (JSON.parse(out) as Json).qpdf[1] as Json;
  const deref = (v: any): any => (typeof v === 'string' && /^\d+ \d+ R$/.test(v) ? objs[`obj:${v}`] : { value: v });
  const catalog = deref(objs.trailer.value['/Root']).value as Json;
  if (!catalog['/DSS']) return null;
  const dss = deref(catalog['/DSS']).value as Json;
  const streams = (key: string): Buffer[] => {
    const arr = dss[key] === undefined ? [] : (deref(dss[key]).value as string[]);
    return arr.map((r) => Buffer.from(deref(r).stream.data as string, 'base64'));
  };
  const vri = dss['/VRI'] ? Object.keys(deref(dss['/VRI']).value as Json).map((k) => k.replace(/^\//, '')) : [];
  return { certs: streams('/Certs'), ocsps: streams('/OCSPs'), crls: streams('/CRLs'), vri };
}

/** The signature timestamp token of a CMS and the SignatureValue it stamps. */
export function signatureTimestamp(cms: Uint8Array): { token: Uint8Array; signatureValue: Uint8Array } | null {
  const si = parseSignedData(cms).signerInfos[0]!;
  const token = si.unsignedAttrs.find((a) => a.oid === OID.signatureTimeStampToken)?.values[0];
  return token ? { token, signatureValue: si.signature } : null;
}

/** `openssl ts -verify -token_in` against the SHA-256 of `data` (or a digest given in hex). */
export function opensslTsVerify(token: Uint8Array, what: { data: string } | { sha256Of: Uint8Array }, rootPem: string, untrustedPem: string, dir: string, name: string): { ok: boolean; out: string } {
  const tok = join(dir, `${name}.tst`);
  writeFileSync(tok, token);
  const input = 'data' in what ? ['-data', what.data] : ['-digest', createHash('sha256').update(what.sha256Of).digest('hex'), '-sha256'];
  const r = run('openssl', ['ts', '-verify', '-token_in', '-in', tok, ...input, '-CAfile', rootPem, '-untrusted', untrustedPem]);
  return { ok: r.status === 0 && /Verification: OK/.test(r.stdout + r.stderr), out: r.stdout + r.stderr };
}

/** openssl's reading of a DER OCSP response about `serialHex` (issued by `issuerPem`), verified against `rootPem`. */
export function opensslOcspStatus(der: Uint8Array, issuerPem: string, serialHex: string, rootPem: string, dir: string, name: string): string {
  const f = join(dir, `${name}.ocsp`);
  writeFileSync(f, der);
  const r = run('openssl', ['ocsp', '-respin', f, '-issuer', issuerPem, '-serial', `0x${serialHex}`, '-CAfile', rootPem, '-no_nonce']);
  return r.stdout + r.stderr;
}

/** `openssl crl -text` of a DER CRL, verified against `chainPem`; returns the text (throws when it does not verify). */
export function opensslCrlText(der: Uint8Array, chainPem: string, dir: string, name: string): string {
  const f = join(dir, `${name}.crl`);
  writeFileSync(f, der);
  const r = run('openssl', ['crl', '-inform', 'DER', '-in', f, '-CAfile', chainPem, '-noout', '-text']);
  if (r.status !== 0 || !/verify OK/.test(r.stdout + r.stderr)) throw new Error(`CRL ${name} does not verify: ${r.stdout}${r.stderr}`);
  return r.stdout;
}
