/** The default check and rule coverage of the merged design (support/check-suite.ts). */
import { checkSuite } from './support/check-suite.js';

checkSuite(['iommufd'], true);
