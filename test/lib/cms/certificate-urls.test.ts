/** certificateUrls reads AIA (OCSP, caIssuers) and CRL DP URIs, from our certificates and openssl's. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { certificateUrls } from '../../../src/lib/cms/index.js';
import { fromPem, opensslOk, tempDir } from '../../support/openssl.js';
import { createTestPki } from '../../support/pki-fixture.js';

test('certificateUrls: our builder (AIA + CRL DP) and a certificate without them', async () => {
  const pki = await createTestPki({ urls: { ocsp: 'http://127.0.0.1:9/ocsp', caIssuers: 'http://127.0.0.1:9/ca.crt', issuingCrl: 'http://127.0.0.1:9/x.crl' } });
  try {
    const s = await pki.issueSigner();
    assert.deepEqual(certificateUrls(s.cert), { ocsp: ['http://127.0.0.1:9/ocsp'], caIssuers: ['http://127.0.0.1:9/ca.crt'], crl: ['http://127.0.0.1:9/x.crl'] });
    assert.deepEqual(certificateUrls(pki.root.cert), { ocsp: [], caIssuers: [], crl: [] });
  } finally {
    await pki.close();
  }
});

test('certificateUrls: an openssl-made certificate with two CRL DPs, a non-URI name and several AIA entries', async () => {
  const d = await tempDir();
  try {
    await d.write('ext.cnf', [
      'authorityInfoAccess = OCSP;URI:http://ocsp.example/a, caIssuers;URI:http://ca.example/ca.crt, OCSP;URI:http://ocsp2.example/',
      'crlDistributionPoints = URI:http://crl.example/1.crl, URI:ldap://crl.example/cn=x, DNS:not-a-uri.example',
    ].join('\n'));
    await opensslOk(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', d.path('k.pem'), '-out', d.path('c.pem'),
      '-subj', '/CN=urls', '-days', '1', '-extensions', 'v3', '-config', await d.write('req.cnf', `[req]\ndistinguished_name=dn\n[dn]\n[v3]\n${await readFile(d.path('ext.cnf'), 'utf8')}\n`)]);
    const u = certificateUrls(fromPem(await readFile(d.path('c.pem'), 'utf8')));
    assert.deepEqual(u.ocsp, ['http://ocsp.example/a', 'http://ocsp2.example/']);
    assert.deepEqual(u.caIssuers, ['http://ca.example/ca.crt']);
    assert.deepEqual(u.crl, ['http://crl.example/1.crl', 'ldap://crl.example/cn=x']);
  } finally {
    await d.cleanup();
  }
});
