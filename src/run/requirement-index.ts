// Appendix C of docs/spec.md from the spec's own requirements and the conformance catalogue
// (suites/*.json): the one place that knows both. `sixbench vectors generate` writes it and
// `sixbench vectors check` and test/spec/requirement-index.test.ts find it stale.
import { loadRequirements } from '../spec/requirements.js';
import { currentRequirementIndex, renderRequirementIndex, withRequirementIndex } from '../spec/requirement-index.js';
import { loadCatalogue, SUITES_DIR } from './catalogue.js';

/** The index as it should read for `specText` and the suites in `suitesDir`. */
export function expectedRequirementIndex(specText: string, suitesDir: string = SUITES_DIR): string {
  return renderRequirementIndex(loadRequirements(specText), loadCatalogue(suitesDir));
}

/** `specText` with Appendix C regenerated. */
export function regenerateRequirementIndex(specText: string, suitesDir: string = SUITES_DIR): string {
  return withRequirementIndex(specText, expectedRequirementIndex(specText, suitesDir));
}

/** null when Appendix C is current, else what is wrong. */
export function staleRequirementIndex(specText: string, suitesDir: string = SUITES_DIR): string | null {
  const current = currentRequirementIndex(specText);
  if (current === null) return 'Appendix C lacks the requirement-index markers';
  return current === expectedRequirementIndex(specText, suitesDir) ? null : 'Appendix C (requirement index) is stale: run `sixbench vectors generate`';
}
