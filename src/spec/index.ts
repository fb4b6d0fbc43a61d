/** The executable specification: pure step(state, cmd), observe(state), designs, invariants. */
export { step, IOCTLS, type StepResult } from './step.js';
export { fdsByFile, initialState, objectOfFile, objKey, type Obj, type ObjKey, type State } from './state.js';
export { observe, observeLocked, observePart, touchedParts } from './observe.js';
export { exitProcess } from './fd.js';
export { routeCtx, routeInputs, sameInputs, translate } from './translate.js';
export { checkInvariants, noLeak, INVARIANTS, type Invariant, type Violation } from './invariants.js';
export { DESIGNS, designByName } from './designs/index.js';
export { DESIGN_NAMES, type Design, type DesignName, type Policy } from './design.js';
export type { RuleId } from './rule.js';
export { ENV_NAMES, envNamesOf, errnoOfRule, errnoPairsOf, isPageFaultEnv, outcomesOf } from './outcomes.js';
export { hasDomain } from './pins.js';
export { holders } from './objects.js';
export { nestsThroughViommu } from './hwpt.js';
