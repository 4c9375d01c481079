/*
 * proc_stat.c - the server's CPU time and memory, read from /proc/PID
 * the way top does: utime + stime of /proc/PID/stat (every thread of the
 * process, in clock ticks) and VmRSS, VmHWM of /proc/PID/status. A
 * missing pid or an unreadable file leaves the sample marked not ok, and
 * the report says n/a rather than a made-up figure. With several nodes
 * the figures are their sums; with a database (PostgreSQL), its CPU is
 * that of the postmaster and its children, read the same way.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "load.h"

static int read_cpu(double *out, long pid)
{
	char path[64], buf[1024], *p;
	unsigned long long utime, stime;
	long tck = sysconf(_SC_CLK_TCK);
	size_t n;
	FILE *f;
	int i;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* The command name in parentheses may hold spaces and ')': the
	 * fields are counted from the last ')'. After it comes field 3
	 * (state); utime and stime are fields 14 and 15. */
	p = strrchr(buf, ')');
	if (p == NULL || tck <= 0)
		return -1;
	p++;
	for (i = 3; i < 14; i++) {
		p = strchr(p + 1, ' ');
		if (p == NULL)
			return -1;
	}
	if (sscanf(p, " %llu %llu", &utime, &stime) != 2)
		return -1;
	*out = (double)(utime + stime) / (double)tck;
	return 0;
}

static int read_mem(long *rss_kb, long *hwm_kb, long pid)
{
	char path[64], line[256];
	int found = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/status", pid);
	f = fopen(path, "r");
	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "VmRSS:", 6) == 0)
			found += sscanf(line + 6, "%ld", rss_kb) == 1;
		else if (strncmp(line, "VmHWM:", 6) == 0)
			found += sscanf(line + 6, "%ld", hwm_kb) == 1;
	}
	fclose(f);
	return found == 2 ? 0 : -1;
}

/* What proc_watch() named. */
#define WATCH_MAX 16
static long watched[WATCH_MAX];
static size_t nwatched;
static long db_parent;

int proc_watch(const char *pids, long db_pid)
{
	const char *p = pids;
	char *end;
	long v;

	nwatched = 0;
	db_parent = db_pid > 0 ? db_pid : 0;
	while (p != NULL && *p != '\0') {
		v = strtol(p, &end, 10);
		if (end == p || v <= 0 || nwatched == WATCH_MAX ||
		    (*end != ',' && *end != '\0'))
			return -1;
		watched[nwatched++] = v;
		p = *end == ',' ? end + 1 : end;
	}
	return 0;
}

/* The parent of pid (field 4 of /proc/PID/stat), or -1. */
static long parent_of(long pid)
{
	char path[64], buf[512], *p;
	long ppid;
	size_t n;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%ld/stat", pid);
	if ((f = fopen(path, "r")) == NULL)
		return -1;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 1, " %*c %ld", &ppid) != 1)
		return -1;
	return ppid;
}

/* The CPU of the postmaster and of every process it started that is
 * alive now: its backends (one a connection, each node keeps its own),
 * the WAL writer, the checkpointer. A backend that ends within a phase
 * takes what it spent with it; the nodes keep theirs open. */
static int read_db_cpu(double *out)
{
	struct dirent *d;
	DIR *dir = opendir("/proc");
	double sum = 0, c;
	long pid;

	if (dir == NULL)
		return -1;
	while ((d = readdir(dir)) != NULL) {
		if (d->d_name[0] < '1' || d->d_name[0] > '9')
			continue;
		pid = strtol(d->d_name, NULL, 10);
		if ((pid == db_parent || parent_of(pid) == db_parent) &&
		    read_cpu(&c, pid) == 0)
			sum += c;
	}
	closedir(dir);
	*out = sum;
	return 0;
}

void proc_sample(struct proc_sample *out, long pid)
{
	size_t i;
	double c;
	long rss, hwm;

	memset(out, 0, sizeof(*out));
	if (pid <= 0)
		return;
	if (nwatched == 0) {
		watched[0] = pid;
		nwatched = 1;
	}
	out->ok = 1;
	for (i = 0; i < nwatched && out->ok; i++) {
		out->ok = read_cpu(&c, watched[i]) == 0 &&
			  read_mem(&rss, &hwm, watched[i]) == 0;
		out->cpu_s += c;
		out->rss_kb += rss;
		out->hwm_kb += hwm;
	}
	if (db_parent > 0)
		out->db_ok = read_db_cpu(&out->db_cpu_s) == 0;
}

void server_use_between(struct server_use *out,
			const struct proc_sample *before,
			const struct proc_sample *after, size_t invoices)
{
	memset(out, 0, sizeof(*out));
	if (!before->ok || !after->ok)
		return;
	out->ok = 1;
	out->cpu_s = after->cpu_s - before->cpu_s;
	out->cpu_us_per_inv = invoices ? out->cpu_s * 1e6 / invoices : 0;
	out->rss_kb = after->rss_kb;
	out->hwm_kb = after->hwm_kb;
	if (before->db_ok && after->db_ok) {
		out->db_ok = 1;
		out->db_cpu_s = after->db_cpu_s - before->db_cpu_s;
		out->db_us_per_inv = invoices ? out->db_cpu_s * 1e6 /
						invoices : 0;
	}
}
