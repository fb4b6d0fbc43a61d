import type { Mutant } from '../mutant.js';

/*
 * IOMMU_HWPT_ALLOC on an IOAS makes a paging HWPT, which takes no driver data. Whether data_type / data make
 * sense was left to the driver, which only looks when there is data: the fix makes the core refuse a data_type
 * the allocation cannot use. The mutant lets the paging path silently ignore a driver (stage-1) data blob.
 */
export default {
  id: 'hwpt-paging-accepts-driver-data',
  title: 'HWPT_ALLOC of a paging HWPT ignores a nested-domain data_type and data instead of refusing them',
  class: 'uapi-validation',
  fix: { commit: '7adc0c1cfa7732b81bf7bf2ed16ffb99719ceebf', subject: 'iommufd: Reject non-zero data_type if no data_len is provided' },
  note: 'the fix refused a data_type with no data; the generator never sends that pair, so the mutant drops the twin check (data given where the paging path takes none)',
  file: 'src/impl/hwpt.ts',
  find: "    if (len !== 0) return fail('EOPNOTSUPP'); // user_data.len ? &user_data : NULL\n",
  replace: '',
  designs: ['iommufd'],
} satisfies Mutant;
