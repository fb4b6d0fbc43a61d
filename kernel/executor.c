// SPDX-License-Identifier: MIT
/*
 * ioasid-lab's executor: /init of the guest that `ioasid-lab kernel` boots. It knows nothing of iommufd: it
 * serves open, close, dup, mmap and ioctl with raw argument bytes to the host over a virtio console, one request
 * per line, so every rule of the uAPI (struct layouts, ids, the VFIO layer over the selftest mock) lives in the
 * host's TypeScript (src/kernel/) and the guest stays small enough to read in one sitting.
 *
 * Each trace runs in a session: a child forked from /init, with its own address space and fd table, without
 * CAP_IPC_LOCK (so iommufd charges pinned pages to RLIMIT_MEMLOCK, as for an unprivileged VMM) and with the
 * trace's RLIMIT_MEMLOCK. Every answer carries the kernel log lines that appeared meanwhile (a WARN, an oops).
 *
 * Requests (numbers in hex without 0x; one line each; the answer is zero or more `K <log line>` lines, then one
 * status line: `R <value> ...` on success, `E <errno> ...` on failure, `X <how>` when the session died):
 *   B <memlock-bytes>           begin a session                         R <pid>
 *   Q                           end it (the child exits)                R 0 | X <how>
 *   O <path>                    open(path, O_RDWR)                      R <fd> | E <errno>
 *   C <fd>                      close(fd)                               R 0 | E <errno>
 *   U <fd> <min>                fcntl(fd, F_DUPFD, min)                 R <fd> | E <errno>
 *   M <addr> <len>              mmap anonymous, fixed, populated        R 0 | E <errno>
 *   I <fd> <req> <nth> <arg> [<off>:<buf>|<off>:-]...
 *                               ioctl(fd, req, arg): each <off>:<buf> puts a buffer holding <buf> (hex bytes)
 *                               and writes its address at byte <off> of <arg>; <off>:- writes NULL there.
 *                               <nth> > 0 arms /proc/thread-self/fail-nth for this call only.
 *                                                                       R|E <rc|errno> <fired> <arg> <buf>...
 *                               (<fired>: 1 the injected failure fired, 0 it did not, - none was armed)
 *   P                           ping                                    R 0
 * Outside a session, where B, P and H are served too:
 *   G <path>                    run the program at path (a C export of a trace, `export --format c --selftest`)
 *                               in a child of its own, its stdout and stderr collected
 *                                                                       R <exit> <output> | X <how>
 * Build: gcc -static-pie -O2 -Wall -Werror: loaded high (ELF_ET_DYN_BASE), so low user addresses are the trace's.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

/* The executor's own descriptors sit high, so a trace's fds are numbered from 3 exactly as the spec numbers them. */
enum { FD_KMSG = 900, FD_CHAN = 901, FD_NTH = 902 };
enum { LINE_MAX_BYTES = 4 << 20, MAX_BUFS = 8 };

static char line[LINE_MAX_BYTES];
static size_t line_len, line_have;
static char inbuf[LINE_MAX_BYTES];

static void die(const char *what)
{
	dprintf(2, "ioasid-lab executor: %s: %s\n", what, strerror(errno));
	reboot(RB_AUTOBOOT);
	_exit(1);
}

/* ---- the channel: lines in, lines out ------------------------------------------------------------------ */

/* The next request line (without its newline), or NULL at end of input. */
static char *next_line(void)
{
	for (;;) {
		char *nl = memchr(inbuf, '\n', line_have);
		if (nl) {
			size_t n = (size_t)(nl - inbuf);
			if (n >= sizeof(line))
				n = sizeof(line) - 1;
			memcpy(line, inbuf, n);
			line[n] = 0;
			line_len = n;
			memmove(inbuf, nl + 1, line_have - (size_t)(nl - inbuf) - 1);
			line_have -= (size_t)(nl - inbuf) + 1;
			return line;
		}
		if (line_have == sizeof(inbuf)) /* a line longer than the buffer: the host never sends one */
			die("a request line past LINE_MAX_BYTES");
		ssize_t r = read(FD_CHAN, inbuf + line_have, sizeof(inbuf) - line_have);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return NULL;
		line_have += (size_t)r;
	}
}

static char *out;
static size_t out_len, out_cap;

static void emit(const char *fmt, ...)
{
	va_list ap;
	for (;;) {
		va_start(ap, fmt);
		int n = vsnprintf(out + out_len, out_cap - out_len, fmt, ap);
		va_end(ap);
		if (n >= 0 && (size_t)n < out_cap - out_len) {
			out_len += (size_t)n;
			return;
		}
		out_cap = out_cap * 2 + (size_t)(n > 0 ? n : 0) + 64;
		out = realloc(out, out_cap);
		if (!out)
			die("out of memory");
	}
}

static void emit_hex(const unsigned char *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	if (n == 0) {
		emit(" .");
		return;
	}
	emit(" ");
	for (size_t i = 0; i < n; i++)
		emit("%c%c", digits[p[i] >> 4], digits[p[i] & 15]);
}

/* Kernel log records that appeared since the last answer, each as a `K` line (text after the record's prefix). */
static void drain_kmsg(void)
{
	char rec[8192];
	for (;;) {
		ssize_t n = read(FD_KMSG, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE) /* records were overwritten before we read them */
			continue;
		if (n <= 0)
			return;
		rec[n] = 0;
		char *text = strchr(rec, ';');
		text = text ? text + 1 : rec;
		char *end = strchr(text, '\n');
		if (end)
			*end = 0;
		emit("K ");
		for (char *c = text; *c; c++)
			emit("%c", (*c >= 0x20 && *c < 0x7f) ? *c : '?');
		emit("\n");
	}
}

static void flush_answer(void)
{
	drain_kmsg();
	size_t off = 0;
	while (off < out_len) {
		ssize_t w = write(FD_CHAN, out + off, out_len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			die("write to the channel");
		off += (size_t)w;
	}
	out_len = 0;
}

/* A status line is the last line of an answer: log lines go before it. */
static void status(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	drain_kmsg();
	emit("%s", buf);
}

/* ---- parsing ----------------------------------------------------------------------------------------------- */

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* The next space-separated word of *p (NULL when none is left). */
static char *word(char **p)
{
	while (**p == ' ')
		(*p)++;
	if (!**p)
		return NULL;
	char *w = *p;
	while (**p && **p != ' ')
		(*p)++;
	if (**p)
		*(*p)++ = 0;
	return w;
}

static int num(char **p, uint64_t *v)
{
	char *w = word(p);
	if (!w || !*w)
		return -1;
	uint64_t x = 0;
	for (char *c = w; *c; c++) {
		int d = hexval(*c);
		if (d < 0 || x >> 60)
			return -1;
		x = x << 4 | (uint64_t)d;
	}
	*v = x;
	return 0;
}

/* Hex bytes ("." is none) decoded in place; the length, or -1. */
static long bytes(char *w)
{
	if (!strcmp(w, "."))
		return 0;
	size_t n = strlen(w);
	if (n % 2)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		int a = hexval(w[2 * i]), b = hexval(w[2 * i + 1]);
		if (a < 0 || b < 0)
			return -1;
		w[i] = (char)(a << 4 | b);
	}
	return (long)(n / 2);
}

/* ---- requests ------------------------------------------------------------------------------------------------ */

static void fail_nth_arm(uint64_t nth)
{
	char v[32];
	int n = snprintf(v, sizeof(v), "%llu", (unsigned long long)nth);
	if (pwrite(FD_NTH, v, (size_t)n, 0) != n)
		die("write fail-nth");
}

/* After the call: whether the armed failure fired (fail-nth reads 0), and disarm it either way. */
static int fail_nth_fired(void)
{
	char v[32] = "1";
	ssize_t n = pread(FD_NTH, v, sizeof(v) - 1, 0);
	int fired = n > 0 && v[0] == '0';
	/* as iommufd_fail_nth.c: disarming can itself fail once with EFAULT */
	if (pwrite(FD_NTH, "0", 1, 0) != 1 && pwrite(FD_NTH, "0", 1, 0) != 1)
		die("disarm fail-nth");
	return fired;
}

static void req_ioctl(char *p)
{
	uint64_t fd, req, nth;
	char *argw;
	unsigned char *bufs[MAX_BUFS];
	long lens[MAX_BUFS];
	int nbufs = 0;
	if (num(&p, &fd) || num(&p, &req) || num(&p, &nth) || !(argw = word(&p))) {
		status("E %x - .\n", EINVAL);
		return;
	}
	long arglen = bytes(argw);
	if (arglen < 0) {
		status("E %x - .\n", EINVAL);
		return;
	}
	unsigned char *arg = calloc(1, (size_t)arglen + 8);
	if (!arg)
		die("out of memory");
	memcpy(arg, argw, (size_t)arglen);
	for (char *w; (w = word(&p)) && nbufs < MAX_BUFS;) {
		char *colon = strchr(w, ':');
		char *end;
		unsigned long off = colon ? strtoul(w, &end, 16) : 0;
		if (!colon || end != colon || off + 8 > (unsigned long)arglen) {
			status("E %x - .\n", EINVAL);
			free(arg);
			return;
		}
		uint64_t addr = 0;
		if (strcmp(colon + 1, "-")) {
			long n = bytes(colon + 1);
			if (n < 0) {
				status("E %x - .\n", EINVAL);
				free(arg);
				return;
			}
			bufs[nbufs] = malloc((size_t)n + 16);
			if (!bufs[nbufs])
				die("out of memory");
			memcpy(bufs[nbufs], colon + 1, (size_t)n);
			lens[nbufs] = n;
			addr = (uint64_t)(uintptr_t)bufs[nbufs];
			nbufs++;
		}
		memcpy(arg + off, &addr, sizeof(addr));
	}
	if (nth)
		fail_nth_arm(nth);
	int rc = ioctl((int)fd, (unsigned long)req, arg);
	int err = errno;
	int fired = nth ? fail_nth_fired() : -1;
	char f[2] = { fired < 0 ? '-' : (char)('0' + fired), 0 };
	drain_kmsg();
	if (rc < 0)
		emit("E %x %s", err, f);
	else
		emit("R %x %s", rc, f);
	emit_hex(arg, (size_t)arglen);
	for (int i = 0; i < nbufs; i++) {
		emit_hex(bufs[i], (size_t)lens[i]);
		free(bufs[i]);
	}
	emit("\n");
	free(arg);
}

static void req_mmap(char *p)
{
	uint64_t addr, len;
	if (num(&p, &addr) || num(&p, &len)) {
		status("E %x\n", EINVAL);
		return;
	}
	void *m = mmap((void *)(uintptr_t)addr, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE | MAP_POPULATE, -1, 0);
	if (m == MAP_FAILED)
		status("E %x\n", errno);
	else if ((uintptr_t)m != addr) /* a kernel without MAP_FIXED_NOREPLACE would place it elsewhere */
		status("E %x\n", EEXIST);
	else
		status("R 0\n");
}

/* One request of a session; returns 0 when the session ends. */
static int session_request(char *p)
{
	char *op = word(&p);
	uint64_t a, b;
	if (!op) {
		status("E %x\n", EINVAL);
	} else if (!strcmp(op, "Q")) {
		return 0;
	} else if (!strcmp(op, "O")) {
		while (*p == ' ')
			p++;
		int fd = open(p, O_RDWR);
		if (fd < 0)
			status("E %x\n", errno);
		else
			status("R %x\n", fd);
	} else if (!strcmp(op, "C")) {
		if (num(&p, &a))
			status("E %x\n", EINVAL);
		else if (close((int)a))
			status("E %x\n", errno);
		else
			status("R 0\n");
	} else if (!strcmp(op, "U")) {
		int fd;
		if (num(&p, &a) || num(&p, &b))
			status("E %x\n", EINVAL);
		else if ((fd = fcntl((int)a, F_DUPFD, (int)b)) < 0)
			status("E %x\n", errno);
		else
			status("R %x\n", fd);
	} else if (!strcmp(op, "M")) {
		req_mmap(p);
	} else if (!strcmp(op, "I")) {
		req_ioctl(p);
	} else if (!strcmp(op, "P")) {
		status("R 0\n");
	} else {
		status("E %x\n", EINVAL);
	}
	flush_answer();
	return 1;
}

/* The session child: no CAP_IPC_LOCK, the trace's RLIMIT_MEMLOCK, then requests until Q. */
static void session(uint64_t memlock)
{
	struct rlimit rl = { .rlim_cur = memlock, .rlim_max = memlock };
	if (setrlimit(RLIMIT_MEMLOCK, &rl))
		die("setrlimit");
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct d[2];
	if (syscall(SYS_capget, &h, d))
		die("capget");
	d[CAP_IPC_LOCK / 32].effective &= ~(1u << (CAP_IPC_LOCK % 32));
	d[CAP_IPC_LOCK / 32].permitted &= ~(1u << (CAP_IPC_LOCK % 32));
	if (syscall(SYS_capset, &h, d))
		die("capset");
	int nth = open("/proc/thread-self/fail-nth", O_RDWR);
	if (nth < 0 || dup2(nth, FD_NTH) < 0)
		die("open fail-nth");
	close(nth);
	status("R %x\n", getpid());
	flush_answer();
	char *p;
	while ((p = next_line()) && session_request(p))
		;
	_exit(0);
}

/* ---- programs ---------------------------------------------------------------------------------------------- */

/* G <path>: the program runs as a child (the executor's own fds closed to it), its output read to the end. */
static void run_program(char *p)
{
	while (*p == ' ')
		p++;
	int pipefd[2];
	if (pipe(pipefd)) {
		status("E %x\n", errno);
		return;
	}
	pid_t pid = fork();
	if (pid < 0) {
		status("E %x\n", errno);
		close(pipefd[0]);
		close(pipefd[1]);
		return;
	}
	if (pid == 0) {
		dup2(pipefd[1], 1);
		dup2(pipefd[1], 2);
		close(pipefd[0]);
		close(pipefd[1]);
		close(FD_KMSG);
		close(FD_CHAN);
		char *argv[] = { p, NULL };
		execv(p, argv);
		dprintf(2, "exec %s: %s\n", p, strerror(errno));
		_exit(127);
	}
	close(pipefd[1]);
	size_t len = 0, cap = 4096;
	unsigned char *buf = malloc(cap);
	for (;;) {
		if (!buf)
			die("out of memory");
		ssize_t r = read(pipefd[0], buf + len, cap - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
		if (len == cap)
			buf = realloc(buf, cap *= 2);
	}
	close(pipefd[0]);
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	drain_kmsg();
	if (WIFEXITED(st)) {
		emit("R %x", WEXITSTATUS(st));
		emit_hex(buf, len);
		emit("\n");
	} else {
		status("X signal-%d\n", WTERMSIG(st));
	}
	free(buf);
}

/* ---- /init ---------------------------------------------------------------------------------------------------- */

static void write_file(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);
	if (fd < 0)
		return; /* a kernel without that fault attribute: nothing to quiet */
	if (write(fd, val, strlen(val)) < 0)
		dprintf(2, "ioasid-lab executor: %s: %s\n", path, strerror(errno));
	close(fd);
}

/* Fault injection as iommufd_fail_nth.c sets it up: any allocation may be failed, and failures are not logged. */
static void setup_fault_injection(void)
{
	write_file("/debug/failslab/ignore-gfp-wait", "N");
	write_file("/debug/fail_page_alloc/ignore-gfp-wait", "N");
	write_file("/debug/fail_page_alloc/ignore-gfp-highmem", "N");
	write_file("/debug/failslab/verbose", "0");
	write_file("/debug/fail_page_alloc/verbose", "0");
	write_file("/debug/iommufd/fail_iommufd/verbose", "0");
}

static int move_high(int fd, int to)
{
	if (fd < 0 || dup2(fd, to) < 0)
		return -1;
	close(fd);
	return to;
}

int main(void)
{
	mkdir("/dev", 0755);
	mkdir("/proc", 0755);
	mkdir("/debug", 0755);
	if (mount("devtmpfs", "/dev", "devtmpfs", 0, NULL) && errno != EBUSY)
		die("mount /dev");
	if (mount("proc", "/proc", "proc", 0, NULL))
		die("mount /proc");
	if (mount("debugfs", "/debug", "debugfs", 0, NULL))
		dprintf(2, "ioasid-lab executor: no debugfs: fail_nth is unavailable\n");
	setup_fault_injection();

	const char *chan = "/dev/vport0p1";
	if (move_high(open(chan, O_RDWR | O_NOCTTY), FD_CHAN) < 0)
		die(chan);
	if (move_high(open("/dev/kmsg", O_RDONLY | O_NONBLOCK), FD_KMSG) < 0)
		die("/dev/kmsg");
	lseek(FD_KMSG, 0, SEEK_END);

	struct utsname u;
	uname(&u);
	emit("READY %s\n", u.release);
	flush_answer();

	char *p;
	while ((p = next_line())) {
		char *op = word(&p);
		uint64_t memlock;
		if (op && !strcmp(op, "B") && !num(&p, &memlock)) {
			pid_t pid = fork();
			if (pid < 0) {
				status("E %x\n", errno);
				flush_answer();
				continue;
			}
			if (pid == 0)
				session(memlock);
			int st;
			while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
				;
			line_have = 0; /* requests the child did not read belong to the dead session */
			if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
				status("R 0\n");
			else if (WIFSIGNALED(st))
				status("X signal-%d\n", WTERMSIG(st));
			else
				status("X exit-%d\n", WEXITSTATUS(st));
		} else if (op && !strcmp(op, "P")) {
			status("R 0\n");
		} else if (op && !strcmp(op, "G")) {
			run_program(p);
		} else if (op && !strcmp(op, "H")) { /* halt: the host is done */
			status("R 0\n");
			flush_answer();
			sync();
			reboot(RB_AUTOBOOT); /* -no-reboot makes QEMU exit */
		} else {
			status("E %x\n", EINVAL); /* no session: only B, G, P and H are served here */
		}
		flush_answer();
	}
	reboot(RB_AUTOBOOT);
	return 0;
}
