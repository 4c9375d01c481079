/*
 * ksefd_harness.c - runs the real ksefd binary for end-to-end tests.
 * ksefd prints "ksefd: listening on http://HOST:PORT/v2" on stdout once it
 * accepts connections; the harness reads that line through a pipe.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "testsupport.h"
#include "ksefd_harness.h"

/* KSEFD names another ksefd to run (tests/support/ksefd_pg.sh: the same
 * ksefd with its store in PostgreSQL); else the build's. */
static const char *ksefd_path(void)
{
	static char path[512];
	const char *dir = getenv("KSEF_BUILD_DIR");

	if (getenv("KSEFD") != NULL && *getenv("KSEFD") != '\0')
		return getenv("KSEFD");
	snprintf(path, sizeof(path), "%s/ksefd", dir ? dir : ".");
	return path;
}

void ksefd_start(struct ksefd_proc *p, const char *data_dir,
		 const char *const *extra)
{
	const char *argv[40];
	int fds[2], n = 0, i;
	char line[256];
	size_t got = 0;
	time_t until = time(NULL) + (getenv("KSEFD_WRAPPER") ? 300 : 20);

	if (data_dir == NULL) {
		char *d = ts_mkdtemp();

		snprintf(p->data_dir, sizeof(p->data_dir), "%s", d);
		free(d);
		p->own_dir = 1;
	} else if (data_dir != p->data_dir) {
		snprintf(p->data_dir, sizeof(p->data_dir), "%s", data_dir);
	}
	snprintf(p->log_path, sizeof(p->log_path), "%s/ksefd.log", p->data_dir);
	p->port = 0;
	p->console_port = 0;
	/* KSEFD_WRAPPER runs ksefd under a tool, e.g. valgrind: its words
	 * (space-separated) come first. */
	if (getenv("KSEFD_WRAPPER") != NULL) {
		static char wrap[512];
		char *save = NULL, *w;

		snprintf(wrap, sizeof(wrap), "%s", getenv("KSEFD_WRAPPER"));
		for (w = strtok_r(wrap, " ", &save); w && n < 20;
		     w = strtok_r(NULL, " ", &save))
			argv[n++] = w;
	}
	argv[n++] = ksefd_path();
	argv[n++] = "--data";
	argv[n++] = p->data_dir;
	argv[n++] = "--listen";
	argv[n++] = "127.0.0.1:0";
	for (i = 0; extra && extra[i] && n < 38; i++)
		argv[n++] = extra[i];
	argv[n] = NULL;
	assert_int_equal(pipe(fds), 0);
	p->pid = fork();
	assert_true(p->pid >= 0);
	if (p->pid == 0) {
		int log = open(p->log_path, O_WRONLY | O_CREAT | O_APPEND, 0600);

		dup2(fds[1], 1);
		if (log >= 0)
			dup2(log, 2);
		close(fds[0]);
		close(fds[1]);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	close(fds[1]);
	fcntl(fds[0], F_SETFL, O_NONBLOCK);
	while (time(NULL) < until) {
		ssize_t r = read(fds[0], line + got, sizeof(line) - 1 - got);
		char *nl;

		if (r > 0) {
			got += (size_t)r;
			line[got] = '\0';
			/* Each whole line: the console's (with --console)
			 * comes before the API's, which ends the wait. */
			while ((nl = strchr(line, '\n')) != NULL) {
				char *colon;

				*nl = '\0';
				colon = strrchr(line, ':');
				if (strstr(line, "console on") && colon)
					p->console_port = atoi(colon + 1);
				else if (strstr(line, "listening on") && colon)
					p->port = atoi(colon + 1);
				got -= (size_t)(nl + 1 - line);
				memmove(line, nl + 1, got + 1);
			}
			if (p->port > 0)
				break;
		} else if (r == 0) {
			break;
		} else if (errno != EAGAIN) {
			break;
		}
		nanosleep(&(struct timespec){ 0, 10000000L }, NULL);
	}
	close(fds[0]);
	if (p->port <= 0) {
		char cmd[400];

		snprintf(cmd, sizeof(cmd), "cat %s >&2", p->log_path);
		(void)!system(cmd);
		fail_msg("ksefd did not start");
	}
	snprintf(p->base_url, sizeof(p->base_url), "http://127.0.0.1:%d/v2",
		 p->port);
}

int ksefd_stop(struct ksefd_proc *p)
{
	int st = 0;

	if (p->pid <= 0)
		return -1;
	kill(p->pid, SIGTERM);
	/* Under a wrapper the shutdown takes longer; waitpid waits. */
	waitpid(p->pid, &st, 0);
	p->pid = 0;
	p->port = 0;
	st = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	if (st != 0) {
		/* The reason (a sanitizer's report, an abort) is in the log,
		 * which the clean-up removes: show its end. */
		char cmd[400];

		snprintf(cmd, sizeof(cmd), "tail -n 80 %s >&2", p->log_path);
		(void)!system(cmd);
	}
	return st;
}

void ksefd_kill9(struct ksefd_proc *p)
{
	int st;

	if (p->pid <= 0)
		return;
	kill(p->pid, SIGKILL);
	waitpid(p->pid, &st, 0);
	p->pid = 0;
	p->port = 0;
}

void ksefd_cleanup(struct ksefd_proc *p)
{
	if (p->own_dir && p->data_dir[0])
		ts_system("rm -rf '%s'", p->data_dir);
	p->data_dir[0] = '\0';
}

int ksefd_command(const struct ksefd_proc *p, const char *args, char *out,
		  size_t size)
{
	char cmd[2048];
	FILE *f;
	size_t n;
	int st;

	snprintf(cmd, sizeof(cmd), "%s %s --data '%s' 2>>'%s'", ksefd_path(),
		 args, p->data_dir, p->log_path);
	f = popen(cmd, "r");
	assert_non_null(f);
	n = fread(out, 1, size - 1, f);
	out[n] = '\0';
	st = pclose(f);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int ksefd_faults_set(const struct ksefd_proc *p, const char *json)
{
	char path[400], out[4096];
	FILE *f;
	int rc;

	if (json == NULL) {
		rc = ksefd_command(p, "faults clear", out, sizeof(out));
	} else {
		snprintf(path, sizeof(path), "%s/plan.json", p->data_dir);
		f = fopen(path, "w");
		assert_non_null(f);
		fputs(json, f);
		fclose(f);
		snprintf(out, sizeof(out), "faults set %s", path);
		rc = ksefd_command(p, out, out, sizeof(out));
	}
	nanosleep(&(struct timespec){ 0, 250000000L }, NULL);
	return rc;
}

void ksefd_token(const struct ksefd_proc *p, const char *nip,
		 const char *perms, char *out, size_t size)
{
	char args[256];
	size_t n;

	snprintf(args, sizeof(args), "token create --nip %s --permissions %s",
		 nip, perms);
	if (ksefd_command(p, args, out, size) != 0)
		fail_msg("ksefd token create failed");
	n = strlen(out);
	while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r'))
		out[--n] = '\0';
}
