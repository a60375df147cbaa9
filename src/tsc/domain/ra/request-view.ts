/**
 * The Gen B request object (oneshot-api.md §1.4 #15, spec/oneshot-genb.yaml GET /request example),
 * which the Optimizer passes through as `details`. Field values the RA would hold for organisations
 * or paper flows that One-Shot does not use are set to their neutral values, not invented.
 */
import type { CertificateRecord, RaoRecord, RequestRecord } from '../model.js';
import type { TscRepositories } from '../ports.js';

export interface RaoUserView {
  pk: number;
  request: number;
  permission_profile: number;
  registration_authority: number;
}

export interface CertificateView {
  serial_number: string;
  status: 'VALID' | 'REVOKED';
  valid_from: string;
  valid_to: string;
  profile: string;
  data: string;
}

export interface RequestView {
  pk: number;
  status: string;
  given_name: string;
  surname_1: string;
  surname_2: string;
  email: string;
  mobile_phone_number: string;
  serial_number: string;
  id_document_type: string;
  id_document_country: string;
  country_name: string;
  profile: string;
  registration_authority: number;
  scratchcard: string;
  validity_time: string;
  paperless_mode: boolean;
  videoid_mode: boolean;
  secure_element: number;
  communication_language: string;
  residence: string;
  residence_city: string;
  residence_postal_code: string;
  residence_address: string;
  certificate_set: CertificateView[];
  registering_user: RaoUserView | null;
  approving_user: RaoUserView | null;
  approving_rao: Record<string, unknown> | null;
  status_reason: string | null;
  created_at: string;
  updated_at: string;
}

export const iso = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

function userView(r: RaoRecord | null, pk: number): RaoUserView | null {
  // permission_profile 1 is the RA's operator profile in the Gen B example.
  return r ? { pk: r.id, request: pk, permission_profile: 1, registration_authority: r.registrationAuthority } : null;
}

export function certificateView(c: CertificateRecord): CertificateView {
  return {
    serial_number: c.serial,
    status: c.status,
    valid_from: iso(c.notBefore),
    valid_to: iso(c.notAfter),
    profile: c.profile,
    data: Buffer.from(c.der).toString('base64'),
  };
}

export function requestView(
  r: RequestRecord,
  extra: { registering: RaoRecord | null; approving: RaoRecord | null; certificates: CertificateRecord[]; certValiditySeconds: number },
): RequestView {
  return {
    pk: r.pk,
    status: r.status,
    given_name: r.givenName,
    surname_1: r.surname1,
    surname_2: r.surname2,
    email: r.email,
    mobile_phone_number: r.mobilePhoneNumber,
    serial_number: r.serialNumber,
    id_document_type: r.idDocumentType,
    id_document_country: r.idDocumentCountry,
    country_name: r.idDocumentCountry,
    profile: r.profile,
    registration_authority: r.registrationAuthority,
    scratchcard: r.scratchcard,
    // The RA expresses validity as a string; here it is the single-use validity in seconds.
    validity_time: String(extra.certValiditySeconds),
    paperless_mode: true,
    videoid_mode: r.videoidMode,
    // 2 = keys in the remote (cloud) QSCD, as in the Gen B example for PFnubeQAFCiudadano.
    secure_element: 2,
    communication_language: r.communicationLanguage,
    residence: r.residence,
    residence_city: r.residenceCity,
    residence_postal_code: r.residencePostalCode,
    residence_address: r.residenceAddress,
    certificate_set: extra.certificates.map(certificateView),
    registering_user: userView(extra.registering, r.pk),
    approving_user: userView(extra.approving, r.pk),
    approving_rao: extra.approving
      ? {
          pk: extra.approving.id,
          registration_authority: [],
          registration_authority_master: extra.approving.registrationAuthority,
          is_identificator: false,
        }
      : null,
    status_reason: r.statusReason,
    created_at: iso(r.createdAt),
    updated_at: iso(r.updatedAt),
  };
}

/** Loads what the view needs besides the request itself. */
export async function loadRequestView(repos: Pick<TscRepositories, 'raos' | 'certificates'>, r: RequestRecord, certValiditySeconds: number): Promise<RequestView> {
  const [registering, approving, certificates] = await Promise.all([
    repos.raos.findById(r.registeringRaoId),
    r.approvingRaoId === null ? Promise.resolve(null) : repos.raos.findById(r.approvingRaoId),
    repos.certificates.listByRequest(r.pk),
  ]);
  return requestView(r, { registering, approving, certificates, certValiditySeconds });
}
