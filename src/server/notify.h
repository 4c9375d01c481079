/*
 * notify.h - ksefd's state for a service manager: systemd's readiness
 * protocol (sd_notify(3), a unit of Type=notify). READY=1 is sent once
 * the server answers requests, and STOPPING=1 when a shutdown begins, each
 * with a one-line STATUS= that `systemctl status` shows. Without
 * $NOTIFY_SOCKET (not started by systemd), or in a build without
 * libsystemd (KSEF_WITH_SYSTEMD=OFF), nothing is sent.
 */
#ifndef KSEFD_NOTIFY_H
#define KSEFD_NOTIFY_H

/* READY=1 and STATUS= the formatted text. */
void notify_ready(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* STOPPING=1 and STATUS= the formatted text. */
void notify_stopping(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

#endif
