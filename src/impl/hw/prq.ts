/**
 * PCIe PRI as the IOMMU and the devices see it: a device sends a page request (a page request group of one) and waits
 * for the page response the IOMMU sends back; the log keeps, for every request, the responses its device got. A
 * second response to one request is what the device would see as a protocol error: the log records it all the same,
 * for P-FAULT to find.
 */
import type { DevName } from '../../uapi/index.js';
import { tick } from './stamp.js';

export interface PageRequestRecord {
  readonly serial: number;
  readonly dev: DevName;
  readonly answers: number[];
}

export class PageRequestLog {
  private readonly log: PageRequestRecord[] = [];
  /** when a request or a response last came (stamp.ts) */
  stamp = 0;

  /** A device sends a page request; its serial (1, 2, ...). */
  send(dev: DevName): number {
    const serial = this.log.length + 1;
    this.log.push({ serial, dev, answers: [] });
    this.stamp = tick();
    return serial;
  }

  /** The IOMMU sends the page response for request `serial` (iopf_group_response -> ops->page_response). */
  respond(serial: number, code: number): void {
    const r = this.log[serial - 1];
    if (!r) throw new Error(`page response to request ${serial}, which no device sent`); // a bug of the caller
    r.answers.push(code);
    this.stamp = tick();
  }

  get requests(): readonly PageRequestRecord[] {
    return this.log;
  }
}
