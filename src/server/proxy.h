/*
 * proxy.h - the client's address behind balancers ksefd trusts
 * (--trusted-proxy). Behind a balancer every connection comes from the
 * balancer, so the per-address counters (the rate limits' keys, the read
 * gate's lanes, the challenge's clientIp, AllowedIps) would lump all
 * clients together. A trusted balancer passes the client's address in
 * X-Forwarded-For; nobody else is believed.
 */
#ifndef KSEFD_PROXY_H
#define KSEFD_PROXY_H

#include <stddef.h>

/** Most networks --trusted-proxy may name, in all. */
#define PROXY_MAX 16

struct proxy_net {
	int family;               /* AF_INET or AF_INET6 */
	unsigned char addr[16];   /* network byte order, host bits cleared */
	int prefix;               /* bits that must match */
};

struct proxies {
	struct proxy_net net[PROXY_MAX];
	size_t n;
};

/*
 * Add a comma-separated list of addresses or networks ("10.0.0.5",
 * "10.89.0.0/24", "fd00::/8", "::1") to p. 0, or -1 for an entry that is
 * neither, a prefix out of range, or more than PROXY_MAX in all (p is then
 * unchanged).
 */
int proxies_add(struct proxies *p, const char *list);

/*
 * The address a request counts as from: `peer`, the connection's (text,
 * as inet_ntop writes it), unless p trusts it; then the rightmost address
 * of `xff` (the X-Forwarded-For header, NULL if absent) that p does not
 * trust, walking left over trusted ones. An entry that is not an address
 * ends the walk at the last trusted hop: what a client wrote to the left
 * of a balancer's entry is never believed. Written to out, always
 * NUL-terminated.
 */
void proxies_client(const struct proxies *p, const char *peer,
		    const char *xff, char *out, size_t size);

#endif
