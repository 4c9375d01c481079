/*
 * client_batch_upload_test.c - the batch parts' PUTs (client_batch_upload.c)
 * against a small storage server of the test's own on a loopback port:
 * each part arrives whole with the headers its link names and no access
 * token; several are put at once but never more than asked; a 5xx or a
 * dropped connection is retried, a 4xx ends the upload with the part's
 * number and status and never its link.
 */
#define _GNU_SOURCE /* strcasestr, usleep */
#include "testsupport.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>
#include "ksef/ksef.h"
#include "client_batch_int.h"

#define PARTS 6
#define PART_BYTES 3000

/* The storage server: what it got, and what it answers. */
static struct {
	int fd;
	int port;
	pthread_t thread;
	pthread_mutex_t lock;
	int active, peak;
	int got[PARTS + 1];          /* whole bodies received a part */
	int fail_first[PARTS + 1];   /* answer this many 503s first */
	int drop_first[PARTS + 1];   /* close without answering first */
	int status[PARTS + 1];       /* then this (0: 201) */
	int bad_body[PARTS + 1];     /* a body not the part's bytes */
	int saw_token;               /* an Authorization header came */
	int missing_header;          /* x-ms-blob-type did not come */
} srv;

static unsigned char content[PARTS * PART_BYTES];

static void *handle(void *arg)
{
	int c = (int)(intptr_t)arg, n = 0, part = 0, status, counted = 1;
	char head[8192] = "", *body_at, *cl;
	size_t len = 0, want, have;
	unsigned char *body = NULL;
	ssize_t r;

	pthread_mutex_lock(&srv.lock);
	if (++srv.active > srv.peak)
		srv.peak = srv.active;
	pthread_mutex_unlock(&srv.lock);
	while (len < sizeof(head) - 1 &&
	       (r = read(c, head + len, sizeof(head) - 1 - len)) > 0) {
		len += (size_t)r;
		head[len] = '\0';
		if (strstr(head, "\r\n\r\n") != NULL)
			break;
	}
	body_at = strstr(head, "\r\n\r\n");
	cl = strcasestr(head, "\r\nContent-Length: ");
	if (body_at == NULL || cl == NULL ||
	    sscanf(head, "PUT /p/%d?", &part) != 1 || part < 1 || part > PARTS)
		goto out;
	want = (size_t)strtoul(cl + 18, NULL, 10);
	body_at += 4;
	have = len - (size_t)(body_at - head);
	body = malloc(want + 1);
	memcpy(body, body_at, have);
	while (have < want && (r = read(c, body + have, want - have)) > 0)
		have += (size_t)r;
	/* Slow enough for the puts to overlap. */
	usleep(30000);
	pthread_mutex_lock(&srv.lock);
	if (strcasestr(head, "\r\nAuthorization:") != NULL)
		srv.saw_token = 1;
	if (strstr(head, "\r\nx-ms-blob-type: BlockBlob\r\n") == NULL)
		srv.missing_header = 1;
	if (have != PART_BYTES || memcmp(body, content + (part - 1) *
					 PART_BYTES, PART_BYTES) != 0)
		srv.bad_body[part] = 1;
	if (srv.drop_first[part] > 0) {
		srv.drop_first[part]--;
		n = -1;
	} else if (srv.fail_first[part] > 0) {
		srv.fail_first[part]--;
		n = 503;
	} else {
		n = srv.status[part] ? srv.status[part] : 201;
		if (n == 201)
			srv.got[part]++;
	}
	/* No longer in flight once it is answered: the client may start
	 * the next put as soon as it reads the answer, before this thread
	 * would otherwise get to count this one out. */
	srv.active--;
	counted = 0;
	pthread_mutex_unlock(&srv.lock);
	if (n > 0) {
		status = n;
		snprintf(head, sizeof(head), "HTTP/1.1 %d X\r\nContent-Length:"
			 " 9\r\nConnection: close\r\n\r\nstorage!\n", status);
		if (write(c, head, strlen(head)) < 0)
			goto out;
	}
out:
	free(body);
	close(c);
	if (counted) {
		pthread_mutex_lock(&srv.lock);
		srv.active--;
		pthread_mutex_unlock(&srv.lock);
	}
	return NULL;
}

static void *acceptor(void *arg)
{
	pthread_t t;
	int c;

	(void)arg;
	while ((c = accept(srv.fd, NULL, NULL)) >= 0) {
		pthread_create(&t, NULL, handle, (void *)(intptr_t)c);
		pthread_detach(t);
	}
	return NULL;
}

static int setup(void **state)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	size_t i;

	(void)state;
	if (ksef_global_init() != 0)
		return -1;
	for (i = 0; i < sizeof(content); i++)
		content[i] = (unsigned char)(i * 7 + i / 251);
	pthread_mutex_init(&srv.lock, NULL);
	srv.fd = socket(AF_INET, SOCK_STREAM, 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(srv.fd, (struct sockaddr *)&a, sizeof(a)) != 0 ||
	    listen(srv.fd, 64) != 0 ||
	    getsockname(srv.fd, (struct sockaddr *)&a, &alen) != 0)
		return -1;
	srv.port = ntohs(a.sin_port);
	return pthread_create(&srv.thread, NULL, acceptor, NULL);
}

static int teardown(void **state)
{
	(void)state;
	shutdown(srv.fd, SHUT_RDWR);
	close(srv.fd);
	pthread_join(srv.thread, NULL);
	return 0;
}

static void reset(void)
{
	pthread_mutex_lock(&srv.lock);
	memset(srv.got, 0, sizeof(srv.got));
	memset(srv.fail_first, 0, sizeof(srv.fail_first));
	memset(srv.drop_first, 0, sizeof(srv.drop_first));
	memset(srv.status, 0, sizeof(srv.status));
	memset(srv.bad_body, 0, sizeof(srv.bad_body));
	srv.peak = 0;
	srv.saw_token = srv.missing_header = 0;
	pthread_mutex_unlock(&srv.lock);
}

/* Put the PARTS parts of `content` (in a file) to the server. */
static int upload(int parallel, ksef_error *err)
{
	static const char *const names[1] = { "x-ms-blob-type" };
	static const char *const values[1] = { "BlockBlob" };
	struct ksef__batch_part parts[PARTS];
	struct ksef__batch_upload ups[PARTS];
	struct ksef__batch_opened opened;
	ksef_client_options o = KSEF_CLIENT_OPTIONS_INIT;
	ksef_client *c = NULL;
	char urls[PARTS][128], path[512], *d = ts_mkdtemp();
	FILE *f;
	int fd, i, rc;

	snprintf(path, sizeof(path), "%s/parts", d);
	ts_write_file(path, content, sizeof(content));
	f = fopen(path, "rb");
	assert_non_null(f);
	fd = fileno(f);
	memset(&opened, 0, sizeof(opened));
	for (i = 0; i < PARTS; i++) {
		parts[i].offset = (int64_t)i * PART_BYTES;
		parts[i].plain_size = PART_BYTES - 16;
		parts[i].enc_size = PART_BYTES;
		snprintf(urls[i], sizeof(urls[i]), "http://127.0.0.1:%d/p/%d?"
			 "sig=SECRET", srv.port, i + 1);
		ups[i].ordinal = i + 1;
		ups[i].method = "PUT";
		ups[i].url = urls[i];
		ups[i].header_count = 1;
		ups[i].names = names;
		ups[i].values = values;
	}
	opened.uploads.items = (const unsigned char *)ups;
	opened.uploads.item_size = sizeof(ups[0]);
	opened.uploads.count = PARTS;
	o.base_url = "http://127.0.0.1:1/v2";
	o.max_retries = 2;
	o.retry_backoff_ms = 10;
	assert_int_equal(ksef_client_new(&c, &o, NULL), 0);
	assert_int_equal(ksef_client_set_access_token(c, "TOKEN", NULL), 0);
	rc = ksef__batch_upload_parts(c, fd, parts, PARTS, &opened, parallel,
				      err);
	ksef_client_free(c);
	fclose(f);
	ts_rmdir(d);
	return rc;
}

static void puts_every_part_whole_several_at_once(void **state)
{
	ksef_error err;
	int i;

	(void)state;
	reset();
	if (upload(3, &err) != 0)
		fail_msg("%s", err.message);
	for (i = 1; i <= PARTS; i++) {
		assert_int_equal(srv.got[i], 1);
		assert_int_equal(srv.bad_body[i], 0);
	}
	/* The link names the header; the access token stays home. */
	assert_int_equal(srv.missing_header, 0);
	assert_int_equal(srv.saw_token, 0);
	assert_true(srv.peak >= 2);
	assert_true(srv.peak <= 3);
}

static void puts_one_at_a_time_when_asked(void **state)
{
	(void)state;
	reset();
	assert_int_equal(upload(1, NULL), 0);
	assert_int_equal(srv.peak, 1);
}

static void retries_a_5xx_and_a_dropped_connection(void **state)
{
	int i;

	(void)state;
	reset();
	srv.fail_first[2] = 2;
	srv.drop_first[5] = 1;
	assert_int_equal(upload(4, NULL), 0);
	for (i = 1; i <= PARTS; i++)
		assert_int_equal(srv.got[i], 1);
	assert_int_equal(srv.fail_first[2], 0);
	assert_int_equal(srv.drop_first[5], 0);
}

static void gives_up_after_the_retries(void **state)
{
	ksef_error err;

	(void)state;
	reset();
	srv.fail_first[4] = 3; /* max_retries is 2 */
	assert_int_equal(upload(2, &err), KSEF_EHTTP);
	assert_non_null(strstr(err.message, "PUT part 4: HTTP 503"));
}

static void a_4xx_ends_the_upload_naming_the_part_not_its_link(void **state)
{
	ksef_error err;

	(void)state;
	reset();
	srv.status[3] = 403;
	assert_int_equal(upload(2, &err), KSEF_EHTTP);
	assert_non_null(strstr(err.message, "PUT part 3: HTTP 403"));
	assert_non_null(strstr(err.message, "storage!"));
	assert_null(strstr(err.message, "SECRET"));
	assert_null(strstr(err.message, "/p/"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(puts_every_part_whole_several_at_once),
		cmocka_unit_test(puts_one_at_a_time_when_asked),
		cmocka_unit_test(retries_a_5xx_and_a_dropped_connection),
		cmocka_unit_test(gives_up_after_the_retries),
		cmocka_unit_test(
			a_4xx_ends_the_upload_naming_the_part_not_its_link),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
