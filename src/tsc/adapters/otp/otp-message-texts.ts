/** The user-facing OTP message, in the request's language. */
const TEXTS: Record<string, { subject: string; body: (code: string, pk: number) => string }> = {
  ES: { subject: 'Código de firma', body: (c, pk) => `Su código para firmar (solicitud ${pk}) es ${c}. No lo comparta con nadie.` },
  EN: { subject: 'Signature code', body: (c, pk) => `Your signing code (request ${pk}) is ${c}. Do not share it with anyone.` },
  PL: { subject: 'Kod podpisu', body: (c, pk) => `Twój kod do podpisu (wniosek ${pk}) to ${c}. Nie udostępniaj go nikomu.` },
};

export function otpText(language: string): { subject: string; body: (code: string, pk: number) => string } {
  return TEXTS[language] ?? TEXTS.EN!;
}
