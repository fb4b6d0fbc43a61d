/** The vocabulary tests use: uAPI types and builders, and the design names (values only, no spec code). */
export * from '../../src/uapi/index.js';
export type { DesignName } from '../../src/spec/design.js';
