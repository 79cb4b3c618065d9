/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * TLS 1.3 over OpenSSL for the uplink, and frame I/O on a TLS stream.
 * Sockets are blocking with send and receive timeouts (the idle limit);
 * an SSL* is used by one thread at a time.
 *
 * Failures carry their cause (proto.h): a file's or a socket's errno
 * (ENOENT, ECONNREFUSED, ETIMEDOUT for a timeout, ECONNRESET for a peer
 * that closed), a host name that does not resolve (PROTO_ERR_GAI), why
 * the peer's certificate was refused (PROTO_ERR_X509: expired, unknown
 * CA, host name mismatch), the TLS alert or protocol error (PROTO_ERR_TLS);
 * proto_strerror() says which.  OpenSSL's error queue is left empty.
 */
#ifndef PROTO_TLS_H
#define PROTO_TLS_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/ssl.h>

/* The certificate chain and key files; a key not matching the
 * certificate is PROTO_ERR_AUTH. */
int proto_tls_server_ctx(const char *cert, const char *key, SSL_CTX **out);
/* Verify the peer against ca (PROTO_ERR_NOTFOUND: no certificate in the
 * file); the name checked is host. */
int proto_tls_client_ctx(const char *ca, SSL_CTX **out);
/* Set send and receive timeouts on a socket. */
int proto_tls_timeouts(int fd, int ms);
/* Connect to host:port within timeout_ms and run the handshake. */
int proto_tls_connect(SSL_CTX *ctx, const char *host, const char *port,
    int timeout_ms, SSL **ssl, int *fd);

int proto_tls_read_full(SSL *ssl, void *buf, size_t n);
int proto_tls_write_all(SSL *ssl, const void *buf, size_t n);
/* Read one uplink frame: its type and body (at most cap bytes). */
int proto_tls_read_frame(SSL *ssl, uint8_t *type, uint8_t *body, size_t cap,
    size_t *len);

#endif
