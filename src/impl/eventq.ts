/**
 * The file of an event queue object (struct iommufd_eventq, the common part of a FAULT and a vEVENTQ): an anonymous
 * file that holds a user of its object and a reference on the iommufd file (iommufd_ctx_get) until its last close,
 * and then just lets go of both (iommufd_eventq_fops_release): what is queued stays with the object.
 * @see drivers/iommu/iommufd/eventq.c iommufd_eventq_init
 */
import type { IommufdFile } from './iommufd-file.js';
import type { Kernel } from './kernel.js';
import { KFile, type FileKind } from './kfile.js';
import { putUsers, type IommufdObject } from './object.js';

export abstract class EventqFile<O extends IommufdObject> extends KFile {
  abstract override readonly kind: Extract<FileKind, 'fault' | 'veventq'>;
  constructor(serial: number, protected readonly eventq: O, private readonly ictx: IommufdFile, private readonly k: Kernel) {
    super(serial);
  }
  release() {
    putUsers(this.eventq);
    this.k.fput(this.ictx);
  }
}

/** iommufd_eventq_init's references and the fd: the object's users for the file, the iommufd for the file. */
export function installEventq<O extends IommufdObject>(k: Kernel, f: IommufdFile, obj: O, make: (serial: number) => EventqFile<O>): number {
  const serial = k.opens + 1;
  k.opens = serial;
  const file = make(serial);
  obj.users++; // the file's reference
  k.fget(f); // iommufd_ctx_get
  return k.installFd(file);
}
