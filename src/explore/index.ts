/** The explorer: a second engine beside the random check — its world, vocabulary, search, requirements and report. */
export { explore, EXPLORE_DEFAULTS, exploreDesign, type ExploreOptions } from './search.js';
export { CALLS, ExploreError, fixture, KNOWN_POLICY, leftOut, unsupported, vocabulary } from './vocabulary.js';
export { WORLD, type ExploreWorld, type Vm } from './world.js';
export type { CallView, Memory, Requirement, Situation, StateView } from './requirement.js';
export { REQUIREMENTS, requirementByName } from './requirements.js';
export { cellMark, designInfo, EXPLORE_SCHEMA, exploreReport, shortMark, symmetryOf, type CellVerdict, type DesignInfo, type ExploreCell, type ExploreReport, type RequirementInfo, type StopReason } from './report.js';
export { compare, formatComparison, type Comparison } from './compare.js';
export { FileError, loadDesignFile, loadRequirementFile, loadRequirementFiles, type Variant } from './user-files.js';
