/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * centerctl init's TLS material: a local operator CA and the server's
 * certificate (for localhost and the host name given), as PEM files; and
 * the operator console's admin token.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "../center/console.h"
#include "../proto/buf.h"
#include "../proto/crypto.h"
#include "centerctl.h"

#define CERT_DAYS 3650

static int
write_pem(const char *dir, const char *name, EVP_PKEY *key, X509 *cert,
    mode_t mode)
{
	char path[PATH_MAX];
	FILE *f;
	int ok, fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode)) < 0 ||
	    (f = fdopen(fd, "w")) == NULL) {
		fprintf(stderr, "centerctl init: %s: %s\n", path,
		    strerror(errno));
		return 1;
	}
	ok = key != NULL ?
	    PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) :
	    PEM_write_X509(f, cert);
	if (fflush(f) != 0 || fsync(fileno(f)) != 0)
		ok = 0;
	if (fclose(f) != 0 || !ok) {
		fprintf(stderr, "centerctl init: cannot write %s\n", path);
		return 1;
	}
	return 0;
}

static int
add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX v;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx(&v, issuer, cert, NULL, NULL, 0);
	if ((ext = X509V3_EXT_conf_nid(NULL, &v, nid, value)) == NULL)
		return 0;
	ok = X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
	return ok;
}

static X509 *
make_cert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *ikey,
    long serial, int ca)
{
	X509 *c = X509_new();
	X509_NAME *n;
	char san[512];

	if (c == NULL)
		return NULL;
	if (strcmp(cn, "localhost") == 0)
		snprintf(san, sizeof(san), "DNS:localhost,IP:127.0.0.1,IP:::1");
	else
		snprintf(san, sizeof(san),
		    "DNS:localhost,IP:127.0.0.1,IP:::1,"
		    "DNS:%s",
		    cn);
	n = X509_get_subject_name(c);
	if (X509_set_version(c, 2) != 1 ||
	    ASN1_INTEGER_set(X509_get_serialNumber(c), serial) != 1 ||
	    X509_gmtime_adj(X509_getm_notBefore(c), -3600) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(c), 86400L * CERT_DAYS) ==
		NULL ||
	    X509_set_pubkey(c, key) != 1 ||
	    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
		(const unsigned char *)cn, -1, -1, 0) != 1 ||
	    X509_set_issuer_name(c,
		issuer != NULL ? X509_get_subject_name(issuer) : n) != 1)
		goto fail;
	if (ca ? !add_ext(c, c, NID_basic_constraints, "critical,CA:TRUE") ||
		    !add_ext(c, c, NID_key_usage,
			"critical,keyCertSign,cRLSign") :
		 !add_ext(c, issuer, NID_basic_constraints, "CA:FALSE") ||
		    !add_ext(c, issuer, NID_subject_alt_name, san) ||
		    !add_ext(c, issuer, NID_ext_key_usage, "serverAuth"))
		goto fail;
	if (X509_sign(c, ikey, EVP_sha256()) == 0)
		goto fail;
	return c;
fail:
	X509_free(c);
	return NULL;
}

int
ctl_tls_init(const char *dir, const char *name)
{
	EVP_PKEY *cak = NULL, *sk = NULL;
	X509 *ca = NULL, *srv = NULL;
	int rc = 1;

	if ((cak = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "prime256v1")) == NULL ||
	    (sk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "prime256v1")) == NULL ||
	    (ca = make_cert(cak, "ptv operator CA", NULL, cak, 1, 1)) == NULL ||
	    (srv = make_cert(sk, name, ca, cak, 2, 0)) == NULL) {
		fprintf(stderr,
		    "centerctl init: cannot make the certificates\n");
		goto out;
	}
	if (write_pem(dir, "ca.crt", NULL, ca, 0644) != 0 ||
	    write_pem(dir, "server.crt", NULL, srv, 0644) != 0 ||
	    write_pem(dir, "server.key", sk, NULL, 0600) != 0)
		goto out;
	rc = 0;
out:
	X509_free(ca);
	X509_free(srv);
	EVP_PKEY_free(cak);
	EVP_PKEY_free(sk);
	return rc;
}

int
ctl_token_init(const char *dir)
{
	uint8_t rnd[CGS_CONSOLE_TOKEN_LEN / 2];
	char path[PATH_MAX], hex[CGS_CONSOLE_TOKEN_LEN + 2];
	int fd, rc = 1;

	snprintf(path, sizeof(path), "%s/%s", dir, CGS_CONSOLE_TOKEN);
	if (proto_random(rnd, sizeof(rnd)) != 0) {
		fprintf(stderr, "centerctl init: no random bytes\n");
		return 1;
	}
	proto_hex(rnd, sizeof(rnd), hex);
	hex[CGS_CONSOLE_TOKEN_LEN] = '\n';
	hex[CGS_CONSOLE_TOKEN_LEN + 1] = '\0';
	if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0600)) < 0 ||
	    write(fd, hex, CGS_CONSOLE_TOKEN_LEN + 1) !=
		CGS_CONSOLE_TOKEN_LEN + 1 ||
	    fsync(fd) != 0) {
		fprintf(stderr, "centerctl init: %s: %s\n", path,
		    strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0 && close(fd) != 0 && rc == 0) {
		fprintf(stderr, "centerctl init: %s: %s\n", path,
		    strerror(errno));
		rc = 1;
	}
	proto_cleanse(rnd, sizeof(rnd));
	proto_cleanse(hex, sizeof(hex));
	return rc;
}
