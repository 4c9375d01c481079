/*
 * notify.c - tells systemd how ksefd is doing (notify.h). It owns the
 * messages and the choice of when a failure to send matters: never. The
 * manager that asked for them notices a missing READY=1 by its start
 * timeout, and a server that answers requests must not stop over a
 * socket it was only asked to write to.
 */
#include <stdarg.h>
#include <stdio.h>
#include "notify.h"
#ifdef KSEF_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

/* The STATUS= line: short, as `systemctl status` shows one line. */
#define NOTIFY_STATUS_MAX 200

static void send_state(const char *state, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

static void send_state(const char *state, const char *fmt, va_list ap)
{
#ifdef KSEF_HAVE_SYSTEMD
	char status[NOTIFY_STATUS_MAX];

	vsnprintf(status, sizeof(status), fmt, ap);
	/* 0: keep $NOTIFY_SOCKET; ksefd starts no program that could
	 * inherit it. */
	(void)sd_notifyf(0, "%s\nSTATUS=%s", state, status);
#else
	(void)state;
	(void)fmt;
	(void)ap;
#endif
}

void notify_ready(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	send_state("READY=1", fmt, ap);
	va_end(ap);
}

void notify_stopping(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	send_state("STOPPING=1", fmt, ap);
	va_end(ap);
}
