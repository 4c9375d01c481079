/*
 * iofault.c - a fault-injection library for the end-to-end tests, loaded
 * into ksefd with LD_PRELOAD: while a trigger file exists, every write to
 * the files whose path starts with a given prefix fails with a chosen
 * errno, as it would on a store that was remounted read-only (EROFS) or
 * whose disk fails (EIO). Everything else ksefd writes (sockets, its log,
 * its lock file) passes through untouched, and so does every read.
 *
 * It wraps what SQLite's unix VFS calls to change a file (Debian's
 * libsqlite3 imports open64, pwrite64, write, fdatasync, ftruncate64 and
 * unlink) and their siblings (open, openat, pwrite, writev, fsync,
 * ftruncate), each found with dlsym(RTLD_NEXT). Writes through a shared
 * mapping (SQLite's -shm file) cannot be caught this way: they go on, as
 * they would on a real failing disk whose page cache still holds them.
 *
 * The environment of the process chooses:
 *   IOFAULT_PREFIX   the files, by absolute path prefix (as given, or
 *                    with the real path of its folder): DATA/ksefd.sqlite3
 *                    is the store and its -wal, -shm and -journal files;
 *   IOFAULT_TRIGGER  the file whose existence turns the faults on;
 *   IOFAULT_ERRNO    EROFS, EIO, ENOSPC or a number (EIO if unset);
 *   IOFAULT_OPS      which calls fail, a comma-separated list of write
 *                    (write, pwrite, writev), sync (fsync, fdatasync),
 *                    truncate, open and unlink; all of them if unset.
 *                    "sync" alone is a disk that takes the data but
 *                    cannot make it durable.
 *   IOFAULT_READ_DELAY_MS  with "read" in IOFAULT_OPS (never by default),
 *                    every pread of the files first sleeps this long (100
 *                    if unset) and then succeeds: a disk that has to seek
 *                    for every page, with a page cache that keeps nothing.
 * Without IOFAULT_PREFIX and IOFAULT_TRIGGER nothing ever fails.
 *
 * With EROFS every open for writing fails, as on a read-only mount; with
 * another errno only an open that would create or truncate a file does.
 * Each injected failure is written to stderr as one "iofault:" line.
 *
 * A descriptor is matched to its file through /proc/self/fd at its first
 * write while faults are on; the answer is cached with the file's device
 * and inode, so that a descriptor number reused for another file (closed
 * by whatever means, fclose or dup2 included) is looked at again.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define IOFAULT_EXPORT __attribute__((visibility("default")))
/* Descriptors below this are cached; higher ones are looked up each time. */
#define IOFAULT_FDS 4096

enum match { M_UNKNOWN, M_YES, M_NO };

/* The kinds of call IOFAULT_OPS names. */
enum op {
	OP_WRITE = 1 << 0,
	OP_SYNC = 1 << 1,
	OP_TRUNCATE = 1 << 2,
	OP_OPEN = 1 << 3,
	OP_UNLINK = 1 << 4,
	OP_ALL = (1 << 5) - 1,
	OP_READ = 1 << 5          /* slowed, not failed; only when named */
};

struct fd_entry {
	dev_t dev;
	ino_t ino;
	enum match m;
};

static struct {
	ssize_t (*write)(int, const void *, size_t);
	ssize_t (*pwrite)(int, const void *, size_t, off_t);
	ssize_t (*pwrite64)(int, const void *, size_t, off64_t);
	ssize_t (*writev)(int, const struct iovec *, int);
	int (*fsync)(int);
	int (*fdatasync)(int);
	int (*ftruncate)(int, off_t);
	int (*ftruncate64)(int, off64_t);
	int (*open)(const char *, int, ...);
	int (*open64)(const char *, int, ...);
	int (*openat)(int, const char *, int, ...);
	int (*openat64)(int, const char *, int, ...);
	int (*unlink)(const char *);
	ssize_t (*pread)(int, void *, size_t, off_t);
	ssize_t (*pread64)(int, void *, size_t, off64_t);
} real;

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char prefix[PATH_MAX], raw_prefix[PATH_MAX];
static size_t prefix_len, raw_len;
static char trigger[PATH_MAX];
static int fault_errno = EIO;
static long read_delay_ms = 100;
static unsigned fault_ops = OP_ALL;
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct fd_entry cache[IOFAULT_FDS];

/* The real path of p's folder, then its last name: p need not exist, but
 * a folder reached through a symbolic link (/tmp on some systems) must
 * match what /proc/self/fd shows. */
static void canonical(char *out, size_t size, const char *p)
{
	char dir[PATH_MAX], real_dir[PATH_MAX];
	const char *slash = strrchr(p, '/');

	snprintf(out, size, "%s", p);
	if (slash == NULL || slash == p)
		return;
	snprintf(dir, sizeof(dir), "%.*s", (int)(slash - p), p);
	if (realpath(dir, real_dir) != NULL)
		snprintf(out, size, "%s%s", real_dir, slash);
}

static int errno_named(const char *s)
{
	static const struct { const char *name; int value; } names[] = {
		{ "EROFS", EROFS }, { "EIO", EIO }, { "ENOSPC", ENOSPC },
		{ "EDQUOT", EDQUOT }, { "EFBIG", EFBIG },
	};
	size_t i;
	long v;
	char *end;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(s, names[i].name) == 0)
			return names[i].value;
	v = strtol(s, &end, 10);
	return (*s != '\0' && *end == '\0' && v > 0 && v < 4096) ? (int)v
								 : EIO;
}

static unsigned ops_named(const char *s)
{
	static const struct { const char *name; unsigned op; } names[] = {
		{ "write", OP_WRITE }, { "sync", OP_SYNC },
		{ "truncate", OP_TRUNCATE }, { "open", OP_OPEN },
		{ "unlink", OP_UNLINK }, { "read", OP_READ },
	};
	unsigned ops = 0;
	size_t i, n;

	while (*s != '\0') {
		n = strcspn(s, ",");
		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			if (strlen(names[i].name) == n &&
			    strncmp(s, names[i].name, n) == 0)
				ops |= names[i].op;
		s += n;
		if (*s == ',')
			s++;
	}
	return ops;
}

static void init(void)
{
	const char *p = getenv("IOFAULT_PREFIX");
	const char *t = getenv("IOFAULT_TRIGGER");
	const char *e = getenv("IOFAULT_ERRNO");
	const char *o = getenv("IOFAULT_OPS");
	const char *d = getenv("IOFAULT_READ_DELAY_MS");

	real.write = (ssize_t (*)(int, const void *, size_t))
		dlsym(RTLD_NEXT, "write");
	real.pwrite = (ssize_t (*)(int, const void *, size_t, off_t))
		dlsym(RTLD_NEXT, "pwrite");
	real.pwrite64 = (ssize_t (*)(int, const void *, size_t, off64_t))
		dlsym(RTLD_NEXT, "pwrite64");
	real.writev = (ssize_t (*)(int, const struct iovec *, int))
		dlsym(RTLD_NEXT, "writev");
	real.fsync = (int (*)(int))dlsym(RTLD_NEXT, "fsync");
	real.fdatasync = (int (*)(int))dlsym(RTLD_NEXT, "fdatasync");
	real.ftruncate = (int (*)(int, off_t))dlsym(RTLD_NEXT, "ftruncate");
	real.ftruncate64 = (int (*)(int, off64_t))
		dlsym(RTLD_NEXT, "ftruncate64");
	real.open = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, "open");
	real.open64 = (int (*)(const char *, int, ...))
		dlsym(RTLD_NEXT, "open64");
	real.openat = (int (*)(int, const char *, int, ...))
		dlsym(RTLD_NEXT, "openat");
	real.openat64 = (int (*)(int, const char *, int, ...))
		dlsym(RTLD_NEXT, "openat64");
	real.unlink = (int (*)(const char *))dlsym(RTLD_NEXT, "unlink");
	real.pread = (ssize_t (*)(int, void *, size_t, off_t))
		dlsym(RTLD_NEXT, "pread");
	real.pread64 = (ssize_t (*)(int, void *, size_t, off64_t))
		dlsym(RTLD_NEXT, "pread64");
	if (p == NULL || *p == '\0' || t == NULL || *t == '\0')
		return;
	canonical(prefix, sizeof(prefix), p);
	prefix_len = strlen(prefix);
	snprintf(raw_prefix, sizeof(raw_prefix), "%s", p);
	raw_len = strlen(raw_prefix);
	snprintf(trigger, sizeof(trigger), "%s", t);
	if (e != NULL)
		fault_errno = errno_named(e);
	if (o != NULL)
		fault_ops = ops_named(o);
	if (d != NULL && atol(d) >= 0 && atol(d) <= 60000)
		read_delay_ms = atol(d);
}

static void setup(void)
{
	int saved = errno;

	pthread_once(&once, init);
	errno = saved;
}

/* Whether calls of this kind fail now: one access() per call, so that
 * the test turns them on and off between two requests. */
static int active(unsigned op)
{
	int saved = errno, on;

	setup();
	if (prefix_len == 0 || !(fault_ops & op))
		return 0;
	on = access(trigger, F_OK) == 0;
	errno = saved;
	return on;
}

/* The prefix as given, too: its folder may not have existed yet when it
 * was made canonical. */
static int path_matches(const char *abs)
{
	return strncmp(abs, prefix, prefix_len) == 0 ||
	       strncmp(abs, raw_prefix, raw_len) == 0;
}

/* Whether fd is open on one of the chosen files. */
static int fd_matches(int fd)
{
	char link[64], path[PATH_MAX];
	struct stat sb;
	ssize_t n;
	enum match m;
	int saved = errno;

	if (fd < 0 || fstat(fd, &sb) != 0) {
		errno = saved;
		return 0;
	}
	if (fd < IOFAULT_FDS) {
		pthread_mutex_lock(&cache_lock);
		m = cache[fd].m;
		if (m != M_UNKNOWN && (cache[fd].dev != sb.st_dev ||
				       cache[fd].ino != sb.st_ino))
			m = M_UNKNOWN;
		pthread_mutex_unlock(&cache_lock);
		if (m != M_UNKNOWN) {
			errno = saved;
			return m == M_YES;
		}
	}
	snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
	n = readlink(link, path, sizeof(path) - 1);
	m = M_NO;
	if (n > 0) {
		path[n] = '\0';
		if (path_matches(path))
			m = M_YES;
	}
	if (fd < IOFAULT_FDS) {
		pthread_mutex_lock(&cache_lock);
		cache[fd] = (struct fd_entry){ sb.st_dev, sb.st_ino, m };
		pthread_mutex_unlock(&cache_lock);
	}
	errno = saved;
	return m == M_YES;
}

static void report(const char *fn, const char *what)
{
	char line[PATH_MAX + 128];
	int n, saved = errno;

	n = snprintf(line, sizeof(line), "iofault: %s(%s): %s\n", fn, what,
		     strerrorname_np(fault_errno));
	if (n > 0 && real.write != NULL)
		(void)!real.write(2, line, (size_t)n < sizeof(line) ?
				  (size_t)n : sizeof(line) - 1);
	errno = saved;
}

/* Whether a call that changes fd must fail now; if so, errno is set. */
static int fd_fault(const char *fn, unsigned op, int fd)
{
	char what[32];

	if (!active(op) || !fd_matches(fd))
		return 0;
	snprintf(what, sizeof(what), "fd %d", fd);
	report(fn, what);
	errno = fault_errno;
	return 1;
}

/* The absolute form of a path given relative to dirfd. */
static void absolute(char *out, size_t size, int dirfd, const char *p)
{
	char link[64], dir[PATH_MAX];
	ssize_t n;

	if (p[0] == '/') {
		canonical(out, size, p);
		return;
	}
	if (dirfd == AT_FDCWD) {
		if (getcwd(dir, sizeof(dir)) == NULL)
			dir[0] = '\0';
	} else {
		snprintf(link, sizeof(link), "/proc/self/fd/%d", dirfd);
		n = readlink(link, dir, sizeof(dir) - 1);
		dir[n > 0 ? n : 0] = '\0';
	}
	snprintf(out, size, "%s/%s", dir, p);
}

/* Whether an open of p with these flags must fail now. Read-only opens
 * never fail; on a read-only file system any other open does; on a
 * failing disk, one that would create or truncate a file. */
static int open_fault(const char *fn, int dirfd, const char *p, int flags)
{
	char abs[PATH_MAX];
	int saved = errno, creates;

	if (p == NULL || ((flags & O_ACCMODE) == O_RDONLY &&
			  !(flags & (O_CREAT | O_TRUNC))) || !active(OP_OPEN))
		return 0;
	absolute(abs, sizeof(abs), dirfd, p);
	if (!path_matches(abs))
		return 0;
	creates = (flags & O_TRUNC) ||
		  ((flags & O_CREAT) && faccessat(dirfd, p, F_OK, 0) != 0);
	errno = saved;
	if (fault_errno != EROFS && !creates)
		return 0;
	report(fn, abs);
	errno = fault_errno;
	return 1;
}

/* The mode argument is there only when the flags create a file. */
#define OPEN_MODE(flags, last, mode)                                       \
	do {                                                               \
		va_list ap_;                                               \
		(mode) = 0;                                                \
		if ((flags) & O_CREAT ||                                   \
		    ((flags) & O_TMPFILE) == O_TMPFILE) {                  \
			va_start(ap_, last);                               \
			(mode) = (mode_t)va_arg(ap_, int);                 \
			va_end(ap_);                                       \
		}                                                          \
	} while (0)

IOFAULT_EXPORT int open(const char *p, int flags, ...)
{
	mode_t mode;

	OPEN_MODE(flags, flags, mode);
	setup();
	if (open_fault("open", AT_FDCWD, p, flags))
		return -1;
	return real.open(p, flags, mode);
}

IOFAULT_EXPORT int open64(const char *p, int flags, ...)
{
	mode_t mode;

	OPEN_MODE(flags, flags, mode);
	setup();
	if (open_fault("open64", AT_FDCWD, p, flags))
		return -1;
	return real.open64(p, flags, mode);
}

IOFAULT_EXPORT int openat(int dirfd, const char *p, int flags, ...)
{
	mode_t mode;

	OPEN_MODE(flags, flags, mode);
	setup();
	if (open_fault("openat", dirfd, p, flags))
		return -1;
	return real.openat(dirfd, p, flags, mode);
}

IOFAULT_EXPORT int openat64(int dirfd, const char *p, int flags, ...)
{
	mode_t mode;

	OPEN_MODE(flags, flags, mode);
	setup();
	if (open_fault("openat64", dirfd, p, flags))
		return -1;
	return real.openat64(dirfd, p, flags, mode);
}

IOFAULT_EXPORT ssize_t write(int fd, const void *buf, size_t n)
{
	setup();
	if (fd_fault("write", OP_WRITE, fd))
		return -1;
	return real.write(fd, buf, n);
}

IOFAULT_EXPORT ssize_t pwrite(int fd, const void *buf, size_t n, off_t off)
{
	setup();
	if (fd_fault("pwrite", OP_WRITE, fd))
		return -1;
	return real.pwrite(fd, buf, n, off);
}

IOFAULT_EXPORT ssize_t pwrite64(int fd, const void *buf, size_t n,
				off64_t off)
{
	setup();
	if (fd_fault("pwrite64", OP_WRITE, fd))
		return -1;
	return real.pwrite64(fd, buf, n, off);
}

IOFAULT_EXPORT ssize_t writev(int fd, const struct iovec *iov, int iovcnt)
{
	setup();
	if (fd_fault("writev", OP_WRITE, fd))
		return -1;
	return real.writev(fd, iov, iovcnt);
}

IOFAULT_EXPORT int fsync(int fd)
{
	setup();
	if (fd_fault("fsync", OP_SYNC, fd))
		return -1;
	return real.fsync(fd);
}

IOFAULT_EXPORT int fdatasync(int fd)
{
	setup();
	if (fd_fault("fdatasync", OP_SYNC, fd))
		return -1;
	return real.fdatasync(fd);
}

IOFAULT_EXPORT int ftruncate(int fd, off_t len)
{
	setup();
	if (fd_fault("ftruncate", OP_TRUNCATE, fd))
		return -1;
	return real.ftruncate(fd, len);
}

IOFAULT_EXPORT int ftruncate64(int fd, off64_t len)
{
	setup();
	if (fd_fault("ftruncate64", OP_TRUNCATE, fd))
		return -1;
	return real.ftruncate64(fd, len);
}

/* Whether removing p must fail now (p may be NULL: libc says why). */
static int unlink_fault(const char *p)
{
	char abs[PATH_MAX];

	if (p == NULL || !active(OP_UNLINK))
		return 0;
	absolute(abs, sizeof(abs), AT_FDCWD, p);
	if (!path_matches(abs))
		return 0;
	report("unlink", abs);
	errno = fault_errno;
	return 1;
}

IOFAULT_EXPORT int unlink(const char *p)
{
	setup();
	if (unlink_fault(p))
		return -1;
	return real.unlink(p);
}

/* A read of one of the files while "read" is on: late, never failed. */
static void read_delay(int fd)
{
	struct timespec ts;
	int saved;

	if (!active(OP_READ) || !fd_matches(fd))
		return;
	saved = errno;
	ts.tv_sec = read_delay_ms / 1000;
	ts.tv_nsec = (read_delay_ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
	errno = saved;
}

IOFAULT_EXPORT ssize_t pread(int fd, void *buf, size_t n, off_t off)
{
	setup();
	read_delay(fd);
	return real.pread(fd, buf, n, off);
}

IOFAULT_EXPORT ssize_t pread64(int fd, void *buf, size_t n, off64_t off)
{
	setup();
	read_delay(fd);
	return real.pread64(fd, buf, n, off);
}
