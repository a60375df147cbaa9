/** Use case: the service-contract PDF of a request, in its communication_language (issue 2 §7). */
import { AppError } from '../../../shared/errors.js';
import type { TscDomainDeps } from '../context.js';
import { isQualifiedProfile } from '../ca/profiles.js';
import { buildContractContent } from './contract-content.js';

export type ContractDeps = Pick<TscDomainDeps, 'store' | 'settings' | 'contracts'>;

export async function getServiceContract(deps: ContractDeps, pk: number): Promise<{ pdf: Uint8Array; language: string }> {
  const req = await deps.store.requests.get(pk);
  if (!req) throw new AppError('REQ_ERR_NOT_FOUND', `Request ${pk} not found`);
  if (req.status === 'CANCELLED') throw new AppError('REQ_ERR_ILLEGAL_TRANSITION', 'Invalid request status: CANCELLED', { status: req.status });
  const content = buildContractContent(req, {
    certValiditySeconds: deps.settings.certValiditySeconds,
    qualified: isQualifiedProfile(req.profile),
    providerName: deps.settings.providerName,
  });
  return { pdf: await deps.contracts.render(content), language: content.language };
}
