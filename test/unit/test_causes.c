/* SPDX-License-Identifier: BSD-2-Clause */
#define _POSIX_C_SOURCE 200809L
/*
 * Errors that name their real cause (issue 11): a system call's errno
 * carried in the error value through proto's file, socket and key
 * functions; a TLS handshake refused for its real reason (an expired
 * certificate, an unknown CA, a host name that does not match), a port
 * nobody listens on, a host that does not resolve, a missing CA file.
 * And the two small parsers the daemons' command lines share (durations,
 * log levels), and the log line's two shapes (a date, or journald's
 * priority prefix).
 */
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "../../proto/ctl.h"
#include "../../proto/file.h"
#include "../../proto/keydir.h"
#include "../../proto/log.h"
#include "../../proto/num.h"
#include "../../proto/proto.h"
#include "../../proto/tls.h"

/* --- the error values ------------------------------------------------ */

static void
sys_errors_carry_errno(void **state)
{
	(void)state;
	assert_int_equal(proto_err_errno(proto_err_sys(EACCES)), EACCES);
	assert_int_equal(proto_err_errno(proto_err_sys(EROFS)), EROFS);
	assert_string_equal(proto_strerror(proto_err_sys(ECONNREFUSED)),
	    "Connection refused");
	assert_string_equal(proto_strerror(proto_err_sys(EROFS)),
	    "Read-only file system");
	assert_true(proto_err_is_io(proto_err_sys(EACCES)));
	assert_true(proto_err_is_io(PROTO_ERR_IO));
	/* no errno: the plain value, never a success */
	assert_int_equal(proto_err_sys(0), PROTO_ERR_IO);
	/* the enum's own values carry none */
	assert_int_equal(proto_err_errno(PROTO_ERR_AUTH), 0);
	assert_false(proto_err_is_io(PROTO_ERR_AUTH));
	assert_string_equal(proto_strerror(PROTO_ERR_AUTH),
	    "authentication failed");
	assert_string_equal(proto_strerror(
				proto_err_x509(X509_V_ERR_CERT_HAS_EXPIRED)),
	    "certificate has expired");
}

static void
file_errors_name_errno(void **state)
{
	char dir[] = "/tmp/ptv-causes.XXXXXX", path[64];
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/no/such/file", dir);
	rc = proto_file_replace(path, "x", 1, 0600);
	assert_int_equal(proto_err_errno(rc), ENOENT);
	/* a directory where a file is wanted */
	rc = proto_file_read(dir, 64, &buf, &len);
	assert_int_equal(proto_err_errno(rc), EISDIR);
	assert_null(buf);
	/* absent stays "not found", which callers test for */
	snprintf(path, sizeof(path), "%s/absent", dir);
	assert_int_equal(proto_file_read(path, 64, &buf, &len),
	    PROTO_ERR_NOTFOUND);
	/* a key directory that cannot be made: its parent is a file */
	snprintf(path, sizeof(path), "%s/f", dir);
	assert_int_equal(proto_file_replace(path, "x", 1, 0600), 0);
	snprintf(path, sizeof(path), "%s/f/keys", dir);
	rc = proto_keydir_create(path, NULL);
	assert_int_equal(proto_err_errno(rc), ENOTDIR);
	snprintf(path, sizeof(path), "%s/f", dir);
	unlink(path);
	rmdir(dir);
}

static void
ctl_errors_name_errno(void **state)
{
	char *reply = NULL;
	size_t len = 0;
	int rc;

	(void)state;
	/* a socket path in a directory that does not exist */
	rc = proto_ctl_listen("/tmp/ptv-causes-none/x/ctl.sock", &(int){ 0 });
	assert_int_equal(proto_err_errno(rc), ENOENT);
	/* nobody there: "not found", what the tools say "not running" for */
	assert_int_equal(proto_ctl_call("/tmp/ptv-causes-none.sock", "status",
			     1000, &reply, &len),
	    PROTO_ERR_NOTFOUND);
}

/* --- TLS ------------------------------------------------------------- */

struct pki {
	char dir[32];
	char ca[64], other_ca[64];
	char good[64], good_key[64], expired[64], wrong_host[64];
};

static EVP_PKEY *
key_new(void)
{
	return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "prime256v1");
}

static int
ext(X509 *c, X509 *issuer, int nid, const char *v)
{
	X509V3_CTX x;
	X509_EXTENSION *e;
	int ok;

	X509V3_set_ctx(&x, issuer, c, NULL, NULL, 0);
	if ((e = X509V3_EXT_conf_nid(NULL, &x, nid, v)) == NULL)
		return 0;
	ok = X509_add_ext(c, e, -1);
	X509_EXTENSION_free(e);
	return ok;
}

/* A certificate for key, issued by (issuer, ikey) or self-signed, valid
 * from `from` to `to` seconds from now, for DNS name san (NULL: a CA). */
static X509 *
cert_new(const char *cn, EVP_PKEY *key, X509 *issuer, EVP_PKEY *ikey, long from,
    long to, const char *san)
{
	X509 *c = X509_new();
	X509_NAME *n = X509_get_subject_name(c);

	assert_non_null(c);
	assert_int_equal(X509_set_version(c, 2), 1);
	assert_int_equal(ASN1_INTEGER_set(X509_get_serialNumber(c), 7), 1);
	assert_non_null(X509_gmtime_adj(X509_getm_notBefore(c), from));
	assert_non_null(X509_gmtime_adj(X509_getm_notAfter(c), to));
	assert_int_equal(X509_set_pubkey(c, key), 1);
	assert_int_equal(X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
			     (const unsigned char *)cn, -1, -1, 0),
	    1);
	assert_int_equal(X509_set_issuer_name(c,
			     X509_get_subject_name(issuer ? issuer : c)),
	    1);
	if (san == NULL)
		assert_true(
		    ext(c, c, NID_basic_constraints, "critical,CA:TRUE"));
	else
		assert_true(ext(c, issuer, NID_subject_alt_name, san));
	assert_true(X509_sign(c, ikey, EVP_sha256()) > 0);
	return c;
}

static void
pem_out(const char *path, X509 *c, EVP_PKEY *k)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(c != NULL ?
		PEM_write_X509(f, c) :
		PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL),
	    1);
	assert_int_equal(fclose(f), 0);
}

static void
pki_make(struct pki *p)
{
	EVP_PKEY *cak = key_new(), *ok = key_new(), *sk = key_new();
	X509 *ca, *oca, *good, *exp, *wrong;

	snprintf(p->dir, sizeof(p->dir), "/tmp/ptv-pki.XXXXXX");
	assert_non_null(mkdtemp(p->dir));
	snprintf(p->ca, sizeof(p->ca), "%s/ca.crt", p->dir);
	snprintf(p->other_ca, sizeof(p->other_ca), "%s/other.crt", p->dir);
	snprintf(p->good, sizeof(p->good), "%s/good.crt", p->dir);
	snprintf(p->good_key, sizeof(p->good_key), "%s/good.key", p->dir);
	snprintf(p->expired, sizeof(p->expired), "%s/expired.crt", p->dir);
	snprintf(p->wrong_host, sizeof(p->wrong_host), "%s/wrong.crt", p->dir);
	ca = cert_new("ca", cak, NULL, cak, -86400, 86400, NULL);
	oca = cert_new("other ca", ok, NULL, ok, -86400, 86400, NULL);
	good = cert_new("leaf", sk, ca, cak, -3600, 86400, "DNS:localhost");
	exp = cert_new("leaf", sk, ca, cak, -7200, -3600, "DNS:localhost");
	wrong =
	    cert_new("leaf", sk, ca, cak, -3600, 86400, "DNS:center.example");
	pem_out(p->ca, ca, NULL);
	pem_out(p->other_ca, oca, NULL);
	pem_out(p->good, good, NULL);
	pem_out(p->good_key, NULL, sk);
	pem_out(p->expired, exp, NULL);
	pem_out(p->wrong_host, wrong, NULL);
	X509_free(ca);
	X509_free(oca);
	X509_free(good);
	X509_free(exp);
	X509_free(wrong);
	EVP_PKEY_free(cak);
	EVP_PKEY_free(ok);
	EVP_PKEY_free(sk);
}

static void
pki_remove(struct pki *p)
{
	const char *files[] = { p->ca, p->other_ca, p->good, p->good_key,
		p->expired, p->wrong_host };

	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		unlink(files[i]);
	rmdir(p->dir);
}

/* A server that runs one handshake on each connection, then closes. */
struct server {
	SSL_CTX *ctx;
	int fd;
	char port[8];
	pthread_t th;
};

static void *
serve(void *arg)
{
	struct server *s = arg;
	int c;

	while ((c = accept(s->fd, NULL, NULL)) >= 0) {
		SSL *ssl = SSL_new(s->ctx);

		if (ssl != NULL && SSL_set_fd(ssl, c) == 1)
			(void)SSL_accept(ssl);
		SSL_free(ssl);
		close(c);
	}
	return NULL;
}

static void
server_start(struct server *s, const char *cert, const char *key)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t n = sizeof(a);

	assert_int_equal(proto_tls_server_ctx(cert, key, &s->ctx), 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true((s->fd = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
	assert_int_equal(bind(s->fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(s->fd, 4), 0);
	assert_int_equal(getsockname(s->fd, (struct sockaddr *)&a, &n), 0);
	snprintf(s->port, sizeof(s->port), "%u", ntohs(a.sin_port));
	assert_int_equal(pthread_create(&s->th, NULL, serve, s), 0);
}

static void
server_stop(struct server *s)
{
	shutdown(s->fd, SHUT_RDWR);
	pthread_join(s->th, NULL);
	close(s->fd);
	SSL_CTX_free(s->ctx);
}

/* Connect to the server verifying against ca for host: the error. */
static int
handshake(const struct server *s, const char *ca, const char *host)
{
	SSL_CTX *ctx = NULL;
	SSL *ssl = NULL;
	int fd = -1, rc;

	assert_int_equal(proto_tls_client_ctx(ca, &ctx), 0);
	rc = proto_tls_connect(ctx, host, s->port, 5000, &ssl, &fd);
	if (rc == 0) {
		SSL_free(ssl);
		close(fd);
	}
	SSL_CTX_free(ctx);
	return rc;
}

static void
tls_failures_say_why(void **state)
{
	struct pki p;
	struct server good, expired, wrong;
	SSL_CTX *ctx = NULL;
	int rc;

	(void)state;
	pki_make(&p);
	server_start(&good, p.good, p.good_key);
	server_start(&expired, p.expired, p.good_key);
	server_start(&wrong, p.wrong_host, p.good_key);
	assert_int_equal(handshake(&good, p.ca, "localhost"), 0);
	assert_string_equal(proto_strerror(
				handshake(&expired, p.ca, "localhost")),
	    "certificate has expired");
	rc = handshake(&good, p.other_ca, "localhost");
	assert_int_equal(rc,
	    proto_err_x509(X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY));
	assert_string_equal(proto_strerror(rc),
	    "unable to get local issuer certificate");
	assert_string_equal(proto_strerror(
				handshake(&wrong, p.ca, "localhost")),
	    "hostname mismatch");
	/* nobody listening, a host that does not resolve */
	server_stop(&expired);
	rc = handshake(&expired, p.ca, "localhost");
	assert_int_equal(proto_err_errno(rc), ECONNREFUSED);
	rc = handshake(&good, p.ca, "no-such-host.invalid");
	assert_true(rc < PROTO_ERR_GAI && rc > PROTO_ERR_X509);
	/* a CA file that is not there */
	rc = proto_tls_client_ctx("/tmp/ptv-causes-none.crt", &ctx);
	assert_int_equal(proto_err_errno(rc), ENOENT);
	assert_null(ctx);
	/* a server certificate whose key is not its own */
	rc = proto_tls_server_ctx(p.ca, p.good_key, &ctx);
	assert_int_not_equal(rc, 0);
	assert_null(ctx);
	server_stop(&good);
	server_stop(&wrong);
	pki_remove(&p);
}

/* --- what the daemons' command lines share --------------------------- */

static void
durations(void **state)
{
	static const struct {
		const char *s;
		int rc;
		uint64_t ms;
	} cases[] = {
		{ "0", 0, 0 },
		{ "10", 0, 10000 },
		{ "10s", 0, 10000 },
		{ "500ms", 0, 500 },
		{ "5min", 0, 300000 },
		{ "1h", 0, 3600000 },
		{ "2d", 0, 172800000 },
		{ "", PROTO_ERR_FORMAT, 0 },
		{ "s", PROTO_ERR_FORMAT, 0 },
		{ "10m", PROTO_ERR_FORMAT, 0 },
		{ "10 s", PROTO_ERR_FORMAT, 0 },
		{ "-1", PROTO_ERR_FORMAT, 0 },
		{ "1x", PROTO_ERR_FORMAT, 0 },
		{ "3d", PROTO_ERR_RANGE, 0 },
		{ "99999999999999999999999h", PROTO_ERR_RANGE, 0 },
	};
	uint64_t ms;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ms = 77;
		assert_int_equal(proto_parse_duration(cases[i].s,
				     2 * 86400000ULL, &ms),
		    cases[i].rc);
		assert_int_equal(ms, cases[i].rc == 0 ? cases[i].ms : 77);
	}
}

/* What proto_log writes to stderr, captured through a file. */
static void
log_capture(const char *journal, char *out, size_t cap)
{
	char path[] = "/tmp/ptv-log.XXXXXX";
	int fd = mkstemp(path), saved = dup(STDERR_FILENO);
	struct stat st;
	char env[64];
	ssize_t n;

	assert_true(fd >= 0 && saved >= 0);
	assert_int_equal(fstat(fd, &st), 0);
	if (journal != NULL) {
		snprintf(env, sizeof(env), "%s", journal);
		if (strcmp(journal, "self") == 0)
			snprintf(env, sizeof(env), "%llu:%llu",
			    (unsigned long long)st.st_dev,
			    (unsigned long long)st.st_ino);
		setenv("JOURNAL_STREAM", env, 1);
	} else {
		unsetenv("JOURNAL_STREAM");
	}
	assert_int_equal(dup2(fd, STDERR_FILENO), STDERR_FILENO);
	proto_log_init("ptvtest", 0, PROTO_LOG_INFO);
	proto_log(PROTO_LOG_WARNING, "%s: the line", "fn");
	proto_log(PROTO_LOG_DEBUG, "below the level");
	fflush(stderr);
	assert_int_equal(dup2(saved, STDERR_FILENO), STDERR_FILENO);
	close(saved);
	n = pread(fd, out, cap - 1, 0);
	assert_true(n > 0);
	out[n] = '\0';
	close(fd);
	unlink(path);
	unsetenv("JOURNAL_STREAM");
}

static void
log_lines(void **state)
{
	char line[256];
	int level = 0;

	(void)state;
	/* a terminal or a file: the date, the program, the level */
	log_capture(NULL, line, sizeof(line));
	assert_true(line[4] == '-' && line[10] == 'T' && line[23] == 'Z');
	assert_memory_equal(line + 24, " ptvtest[", 9);
	assert_non_null(strstr(line, "]: warning: fn: the line\n"));
	/* the journal: its priority prefix, nothing journald adds itself */
	log_capture("self", line, sizeof(line));
	assert_string_equal(line, "<4>fn: the line\n");
	/* $JOURNAL_STREAM naming another stream: standard error was
	 * redirected since, so it is not the journal */
	log_capture("1:2", line, sizeof(line));
	assert_int_equal(line[0], '2');
	assert_int_equal(proto_log_level_parse("warning", &level), 0);
	assert_int_equal(level, PROTO_LOG_WARNING);
	assert_int_equal(proto_log_level_parse("warn", &level), PROTO_ERR_ARG);
	assert_int_equal(level, PROTO_LOG_WARNING);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sys_errors_carry_errno),
		cmocka_unit_test(file_errors_name_errno),
		cmocka_unit_test(ctl_errors_name_errno),
		cmocka_unit_test(tls_failures_say_why),
		cmocka_unit_test(durations),
		cmocka_unit_test(log_lines),
	};

	/* As the daemons (proto_signals_init): the server thread's
	 * SSL_accept writes to clients that hung up on a refused
	 * certificate, which must be EPIPE, not the end of the test. */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
