/*
 * proc_stat.c - the server's CPU time and memory, read from /proc/PID
 * the way top does: utime + stime of /proc/PID/stat (every thread of the
 * process, in clock ticks) and VmRSS, VmHWM of /proc/PID/status. A
 * missing pid or an unreadable file leaves the sample marked not ok, and
 * the report says n/a rather than a made-up figure.
 */
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

void proc_sample(struct proc_sample *out, long pid)
{
	memset(out, 0, sizeof(*out));
	if (pid <= 0)
		return;
	out->ok = read_cpu(&out->cpu_s, pid) == 0 &&
		  read_mem(&out->rss_kb, &out->hwm_kb, pid) == 0;
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
}
