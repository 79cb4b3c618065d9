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

/*
 * What OpenSSL's error queue says went wrong, as an error carrying its
 * cause (the first error queued: the later ones follow from it); the
 * queue is emptied.  dflt when the queue says nothing useful.
 */
static int
queued_err(int dflt)
{
	unsigned long e = ERR_peek_error();
	int rc = dflt;

	if (e != 0 && ERR_SYSTEM_ERROR(e))
		rc = proto_err_sys(ERR_GET_REASON(e));
	else if (e != 0 && ERR_GET_LIB(e) == ERR_LIB_SSL)
		rc = proto_err_tls(ERR_GET_REASON(e));
	ERR_clear_error();
	return rc;
}

/*
 * Why a TLS call on ssl returned ret: the peer's certificate refused (the
 * verification's reason), an alert or protocol error, the connection
 * closed or reset, a timeout (SO_RCVTIMEO, SO_SNDTIMEO).
 */
static int
ssl_fail(SSL *ssl, int ret)
{
	long v = SSL_get_verify_result(ssl);
	int saved = errno, kind = SSL_get_error(ssl, ret);

	if (v != X509_V_OK) {
		ERR_clear_error();
		return proto_err_x509(v);
	}
	if (kind == SSL_ERROR_ZERO_RETURN) {
		ERR_clear_error();
		return proto_err_sys(ECONNRESET);
	}
	if (kind == SSL_ERROR_SYSCALL && ERR_peek_error() == 0) {
		/* a timeout shows as EAGAIN on a socket with timeouts */
		if (saved == EAGAIN || saved == EWOULDBLOCK)
			saved = ETIMEDOUT;
		return proto_err_sys(saved != 0 ? saved : ECONNRESET);
	}
	if (kind == SSL_ERROR_WANT_READ || kind == SSL_ERROR_WANT_WRITE) {
		ERR_clear_error();
		return proto_err_sys(ETIMEDOUT);
	}
	return queued_err(PROTO_ERR_IO);
}

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
		/* a missing file: its errno; a key not matching: AUTH */
		return queued_err(PROTO_ERR_AUTH);
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
		/* a missing or unreadable file: its errno; no certificate in
		 * it: NOTFOUND */
		rc = queued_err(PROTO_ERR_NOTFOUND);
		return proto_err_is_io(rc) ? rc : PROTO_ERR_NOTFOUND;
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
		return proto_err_sys(errno);
	return 0;
}

/*
 * The SNI extension: SSL_set_tlsext_host_name is a macro that casts its
 * name to void *, so it gets a copy rather than our const string.
 */
static int
set_server_name(SSL *ssl, const char *host)
{
	char name[256];
	size_t n = strlen(host);

	if (n >= sizeof(name))
		return 0;
	memcpy(name, host, n + 1);
	return (int)SSL_set_tlsext_host_name(ssl, name);
}

static int
tcp_connect(const char *host, const char *port, int timeout_ms, int *out)
{
	struct addrinfo hints, *res = NULL;
	int fd = -1, rc, last = ECONNREFUSED;

	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0)
		return rc == EAI_SYSTEM ? proto_err_sys(errno) :
					  proto_err_gai(rc);
	for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
		    ai->ai_protocol);
		if (fd < 0) {
			last = errno;
			continue;
		}
		/* SO_SNDTIMEO bounds connect() too on Linux. */
		if (proto_tls_timeouts(fd, timeout_ms) == 0 &&
		    connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		/* the last address's reason is the one told */
		last =
		    errno == EINPROGRESS || errno == EAGAIN ? ETIMEDOUT : errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		return proto_err_sys(last);
	*out = fd;
	return 0;
}

int
proto_tls_connect(SSL_CTX *ctx, const char *host, const char *port,
    int timeout_ms, SSL **out, int *fdp)
{
	SSL *ssl = NULL;
	int fd = -1, rc, ret;

	if ((rc = tcp_connect(host, port, timeout_ms, &fd)) != 0)
		return rc;
	if ((ssl = SSL_new(ctx)) == NULL || SSL_set_fd(ssl, fd) != 1 ||
	    set_server_name(ssl, host) != 1 || SSL_set1_host(ssl, host) != 1) {
		rc = queued_err(PROTO_ERR_CRYPTO);
		goto fail;
	}
	if ((ret = SSL_connect(ssl)) != 1) {
		rc = ssl_fail(ssl, ret);
		goto fail;
	}
	*out = ssl;
	*fdp = fd;
	return 0;
fail:
	SSL_free(ssl);
	close(fd);
	return rc;
}

int
proto_tls_read_full(SSL *ssl, void *buf, size_t n)
{
	uint8_t *p = buf;
	size_t got;
	int ret;

	while (n > 0) {
		if ((ret = SSL_read_ex(ssl, p, n, &got)) != 1)
			return ssl_fail(ssl, ret);
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
	int ret;

	while (n > 0) {
		if ((ret = SSL_write_ex(ssl, p, n, &put)) != 1)
			return ssl_fail(ssl, ret);
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
