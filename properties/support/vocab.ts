/** The vocabulary tests use: uAPI types, builders and design names — nothing of the spec or the simulated kernel. */
export * from '../../src/uapi/index.js';
