/**
 * CA import from files (TSC_CA_ROOT_CERT, TSC_CA_ISSUING_CERT, TSC_CA_ISSUING_KEY or
 * TSC_CA_ISSUING_KEY_LABEL). With the soft key store the PKCS#8 key file is copied into the key
 * persistence under a fixed label; with PKCS#11 the key must already be in the token.
 */
import { readFileSync } from 'node:fs';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import type { KeyPersistence } from '../../lib/keys/index.js';
import type { ImportedCa } from '../domain/ca/certificate-authority.js';
import type { TscConfig } from '../config.js';

export const IMPORTED_ISSUING_KEY_LABEL = 'tsc-imported-issuing-ca';

function certDer(path: string): Uint8Array {
  // Accepts PEM or DER; X509Certificate parses both and gives back DER.
  return new Uint8Array(new X509Certificate(readFileSync(path)).raw);
}

export async function loadImportedCa(imp: NonNullable<TscConfig['caImport']>, persistence: KeyPersistence | null): Promise<ImportedCa> {
  const rootDer = certDer(imp.rootCert);
  const issuingDer = certDer(imp.issuingCert);
  if (imp.issuingKeyLabel) return { rootDer, issuingDer, issuingKeyLabel: imp.issuingKeyLabel };
  if (!imp.issuingKey || !persistence) throw new Error('TSC_CA_ISSUING_KEY (a PKCS#8 key file) needs TSC_KEYSTORE=soft; with pkcs11 set TSC_CA_ISSUING_KEY_LABEL');
  const key = createPrivateKey(readFileSync(imp.issuingKey));
  const pkcs8 = new Uint8Array(key.export({ type: 'pkcs8', format: 'der' }));
  const existing = await persistence.load(IMPORTED_ISSUING_KEY_LABEL);
  if (!existing) await persistence.save(IMPORTED_ISSUING_KEY_LABEL, pkcs8);
  else if (!Buffer.from(existing).equals(Buffer.from(pkcs8))) {
    throw new Error(`A different key is already stored as ${IMPORTED_ISSUING_KEY_LABEL}; remove it to import another CA`);
  }
  return { rootDer, issuingDer, issuingKeyLabel: IMPORTED_ISSUING_KEY_LABEL };
}
