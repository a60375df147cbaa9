export * from '../../../src/lib/cms/index.js';
export { compareDer as compareDerForTest } from '../../../src/lib/cms/der.js';
