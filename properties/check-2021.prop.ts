/** The default check and rule coverage of the 2021 designs (support/check-suite.ts). */
import { checkSuite } from './support/check-suite.js';

checkSuite(['rfc-v1', 'fd-per-ioasid', 'per-device-sva', 'setup-only-association'], false);
