import { env, iommu, vfio, fd } from '../support/vocab.js';
import { st, type Example } from '../support/example.js';

export const SMOKE: Example[] = [
  {
    name: 'a device attached to an IOAS reaches what the IOAS maps, and nothing else',
    design: 'iommufd',
    steps: [
      st(env.open('/dev/iommu'), { out: { fd: 3 } }),
      st(env.open('/dev/vfio/devices/vfio0'), { out: { fd: 4 } }),
      st(env.mmap(0x10000n, 0x4000n)),
      st(iommu.ioasAlloc(fd(3)), { out: { out_ioas_id: 1 } }),
      st(vfio.bindIommufd(fd(4), fd(3)), { out: { out_devid: 2 } }),
      st(iommu.map(fd(3), 1, 0x100000n, 0x2000n, 0x10000n), { out: { iova: 0x100000n } }),
      st(vfio.attach(fd(4), 1), { out: { pt_id: 3 } }, 'ATTACH_PT.ok.auto_domain'),
      st(env.dma('dev1', null, 0x101234n), { hit: 0x11234n }),
      st(env.dma('dev1', null, 0x102000n), { fault: 'no-translation' }),
      st(iommu.destroy(fd(3), 1), 'EBUSY'),
      st(iommu.unmap(fd(3), 1, 0x100000n, 0x2000n), { out: { length: 0x2000n } }),
      st(env.dma('dev1', null, 0x101234n), { fault: 'no-translation' }),
    ],
  },
];
