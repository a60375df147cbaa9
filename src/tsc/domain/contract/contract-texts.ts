/** Texts of the service contract in the languages One-Shot offers (ES, EN, PL). */
import type { Language } from '../model.js';

interface SectionArgs {
  provider: string;
  validity: string;
  qualified: boolean;
}

export interface ContractTexts {
  title: string;
  labels: { request: string; name: string; document: string; email: string; mobile: string; profile: string; validity: string; date: string };
  qualified: string;
  nonQualified: string;
  days(n: number): string;
  hours(n: number): string;
  minutes(n: number): string;
  sections(a: SectionArgs): Array<{ heading: string; paragraphs: string[] }>;
  signatureNote: string;
  footer(provider: string, scratchcard: string): string;
}

const ES: ContractTexts = {
  title: 'Contrato de prestación del servicio de firma electrónica con certificado de un solo uso',
  labels: {
    request: 'Solicitud', name: 'Titular', document: 'Documento de identidad', email: 'Correo electrónico',
    mobile: 'Teléfono móvil', profile: 'Perfil del certificado', validity: 'Vigencia del certificado', date: 'Fecha',
  },
  qualified: 'certificado cualificado de firma electrónica, clave en un dispositivo cualificado (QSCD)',
  nonQualified: 'certificado no cualificado de firma electrónica',
  days: (n) => `${n} ${n === 1 ? 'día' : 'días'}`,
  hours: (n) => `${n} ${n === 1 ? 'hora' : 'horas'}`,
  minutes: (n) => `${n} ${n === 1 ? 'minuto' : 'minutos'}`,
  sections: ({ provider, validity, qualified }) => [
    {
      heading: '1. Objeto',
      paragraphs: [
        `${provider} emite a nombre del titular un certificado electrónico de un solo uso, con una vigencia de ${validity}, ` +
          'destinado exclusivamente a firmar los documentos presentados en esta solicitud.',
        qualified
          ? 'El certificado es cualificado conforme al Reglamento (UE) n.º 910/2014 (eIDAS) y la firma creada con él es una firma electrónica cualificada.'
          : 'El certificado no es cualificado; la firma creada con él es una firma electrónica avanzada.',
      ],
    },
    {
      heading: '2. Claves y autorización',
      paragraphs: [
        'El par de claves se genera dentro de un dispositivo seguro de creación de firma, se usa únicamente para las firmas de esta solicitud y se destruye inmediatamente después.',
        'El titular autoriza la firma introduciendo el código de un solo uso que recibe en su teléfono o correo electrónico. Nadie más debe conocer ese código.',
      ],
    },
    {
      heading: '3. Obligaciones del titular',
      paragraphs: [
        'El titular declara que los datos de esta solicitud son ciertos y que ha revisado los documentos antes de firmarlos.',
      ],
    },
    {
      heading: '4. Protección de datos',
      paragraphs: [
        'Los datos personales se tratan solo para emitir el certificado y conservar las evidencias exigidas a un prestador de servicios de confianza.',
      ],
    },
  ],
  signatureNote: 'Este contrato se firma junto con los documentos, con el mismo certificado de un solo uso.',
  footer: (provider, scratchcard) => `${provider} · Referencia ${scratchcard}`,
};

const EN: ContractTexts = {
  title: 'Service agreement for electronic signature with a single-use certificate',
  labels: {
    request: 'Request', name: 'Subscriber', document: 'Identity document', email: 'E-mail',
    mobile: 'Mobile phone', profile: 'Certificate profile', validity: 'Certificate validity', date: 'Date',
  },
  qualified: 'qualified certificate for electronic signatures, key in a qualified device (QSCD)',
  nonQualified: 'non-qualified certificate for electronic signatures',
  days: (n) => `${n} ${n === 1 ? 'day' : 'days'}`,
  hours: (n) => `${n} ${n === 1 ? 'hour' : 'hours'}`,
  minutes: (n) => `${n} ${n === 1 ? 'minute' : 'minutes'}`,
  sections: ({ provider, validity, qualified }) => [
    {
      heading: '1. Purpose',
      paragraphs: [
        `${provider} issues to the subscriber a single-use electronic certificate, valid for ${validity}, ` +
          'to be used only to sign the documents presented in this request.',
        qualified
          ? 'The certificate is qualified under Regulation (EU) No 910/2014 (eIDAS) and the signature created with it is a qualified electronic signature.'
          : 'The certificate is not qualified; the signature created with it is an advanced electronic signature.',
      ],
    },
    {
      heading: '2. Keys and authorisation',
      paragraphs: [
        'The key pair is generated inside a secure signature creation device, used only for the signatures of this request and destroyed immediately afterwards.',
        'The subscriber authorises the signature by entering the one-time code sent to their phone or e-mail. Nobody else should know that code.',
      ],
    },
    {
      heading: '3. Subscriber obligations',
      paragraphs: ['The subscriber declares that the data of this request is true and that they have reviewed the documents before signing them.'],
    },
    {
      heading: '4. Data protection',
      paragraphs: ['Personal data is processed only to issue the certificate and to keep the evidence required of a trust service provider.'],
    },
  ],
  signatureNote: 'This agreement is signed together with the documents, with the same single-use certificate.',
  footer: (provider, scratchcard) => `${provider} · Reference ${scratchcard}`,
};

const PL: ContractTexts = {
  title: 'Umowa o świadczenie usługi podpisu elektronicznego z certyfikatem jednorazowym',
  labels: {
    request: 'Wniosek', name: 'Subskrybent', document: 'Dokument tożsamości', email: 'Adres e-mail',
    mobile: 'Telefon komórkowy', profile: 'Profil certyfikatu', validity: 'Ważność certyfikatu', date: 'Data',
  },
  qualified: 'kwalifikowany certyfikat podpisu elektronicznego, klucz w kwalifikowanym urządzeniu (QSCD)',
  nonQualified: 'niekwalifikowany certyfikat podpisu elektronicznego',
  days: (n) => `${n} ${n === 1 ? 'dzień' : 'dni'}`,
  hours: (n) => `${n} ${n === 1 ? 'godzina' : n % 10 >= 2 && n % 10 <= 4 && (n % 100 < 10 || n % 100 >= 20) ? 'godziny' : 'godzin'}`,
  minutes: (n) => `${n} ${n === 1 ? 'minuta' : n % 10 >= 2 && n % 10 <= 4 && (n % 100 < 10 || n % 100 >= 20) ? 'minuty' : 'minut'}`,
  sections: ({ provider, validity, qualified }) => [
    {
      heading: '1. Przedmiot umowy',
      paragraphs: [
        `${provider} wydaje subskrybentowi jednorazowy certyfikat elektroniczny, ważny przez ${validity}, ` +
          'przeznaczony wyłącznie do podpisania dokumentów przedstawionych w tym wniosku.',
        qualified
          ? 'Certyfikat jest kwalifikowany zgodnie z rozporządzeniem (UE) nr 910/2014 (eIDAS), a złożony nim podpis jest kwalifikowanym podpisem elektronicznym.'
          : 'Certyfikat nie jest kwalifikowany; złożony nim podpis jest zaawansowanym podpisem elektronicznym.',
      ],
    },
    {
      heading: '2. Klucze i autoryzacja',
      paragraphs: [
        'Para kluczy jest generowana wewnątrz bezpiecznego urządzenia do składania podpisu, używana wyłącznie do podpisów tego wniosku i niszczona zaraz potem.',
        'Subskrybent autoryzuje podpis, wpisując jednorazowy kod otrzymany na telefon lub pocztą e-mail. Nikt inny nie powinien znać tego kodu.',
      ],
    },
    {
      heading: '3. Obowiązki subskrybenta',
      paragraphs: ['Subskrybent oświadcza, że dane we wniosku są prawdziwe i że zapoznał się z dokumentami przed ich podpisaniem.'],
    },
    {
      heading: '4. Ochrona danych osobowych',
      paragraphs: ['Dane osobowe są przetwarzane wyłącznie w celu wydania certyfikatu i przechowywania dowodów wymaganych od dostawcy usług zaufania.'],
    },
  ],
  signatureNote: 'Niniejsza umowa jest podpisywana razem z dokumentami, tym samym certyfikatem jednorazowym.',
  footer: (provider, scratchcard) => `${provider} · Numer referencyjny ${scratchcard}`,
};

export const CONTRACT_TEXTS: Record<Language, ContractTexts> = { ES, EN, PL };
