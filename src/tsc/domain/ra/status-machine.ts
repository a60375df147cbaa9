/**
 * The request status machine (DESIGN.md §3; One-Shot RA states, oneshot-api.md §2). The TSC owns
 * it. An illegal transition is a 412 with a stable code, never a silent no-op.
 *
 *   CREATED ──approve──▶ ENROLLREADY ──sign──▶ ISSUED
 *   VIDEOPENDING ─▶ VIDEOINCOMPLETE ─▶ VIDEOREVIEW ─approve─▶ ENROLLREADY
 *                 ╲─▶ VIDEOERROR ─▶ VIDEOPENDING (retry)     ╲─refuse─▶ CANCELLED
 *   VIDEOREVIEW ─validate (2-step mode)─▶ CREATED
 *   every non-final status ──cancel──▶ CANCELLED;  ISSUED and CANCELLED are final.
 */
import { AppError } from '../../../shared/errors.js';
import type { RequestStatus } from '../model.js';

const TRANSITIONS: Record<RequestStatus, readonly RequestStatus[]> = {
  CREATED: ['ENROLLREADY', 'VIDEOPENDING', 'CANCELLED'],
  VIDEOPENDING: ['VIDEOINCOMPLETE', 'VIDEOREVIEW', 'VIDEOERROR', 'CANCELLED'],
  // More evidence may arrive while still incomplete: an explicit, audited self-transition.
  VIDEOINCOMPLETE: ['VIDEOINCOMPLETE', 'VIDEOREVIEW', 'VIDEOERROR', 'CANCELLED'],
  VIDEOERROR: ['VIDEOPENDING', 'CANCELLED'],
  VIDEOREVIEW: ['ENROLLREADY', 'CREATED', 'CANCELLED'],
  ENROLLREADY: ['ISSUED', 'CANCELLED'],
  ISSUED: [],
  CANCELLED: [],
};

export const EDITABLE_STATUSES: readonly RequestStatus[] = ['CREATED', 'VIDEOPENDING', 'VIDEOINCOMPLETE', 'VIDEOERROR', 'VIDEOREVIEW', 'ENROLLREADY'];

export function canTransition(from: RequestStatus, to: RequestStatus): boolean {
  return TRANSITIONS[from].includes(to);
}

export function transitionError(from: RequestStatus, to: RequestStatus): AppError {
  if (from === 'ISSUED') return new AppError('REQ_ERR_ALREADY_ISSUED', 'Request already in ISSUED status', { status: from });
  return new AppError('REQ_ERR_ILLEGAL_TRANSITION', `Invalid request status: ${from} -> ${to}`, { status: from });
}

export function assertTransition(from: RequestStatus, to: RequestStatus): void {
  if (!canTransition(from, to)) throw transitionError(from, to);
}
