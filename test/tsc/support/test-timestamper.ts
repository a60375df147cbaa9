/**
 * A real RFC 3161 timestamper for tests of the B-T seam (issue 5 wires the TSC's own TSA here):
 * an openssl-made TSA certificate (EKU timeStamping, critical) and lib/cms's token builder. It
 * implements the SignatureTimestamper port exactly as a production TSA adapter would.
 */
import { createHash, createPrivateKey, randomBytes, sign as cryptoSign } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { buildTimeStampReq, buildTimeStampToken, parseTimeStampReq } from '../../../src/lib/cms/index.js';
import type { SignatureTimestamper } from '../../../src/tsc/domain/ports.js';
import { fromPem, opensslOk, tempDir } from '../../support/openssl.js';

export interface TestTsa {
  timestamper: SignatureTimestamper;
  caPem: string;
  calls: number;
  cleanup(): Promise<void>;
}

export async function createTestTsa(now: () => Date, opts: { fail?: () => boolean } = {}): Promise<TestTsa> {
  const d = await tempDir('tsc-tsa-');
  const o = (args: string[]) => opensslOk(args, { cwd: d.dir });
  await o(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'ca.key', '-subj', '/CN=Test TSA CA', '-days', '3650', '-out', 'ca.pem',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  await o(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', 'tsa.key', '-subj', '/CN=Test TSA', '-out', 'tsa.csr']);
  await d.write('ext.cnf', 'basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=critical,timeStamping\n');
  await o(['x509', '-req', '-in', 'tsa.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '3650', '-extfile', 'ext.cnf', '-out', 'tsa.pem', '-set_serial', '4242']);
  const tsaCert = fromPem(await readFile(d.path('tsa.pem'), 'utf8'));
  const key = createPrivateKey(await readFile(d.path('tsa.key')));
  const caPem = await readFile(d.path('ca.pem'), 'utf8');
  const state: TestTsa = {
    caPem,
    calls: 0,
    cleanup: () => d.cleanup(),
    timestamper: {
      maxTokenBytes: 2048,
      async timestamp(signatureValue) {
        state.calls++;
        if (opts.fail?.()) throw Object.assign(new Error('TSA unreachable'), { code: 'ECONNREFUSED' });
        const req = parseTimeStampReq(buildTimeStampReq({ digestAlgorithm: 'sha256', messageImprint: createHash('sha256').update(signatureValue).digest(), nonce: randomBytes(8), certReq: true }));
        return buildTimeStampToken({
          request: req, policy: '1.3.6.1.4.1.4146.2.3', serialNumber: randomBytes(16), genTime: now(), tsaCertificate: tsaCert,
          signer: { keyAlgorithm: 'EC-P256', sign: async (data, h) => new Uint8Array(cryptoSign(h, data, { key, dsaEncoding: 'der' })) },
        });
      },
    },
  };
  return state;
}
