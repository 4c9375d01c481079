/*
 * proxy.c - owns --trusted-proxy: its networks and the reading of
 * X-Forwarded-For that they allow (proxy.h).
 */
#include "proxy.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

/* An address (v4 or v6) of text that may not be NUL-terminated. */
static int parse_addr(struct proxy_net *out, const char *s, size_t len)
{
	char buf[INET6_ADDRSTRLEN];

	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, buf, out->addr) == 1) {
		out->family = AF_INET;
		out->prefix = 32;
		return 0;
	}
	if (inet_pton(AF_INET6, buf, out->addr) == 1) {
		out->family = AF_INET6;
		out->prefix = 128;
		return 0;
	}
	return -1;
}

static int matches(const struct proxy_net *net, const struct proxy_net *a)
{
	int full = net->prefix / 8, rest = net->prefix % 8;

	if (net->family != a->family ||
	    memcmp(net->addr, a->addr, (size_t)full) != 0)
		return 0;
	return rest == 0 ||
	       ((net->addr[full] ^ a->addr[full]) & (0xff << (8 - rest))) == 0;
}

static int trusted(const struct proxies *p, const struct proxy_net *a)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (matches(&p->net[i], a))
			return 1;
	return 0;
}

int proxies_add(struct proxies *p, const char *list)
{
	struct proxies next = *p;
	const char *s = list, *end, *slash;

	if (list == NULL || *list == '\0')
		return -1;
	for (;;) {
		struct proxy_net net;
		size_t len;
		int i;

		end = strchr(s, ',');
		len = end ? (size_t)(end - s) : strlen(s);
		slash = memchr(s, '/', len);
		if (next.n == PROXY_MAX ||
		    parse_addr(&net, s, slash ? (size_t)(slash - s) : len))
			return -1;
		if (slash != NULL) {
			char *stop;
			long bits;

			if (slash + 1 == s + len || slash[1] < '0' ||
			    slash[1] > '9')
				return -1;
			bits = strtol(slash + 1, &stop, 10);
			if (stop != s + len || bits > net.prefix)
				return -1;
			net.prefix = (int)bits;
		}
		/* The host bits go, so that matching compares prefixes. */
		for (i = net.prefix; i < (net.family == AF_INET ? 32 : 128);
		     i++)
			net.addr[i / 8] &= (unsigned char)~(0x80 >> (i % 8));
		next.net[next.n++] = net;
		if (end == NULL)
			break;
		s = end + 1;
	}
	*p = next;
	return 0;
}

void proxies_client(const struct proxies *p, const char *peer,
		    const char *xff, char *out, size_t size)
{
	struct proxy_net a;
	const char *stop;
	char text[INET6_ADDRSTRLEN];

	if (size == 0)
		return;
	snprintf(out, size, "%s", peer);
	if (p == NULL || p->n == 0 || xff == NULL ||
	    parse_addr(&a, peer, strlen(peer)) != 0 || !trusted(p, &a))
		return;
	/* Right to left: each hop appended the address it saw. stop is
	 * where the entry to read ends (a comma, or the header's end). */
	stop = xff + strlen(xff);
	while (stop > xff) {
		const char *from = stop, *to = stop;

		while (from > xff && from[-1] != ',')
			from--;
		while (from < to && (*from == ' ' || *from == '\t'))
			from++;
		while (to > from && (to[-1] == ' ' || to[-1] == '\t'))
			to--;
		if (parse_addr(&a, from, (size_t)(to - from)) != 0 ||
		    inet_ntop(a.family, a.addr, text, sizeof(text)) == NULL)
			return; /* not an address: keep the last trusted hop */
		snprintf(out, size, "%s", text);
		if (!trusted(p, &a))
			return;
		while (stop > xff && stop[-1] != ',')
			stop--;
		if (stop > xff)
			stop--; /* onto the comma: the entry to the left ends here */
	}
}
