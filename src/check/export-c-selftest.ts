/**
 * `export --format c --selftest`: what a program does on a kernel with CONFIG_IOMMUFD_TEST in place of the VFIO
 * device and its DMA. The VFIO cdevs are the selftest's mock devices, emulated in C exactly as `kernel check` emulates
 * them (src/kernel/mock-vfio.ts: BIND is IOMMU_TEST_OP_MOCK_DOMAIN on a scratch IOAS of that iommufd, ATTACH a
 * MOCK_DOMAIN_REPLACE, DETACH a replace back to the scratch IOAS, closing a bound device file destroys the mock
 * device); a DMA is asked of the mock domain the device is on (IOMMU_TEST_OP_MD_CHECK_MAP: it maps the page the spec's
 * DMA reaches, or no longer maps the one it reached before), and a write the spec says dirties a page is
 * IOMMU_TEST_OP_DIRTY there (as src/kernel/linux-observe.ts). Only on machine profile selftest-mock are the spec's host
 * addresses the user addresses the mock can be asked about; elsewhere a DMA stays a comment.
 */
import { observe, type State } from '../spec/index.js';
import type { EnvAction, Result } from '../uapi/index.js';
import { MOCK_IO_PAGE_SIZE } from '../kernel/abi.js';
import { formatCmd } from './format.js';
import type { TraceStep } from './trace.js';
import { cstr, lit } from './c-source.js';

/** The profile whose host addresses are user addresses (the selftest's mock maps user pages 1:1 in the spec's terms). */
export const MOCK_PROFILE = 'selftest-mock';


/** The C of a DMA step with --selftest. */
export function selftestDma(n: number, st: TraceStep, e: Extract<EnvAction, { env: 'DMA' }>, before: State, after: State, result: Result<unknown> | null, rule: string | null, onMock: boolean): string[] {
  const what = cstr(formatCmd(st.cmd));
  const comment = (why: string) => [`\tcomment(${n}, ${cstr(`${formatCmd(st.cmd)}: ${why}`)});`];
  if (result === null || !result.ok) return comment('not taken by the spec');
  if (!onMock) return comment(`a DMA, asked of the mock only on profile ${MOCK_PROFILE} (where the spec's host addresses are user addresses)`);
  if (e.pasid !== null) return comment('a DMA with a PASID, which the mock device has none of');
  const path = before.world.devices.find((d) => d.name === e.dev)?.path;
  if (path === undefined) return comment(`no device ${e.dev} on this machine`);
  const now = observe(after).translate(e.dev, null, e.iova, 'read').xlate;
  const then = observe(before).translate(e.dev, null, e.iova, 'read').xlate;
  const page = e.iova - (e.iova % MOCK_IO_PAGE_SIZE);
  if (now.kind === 'hit') {
    const lines = [`\tmock_dma(${n}, ${what}, ${cstr(path)}, ${lit(page)}, ${lit(now.hpa - (now.hpa % MOCK_IO_PAGE_SIZE))}, 1);`];
    if (rule === 'DMA.ok.dirty') lines.push(`\tmock_dirty(${n}, ${cstr(path)}, ${lit(page)});`);
    return lines;
  }
  if (then.kind === 'hit') return [`\tmock_dma(${n}, ${what}, ${cstr(path)}, ${lit(page)}, ${lit(then.hpa - (then.hpa % MOCK_IO_PAGE_SIZE))}, 0);`];
  return comment(`faults (${now.reason}) as before the step: nothing the mock can be asked`);
}

/** The mock's VFIO emulation and DMA checks, in C. */
export const SELFTEST_PRELUDE = `/* ---- --selftest: VFIO cdevs as the selftest's mock devices (drivers/vfio/device_cdev.c's checks, in its order) ---- */

struct mock_dev {
	char path[64];		/* the cdev the trace opened */
	int fd;			/* the trace's fd: a /dev/null placeholder */
	int ctx;		/* a dup of the iommufd it is bound to (VFIO keeps that file), -1 when not bound */
	__u32 stdev, idev, hwpt;
	__u32 scratch;		/* the scratch IOAS of that iommufd, which it sits on when not attached */
	int attached;
};
static struct mock_dev mock_devs[64];
/* the scratch IOAS a bound device sits on when not attached, per iommufd fd */
static struct { int fd; __u32 ioas; } scratch[64];

/* every object id this kernel returned (the mock's own too): an id the trace uses that names nothing must stay unknown */
static __u32 returned_ids[4096];
static size_t n_returned;

helper __u32 returned(__u32 id)
{
	if (n_returned < sizeof(returned_ids) / sizeof(returned_ids[0]))
		returned_ids[n_returned++] = id;
	return id;
}

/* the spec's id n, which names no object there: a number this kernel never returned either */
helper __u32 unallocated(__u32 n)
{
	for (size_t i = 0; i < n_returned; i++)
		if (returned_ids[i] == n)
			return 0x40000000 + n;
	return n;
}

helper struct mock_dev *mock_of_fd(int fd)
{
	for (size_t i = 0; i < sizeof(mock_devs) / sizeof(mock_devs[0]); i++)
		if (mock_devs[i].path[0] && mock_devs[i].fd == fd)
			return &mock_devs[i];
	return NULL;
}

helper struct mock_dev *mock_of_path(const char *path)
{
	for (size_t i = 0; i < sizeof(mock_devs) / sizeof(mock_devs[0]); i++)
		if (mock_devs[i].path[0] && mock_devs[i].ctx >= 0 && !strcmp(mock_devs[i].path, path))
			return &mock_devs[i];
	return NULL;
}

helper int fail(int e)
{
	errno = e;
	return -1;
}

/* open(2) of a cdev: the placeholder */
helper int mock_open(const char *path)
{
	int fd = open("/dev/null", O_RDWR);
	for (size_t i = 0; fd >= 0 && i < sizeof(mock_devs) / sizeof(mock_devs[0]); i++) {
		if (mock_devs[i].path[0])
			continue;
		snprintf(mock_devs[i].path, sizeof(mock_devs[i].path), "%s", path);
		mock_devs[i].fd = fd;
		mock_devs[i].ctx = -1;
		mock_devs[i].attached = 0;
		return fd;
	}
	return fd < 0 ? -1 : fail(EMFILE);
}

helper __u32 scratch_of(int iommufd)
{
	for (size_t i = 0; i < sizeof(scratch) / sizeof(scratch[0]); i++)
		if (scratch[i].fd == iommufd + 1)
			return scratch[i].ioas;
	struct iommu_ioas_alloc a = { .size = sizeof(a) };
	if (ioctl(iommufd, IOMMU_IOAS_ALLOC, &a))
		return 0;
	for (size_t i = 0; i < sizeof(scratch) / sizeof(scratch[0]); i++) {
		if (scratch[i].fd)
			continue;
		scratch[i].fd = iommufd + 1;
		scratch[i].ioas = a.out_ioas_id;
		break;
	}
	return returned(a.out_ioas_id);
}

/* whether fd is a /dev/iommu file */
helper int is_iommufd(int fd)
{
	char link[64], to[64];
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	ssize_t n = readlink(link, to, sizeof(to) - 1);
	return n > 0 && (to[n] = 0, !strcmp(to, "/dev/iommu"));
}

/* a VFIO cdev ioctl on fd (a real ioctl where fd is no mock device file); nth > 0 arms fail_nth on the call doing its work */
helper int mock_vfio_ioctl(int fd, unsigned long req, void *arg, int nth)
{
	struct mock_dev *d = mock_of_fd(fd);
	struct iommu_test_cmd t = { .size = sizeof(t) };
	if (!d) {
		if (nth)
			fail_nth_arm(nth);
		return ioctl(fd, req, arg);
	}
	if (req == VFIO_DEVICE_BIND_IOMMUFD) {
		struct vfio_device_bind_iommufd *b = arg;
		if (b->flags || b->iommufd < 0 || d->ctx >= 0)
			return fail(EINVAL);
		if (b->iommufd <= 2 || fcntl(b->iommufd, F_GETFD) < 0) /* stdio is no file of the trace's */
			return fail(EBADF);
		if (!is_iommufd(b->iommufd))
			return fail(EBADFD);
		if (mock_of_path(d->path))
			return fail(EINVAL); /* the cdev path opens a device once */
		t.op = IOMMU_TEST_OP_MOCK_DOMAIN;
		t.id = d->scratch = scratch_of(b->iommufd);
		if (nth)
			fail_nth_arm(nth);
		if (ioctl(b->iommufd, IOMMU_TEST_CMD, &t))
			return -1;
		d->ctx = fcntl(b->iommufd, F_DUPFD, 500);
		d->stdev = returned(t.mock_domain.out_stdev_id);
		d->idev = returned(t.mock_domain.out_idev_id);
		d->hwpt = returned(t.mock_domain.out_hwpt_id);
		d->attached = 0;
		b->out_devid = d->idev;
		return 0;
	}
	if (d->ctx < 0)
		return fail(EINVAL);
	if (req == VFIO_DEVICE_ATTACH_IOMMUFD_PT) {
		struct vfio_device_attach_iommufd_pt *a = arg;
		if (a->flags)
			return fail(EINVAL);
		t.op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE;
		t.id = d->stdev;
		t.mock_domain_replace.pt_id = a->pt_id;
		if (nth)
			fail_nth_arm(nth);
		if (ioctl(d->ctx, IOMMU_TEST_CMD, &t))
			return -1;
		d->attached = 1;
		d->hwpt = a->pt_id = returned(t.mock_domain_replace.pt_id);
		return 0;
	}
	if (req == VFIO_DEVICE_DETACH_IOMMUFD_PT) {
		struct vfio_device_detach_iommufd_pt *a = arg;
		if (a->flags)
			return fail(EINVAL);
		if (d->attached) {
			t.op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE;
			t.id = d->stdev;
			t.mock_domain_replace.pt_id = d->scratch;
			if (ioctl(d->ctx, IOMMU_TEST_CMD, &t))
				return -1;
			d->attached = 0;
			d->hwpt = t.mock_domain_replace.pt_id;
		}
		return 0;
	}
	return fail(ENOTTY);
}

/*
 * read(2) and write(2) on a device file: VFIO's (vfio_device_fops_read/write) refuse EINVAL without access granted or a
 * read/write op of the driver; the spec's devices have neither region to read (the placeholder would read /dev/null)
 */
helper long mock_read(int fd, void *buf, size_t len)
{
	return mock_of_fd(fd) ? fail(EINVAL) : read(fd, buf, len);
}

helper long mock_write(int fd, const void *buf, size_t len)
{
	return mock_of_fd(fd) ? fail(EINVAL) : write(fd, buf, len);
}

/* close(2): a bound device file destroys its mock device and drops the iommufd it held; an iommufd fd forgets its scratch IOAS */
helper int mock_close(int fd)
{
	struct mock_dev *d = mock_of_fd(fd);
	if (d && d->ctx >= 0) {
		struct iommu_destroy x = { .size = sizeof(x), .id = d->stdev };
		if (ioctl(d->ctx, IOMMU_DESTROY, &x))
			printf("destroying a mock device: %s\\n", strerror(errno));
		close(d->ctx);
	}
	if (d)
		d->path[0] = 0;
	for (size_t i = 0; i < sizeof(scratch) / sizeof(scratch[0]); i++)
		if (scratch[i].fd == fd + 1)
			scratch[i].fd = 0;
	return close(fd);
}

/* a DMA: the mock domain the device at path is on maps the mock page at iova to uptr (must 1) or not (must 0) */
helper void mock_dma(int n, const char *what, const char *path, __u64 iova, __u64 uptr, int must)
{
	struct mock_dev *d = mock_of_path(path);
	struct iommu_test_cmd t = {
		.size = sizeof(t), .op = IOMMU_TEST_OP_MD_CHECK_MAP,
		.check_map = { .iova = iova, .length = 0x800, .uptr = uptr },
	};
	int maps = 0;
	if (d && d->attached) {
		t.id = d->hwpt;
		maps = ioctl(d->ctx, IOMMU_TEST_CMD, &t) == 0;
	}
	if (maps != must) {
		printf("step %d: %s -> the mock domain %s IOVA 0x%llx to 0x%llx, but the spec says it %s\\n", n, what, maps ? "maps" : "does not map",
		       (unsigned long long)iova, (unsigned long long)uptr, must ? "does" : "no longer does");
		exit(1);
	}
	printf("step %d: %s -> %s (the mock domain, asked)\\n", n, what, must ? "reaches its page" : "faults");
}

/* a device write that dirties the mock page at iova of the HWPT the device is on */
helper void mock_dirty(int n, const char *path, __u64 iova)
{
	struct mock_dev *d = mock_of_path(path);
	static __u64 bit = 1;
	struct iommu_test_cmd t = {
		.size = sizeof(t), .op = IOMMU_TEST_OP_DIRTY,
		.dirty = { .iova = iova, .length = 0x800, .page_size = 0x800, .uptr = (uintptr_t)&bit },
	};
	if (!d || !d->attached)
		return;
	t.id = d->hwpt;
	if (ioctl(d->ctx, IOMMU_TEST_CMD, &t)) {
		printf("step %d: the mock refuses to dirty IOVA 0x%llx (%s), but the spec says the write dirtied it\\n", n, (unsigned long long)iova, errname(errno));
		exit(1);
	}
}
`;
