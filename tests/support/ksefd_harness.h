/*
 * ksefd_harness.h - start the real ksefd for a test: a fresh data folder,
 * 127.0.0.1 port 0, the port read from its first line; stop it gracefully
 * or with SIGKILL; run its `token create` command.
 */
#ifndef KSEF_KSEFD_HARNESS_H
#define KSEF_KSEFD_HARNESS_H

#include <sys/types.h>

struct ksefd_proc {
	pid_t pid;
	int port;
	int console_port;       /* with --console: its port, else 0 */
	char data_dir[256];
	char base_url[128];     /* http://127.0.0.1:PORT/v2 */
	char log_path[300];     /* its stderr */
	int own_dir;            /* remove data_dir when done */
};

/*
 * Start ksefd with a new data folder (data_dir NULL) or an existing one,
 * and extra arguments (NULL-terminated list, may be NULL). Fails the test
 * if it does not come up within 20 s.
 */
void ksefd_start(struct ksefd_proc *p, const char *data_dir,
		 const char *const *extra);
/* SIGTERM and wait; returns its exit status. */
int ksefd_stop(struct ksefd_proc *p);
/* SIGKILL and wait: a crash, with nothing flushed. */
void ksefd_kill9(struct ksefd_proc *p);
/* Remove the data folder if the harness made it. */
void ksefd_cleanup(struct ksefd_proc *p);
/* `ksefd token create --nip NIP --permissions PERMS`: the token string
 * into out. */
void ksefd_token(const struct ksefd_proc *p, const char *nip,
		 const char *perms, char *out, size_t size);
/* Run `ksefd <args> --data DIR`, capturing stdout into out; returns the
 * exit status. */
int ksefd_command(const struct ksefd_proc *p, const char *args, char *out,
		  size_t size);
/* `ksefd faults set` of the plan json (written to <data>/plan.json), or
 * `ksefd faults clear` when json is NULL; returns the exit status. A
 * running ksefd takes the plan within 100 ms: this waits 250 ms. */
int ksefd_faults_set(const struct ksefd_proc *p, const char *json);

#endif
