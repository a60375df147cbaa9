/**
 * The service contract shown to the signer before signing and signed together with the documents
 * (oneshot-api.md §3.7). Its content depends only on the request, so the PDF is the same every time
 * it is asked for (until the request's data is updated).
 */
import type { Language, RequestRecord } from '../model.js';
import { CONTRACT_TEXTS } from './contract-texts.js';

export interface ContractContent {
  language: Language;
  title: string;
  /** Label/value rows describing the signer and the certificate. */
  rows: Array<[string, string]>;
  sections: Array<{ heading: string; paragraphs: string[] }>;
  signatureNote: string;
  footer: string;
  /** Fixed document date (the request's last change), which also makes the PDF deterministic. */
  date: Date;
  /** Document metadata. */
  subject: string;
}

export interface ContractParams {
  certValiditySeconds: number;
  qualified: boolean;
  providerName: string;
}

function fmtDate(d: Date, lang: Language): string {
  // A fixed, locale-independent rendering (UTC): the same bytes on every machine.
  const iso = d.toISOString();
  const [y, m, day] = iso.slice(0, 10).split('-');
  const time = iso.slice(11, 19);
  return lang === 'EN' ? `${y}-${m}-${day} ${time} UTC` : `${day}/${m}/${y} ${time} UTC`;
}

function fmtDuration(seconds: number, lang: Language): string {
  const t = CONTRACT_TEXTS[lang];
  if (seconds % 86400 === 0) return t.days(seconds / 86400);
  if (seconds % 3600 === 0) return t.hours(seconds / 3600);
  return t.minutes(Math.ceil(seconds / 60));
}

export function buildContractContent(r: RequestRecord, p: ContractParams): ContractContent {
  const lang = r.communicationLanguage;
  const t = CONTRACT_TEXTS[lang];
  const fullName = [r.givenName, r.surname1, r.surname2].filter((s) => s.length > 0).join(' ');
  const validity = fmtDuration(p.certValiditySeconds, lang);
  return {
    language: lang,
    title: t.title,
    rows: [
      [t.labels.request, String(r.pk)],
      [t.labels.name, fullName],
      [t.labels.document, `${r.idDocumentType} ${r.idDocumentCountry} ${r.serialNumber}`],
      [t.labels.email, r.email],
      [t.labels.mobile, r.mobilePhoneNumber],
      [t.labels.profile, `${r.profile} (${p.qualified ? t.qualified : t.nonQualified})`],
      [t.labels.validity, validity],
      [t.labels.date, fmtDate(r.updatedAt, lang)],
    ],
    sections: t.sections({ provider: p.providerName, validity, qualified: p.qualified }),
    signatureNote: t.signatureNote,
    footer: t.footer(p.providerName, r.scratchcard),
    date: r.updatedAt,
    subject: `${t.title} ${r.pk}`,
  };
}
