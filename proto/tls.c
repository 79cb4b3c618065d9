/* SPDX-License-Identifier: BSD-2-Clause */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <netdb.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/x509v3.h>

#include "proto.h"
#include "tls.h"
#include "uplink.h"

static int
ctx_new(const SSL_METHOD *m, SSL_CTX **out)
{
	SSL_CTX *c;

	if ((c = SSL_CTX_new(m)) == NULL)
		return PROTO_ERR_CRYPTO;
	if (SSL_CTX_set_min_proto_version(c, TLS1_3_VERSION) != 1) {
		SSL_CTX_free(c);
		return PROTO_ERR_CRYPTO;
	}
	*out = c;
	return 0;
}

int
proto_tls_server_ctx(const char *cert, const char *key, SSL_CTX **out)
{
	SSL_CTX *c;
	int rc;

	if ((rc = ctx_new(TLS_server_method(), &c)) != 0)
		return rc;
	if (SSL_CTX_use_certificate_chain_file(c, cert) != 1 ||
	    SSL_CTX_use_PrivateKey_file(c, key, SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(c) != 1) {
		SSL_CTX_free(c);
		return PROTO_ERR_AUTH;
	}
	*out = c;
	return 0;
}

int
proto_tls_client_ctx(const char *ca, SSL_CTX **out)
{
	SSL_CTX *c;
	int rc;

	if ((rc = ctx_new(TLS_client_method(), &c)) != 0)
		return rc;
	if (SSL_CTX_load_verify_locations(c, ca, NULL) != 1) {
		SSL_CTX_free(c);
		return PROTO_ERR_NOTFOUND;
	}
	SSL_CTX_set_verify(c, SSL_VERIFY_PEER, NULL);
	*out = c;
	return 0;
}

int
proto_tls_timeouts(int fd, int ms)
{
	struct timeval tv = { .tv_sec = ms / 1000,
		.tv_usec = (ms % 1000) * 1000 };

	if (setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) != 0)
		return PROTO_ERR_IO;
	return 0;
}

static int
tcp_connect(const char *host, const char *port, int timeout_ms, int *out)
{
	struct addrinfo hints, *res = NULL;
	int fd = -1;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, port, &hints, &res) != 0)
		return PROTO_ERR_NOTFOUND;
	for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    ai->ai_protocol);
		if (fd < 0)
			continue;
		/* SO_SNDTIMEO bounds connect() too on Linux. */
		if (proto_tls_timeouts(fd, timeout_ms) == 0 &&
		    connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		return PROTO_ERR_IO;
	*out = fd;
	return 0;
}

int
proto_tls_connect(SSL_CTX *ctx, const char *host, const char *port,
    int timeout_ms, SSL **out, int *fdp)
{
	SSL *ssl = NULL;
	int fd, rc;

	if ((rc = tcp_connect(host, port, timeout_ms, &fd)) != 0)
		return rc;
	rc = PROTO_ERR_AUTH;
	if ((ssl = SSL_new(ctx)) == NULL || SSL_set_fd(ssl, fd) != 1 ||
	    SSL_set_tlsext_host_name(ssl, host) != 1 ||
	    SSL_set1_host(ssl, host) != 1 || SSL_connect(ssl) != 1) {
		SSL_free(ssl);
		close(fd);
		ERR_clear_error();
		return rc;
	}
	*out = ssl;
	*fdp = fd;
	return 0;
}

int
proto_tls_read_full(SSL *ssl, void *buf, size_t n)
{
	uint8_t *p = buf;
	size_t got;

	while (n > 0) {
		if (SSL_read_ex(ssl, p, n, &got) != 1) {
			ERR_clear_error();
			return PROTO_ERR_IO;
		}
		p += got;
		n -= got;
	}
	return 0;
}

int
proto_tls_write_all(SSL *ssl, const void *buf, size_t n)
{
	const uint8_t *p = buf;
	size_t put;

	while (n > 0) {
		if (SSL_write_ex(ssl, p, n, &put) != 1) {
			ERR_clear_error();
			return PROTO_ERR_IO;
		}
		p += put;
		n -= put;
	}
	return 0;
}

int
proto_tls_read_frame(SSL *ssl, uint8_t *type, uint8_t *body, size_t cap,
    size_t *len)
{
	uint8_t hdr[PROTO_UPLINK_HDR_LEN];
	size_t n;
	int rc;

	if ((rc = proto_tls_read_full(ssl, hdr, sizeof(hdr))) != 0 ||
	    (rc = proto_up_header(hdr, type, &n)) != 0)
		return rc;
	if (n > cap)
		return PROTO_ERR_TOOBIG;
	if ((rc = proto_tls_read_full(ssl, body, n)) != 0)
		return rc;
	*len = n;
	return 0;
}
