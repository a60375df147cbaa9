/**
 * Service contract PDF (issue 2 §7): in the request's language (ES, EN, PL) with the signer's
 * data, profile and date; deterministic for a request; structurally valid (qpdf --check); the
 * text layer extracted by poppler's pdftotext shows Spanish and Polish letters as written.
 */
import { test, before, after, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireTool, run } from '../../support/openssl.js';
import { startTestTsc, createApprovedRequest, type TestTsc } from '../support/tsc-harness.js';

describe('service contract PDF', () => {
  let t: TestTsc;
  let work: string;
  before(async () => {
    requireTool('pdftotext');
    requireTool('qpdf');
    t = await startTestTsc();
    work = await mkdtemp(join(tmpdir(), 'tsc-contract-'));
  });
  after(async () => {
    await t?.close();
    if (work) await rm(work, { recursive: true, force: true });
  });

  const fetchContract = (pk: number) => t.app.inject({ method: 'GET', url: `/tsc/v1/requests/${pk}/contract`, headers: t.client });

  async function text(pdf: Buffer, name: string): Promise<string> {
    const p = await writeFile(join(work, name), pdf).then(() => join(work, name));
    const check = await run('qpdf', ['--check', p]);
    assert.equal(check.code, 0, check.stdout + check.stderr);
    const r = await run('pdftotext', ['-enc', 'UTF-8', p, '-']);
    assert.equal(r.code, 0, r.stderr);
    return r.stdoutBytes.toString('utf8').replace(/\s+/g, ' ');
  }

  for (const [lang, title, qualifiedWord] of [
    ['ES', 'Contrato de prestación del servicio de firma electrónica', 'certificado cualificado'],
    ['EN', 'Service agreement for electronic signature', 'qualified certificate'],
    ['PL', 'Umowa o świadczenie usługi podpisu elektronicznego', 'kwalifikowany certyfikat'],
  ] as const) {
    test(`${lang}: language, signer data, profile and date in the text layer`, async () => {
      const pk = await createApprovedRequest(t, { communication_language: lang });
      const res = await fetchContract(pk);
      assert.equal(res.statusCode, 200);
      assert.equal(res.headers['content-type'], 'application/pdf');
      assert.equal(res.headers['content-language'], lang.toLowerCase());
      assert.equal(res.rawPayload.subarray(0, 5).toString('latin1'), '%PDF-');
      const txt = await text(res.rawPayload, `${lang}.pdf`);
      assert.ok(txt.includes(title), txt.slice(0, 300));
      assert.ok(txt.includes('María José Núñez Łopuszańska'), 'full name with Spanish and Polish letters');
      assert.ok(txt.includes('IDC ES 12345678Z'));
      assert.ok(txt.includes('maria.nunez@example.com'));
      assert.ok(txt.includes('PFnubeQAFCiudadano'));
      assert.ok(txt.includes(qualifiedWord));
      assert.ok(txt.includes('2026'), 'the date');
    });
  }

  test('deterministic: the same request gives the same bytes; an update changes them', async () => {
    const pk = await createApprovedRequest(t, { communication_language: 'EN', profile: 'PFnubeNC' });
    const a = (await fetchContract(pk)).rawPayload;
    t.clock.advance(3_600_000);
    const b = (await fetchContract(pk)).rawPayload;
    assert.ok(a.equals(b));
    const txt = await text(a, 'nc.pdf');
    assert.ok(txt.includes('non-qualified'));
    const put = await t.app.inject({ method: 'PUT', url: `/tsc/v1/requests/${pk}`, headers: t.raoHeaders(), payload: { surname_2: 'Żółć' } });
    assert.equal(put.statusCode, 200);
    const c = (await fetchContract(pk)).rawPayload;
    assert.ok(!a.equals(c));
    assert.ok((await text(c, 'updated.pdf')).includes('Żółć'));
  });

  test('unknown request 404; cancelled request 412', async () => {
    assert.equal((await fetchContract(424242)).statusCode, 404);
    const pk = await createApprovedRequest(t);
    await t.app.inject({ method: 'POST', url: `/tsc/v1/requests/${pk}/cancel`, headers: t.raoHeaders(), payload: {} });
    assert.equal((await fetchContract(pk)).statusCode, 412);
  });
});
