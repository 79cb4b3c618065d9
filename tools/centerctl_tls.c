/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * centerctl init's TLS material: a local operator CA (its key kept,
 * 0600) and the server's certificate (for localhost and the host name
 * given), as PEM files; centerctl cert makes a new server key and
 * certificate with the kept CA.  Each file is replaced whole.  And the
 * operator console's admin token.
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "../center/console.h"
#include "../proto/buf.h"
#include "../proto/crypto.h"
#include "../proto/file.h"
#include "../proto/proto.h"
#include "centerctl.h"

#define CERT_DAYS 3650

/* dir/name into path; non-zero (said) if it does not fit. */
static int
file_path(const char *who, const char *dir, const char *name, char *path,
    size_t cap)
{
	if ((size_t)snprintf(path, cap, "%s/%s", dir, name) < cap)
		return 0;
	fprintf(stderr, "%s: path too long: %s/%s\n", who, dir, name);
	return 1;
}

/* A key (NULL: cert) as PEM, replacing dir/name whole (proto_file_replace:
 * the old file or the new one after a crash, never a mix). */
static int
write_pem(const char *who, const char *dir, const char *name, EVP_PKEY *key,
    X509 *cert, mode_t mode)
{
	char path[PATH_MAX], *data;
	BIO *b;
	long n;
	int rc = 1, r;

	if (file_path(who, dir, name, path, sizeof(path)) != 0)
		return 1;
	/* keys in the secure heap's BIO: wiped when freed */
	if ((b = BIO_new(key != NULL ? BIO_s_secmem() : BIO_s_mem())) == NULL ||
	    (key != NULL ? PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL,
			       NULL) :
			   PEM_write_bio_X509(b, cert)) != 1 ||
	    (n = BIO_get_mem_data(b, &data)) <= 0) {
		fprintf(stderr, "%s: cannot encode %s\n", who, path);
		goto out;
	}
	if ((r = proto_file_replace(path, data, (size_t)n, mode)) != 0) {
		fprintf(stderr, "%s: cannot write %s: %s\n", who, path,
		    proto_strerror(r));
		goto out;
	}
	rc = 0;
out:
	BIO_free(b);
	return rc;
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

/* A random positive serial of 159 bits (RFC 5280: at most 20 octets), so
 * that a renewed certificate never repeats one. */
static int
set_serial(X509 *c)
{
	BIGNUM *bn = BN_new();
	int ok = bn != NULL &&
	    BN_rand(bn, 159, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) == 1 &&
	    BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(c)) != NULL;

	BN_free(bn);
	return ok;
}

/* An address literal (a decoder checks it against an IP: name) or a
 * host name (DNS:)? */
static int
is_ip(const char *name)
{
	unsigned char a[sizeof(struct in6_addr)];

	return inet_pton(AF_INET, name, a) == 1 ||
	    inet_pton(AF_INET6, name, a) == 1;
}

static X509 *
make_cert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *ikey, int ca)
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
		    "%s:%s",
		    is_ip(cn) ? "IP" : "DNS", cn);
	n = X509_get_subject_name(c);
	if (X509_set_version(c, 2) != 1 || !set_serial(c) ||
	    X509_gmtime_adj(X509_getm_notBefore(c), -3600) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(c), 86400L * CERT_DAYS) ==
		NULL ||
	    X509_set_pubkey(c, key) != 1 ||
	    X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
		(const unsigned char *)cn, -1, -1, 0) != 1 ||
	    X509_set_issuer_name(c,
		issuer != NULL ? X509_get_subject_name(issuer) : n) != 1)
		goto fail;
	/* key identifiers: a decoder holding another CA is told so
	 * (unable to get the issuer), not "signature failure"; an older CA
	 * without one still signs (keyid, not keyid:always) */
	if (!add_ext(c, c, NID_subject_key_identifier, "hash") ||
	    !add_ext(c, ca ? c : issuer, NID_authority_key_identifier, "keyid"))
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

/* A new server key and its certificate for name (and localhost), signed
 * by the CA, written as server.key (0600) and server.crt. */
static int
make_server(const char *who, const char *dir, const char *name, X509 *ca,
    EVP_PKEY *cak)
{
	EVP_PKEY *sk = NULL;
	X509 *srv = NULL;
	int rc = 1;

	if ((sk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "prime256v1")) == NULL ||
	    (srv = make_cert(sk, name, ca, cak, 0)) == NULL) {
		fprintf(stderr, "%s: cannot make the server certificate\n",
		    who);
		goto out;
	}
	if (write_pem(who, dir, "server.key", sk, NULL, 0600) != 0 ||
	    write_pem(who, dir, "server.crt", NULL, srv, 0644) != 0)
		goto out;
	rc = 0;
out:
	X509_free(srv);
	EVP_PKEY_free(sk);
	return rc;
}

int
ctl_tls_init(const char *dir, const char *name)
{
	const char *who = "centerctl init";
	EVP_PKEY *cak = NULL;
	X509 *ca = NULL;
	uint8_t rnd[4];
	char cn[32], hex[2 * sizeof(rnd) + 1];
	int rc = 1;

	/* a subject of its own: two operators' (or two inits') CAs differ */
	if (proto_random(rnd, sizeof(rnd)) != 0) {
		fprintf(stderr, "%s: no random bytes\n", who);
		return 1;
	}
	proto_hex(rnd, sizeof(rnd), hex);
	snprintf(cn, sizeof(cn), "ptv operator CA %s", hex);
	if ((cak = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "prime256v1")) == NULL ||
	    (ca = make_cert(cak, cn, NULL, cak, 1)) == NULL) {
		fprintf(stderr, "%s: cannot make the CA\n", who);
		goto out;
	}
	/* the CA key is kept (0600): centerctl cert renews with it */
	if (write_pem(who, dir, "ca.key", cak, NULL, 0600) != 0 ||
	    write_pem(who, dir, "ca.crt", NULL, ca, 0644) != 0 ||
	    make_server(who, dir, name, ca, cak) != 0)
		goto out;
	rc = 0;
out:
	X509_free(ca);
	EVP_PKEY_free(cak);
	return rc;
}

/* dir/name's PEM key (cert NULL) or certificate, said if it cannot be. */
static int
read_pem(const char *who, const char *dir, const char *name, EVP_PKEY **key,
    X509 **cert)
{
	char path[PATH_MAX];
	FILE *f;

	if (file_path(who, dir, name, path, sizeof(path)) != 0)
		return 1;
	if ((f = fopen(path, "r")) == NULL) {
		fprintf(stderr, "%s: %s: %s%s\n", who, path, strerror(errno),
		    errno == ENOENT && key != NULL ?
			" (a key directory made before centerctl kept its CA "
			"key: make a new one with centerctl init)" :
			"");
		return 1;
	}
	if (key != NULL)
		*key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	else
		*cert = PEM_read_X509(f, NULL, NULL, NULL);
	(void)fclose(f);
	if (key != NULL ? *key == NULL : *cert == NULL) {
		fprintf(stderr, "%s: %s: not a PEM %s\n", who, path,
		    key != NULL ? "private key" : "certificate");
		return 1;
	}
	return 0;
}

int
ctl_tls_cert(const char *dir, const char *name)
{
	const char *who = "centerctl cert";
	EVP_PKEY *cak = NULL;
	X509 *ca = NULL;
	int rc = 1;

	if (read_pem(who, dir, "ca.key", &cak, NULL) != 0 ||
	    read_pem(who, dir, "ca.crt", NULL, &ca) != 0)
		goto out;
	if (X509_check_private_key(ca, cak) != 1) {
		fprintf(stderr, "%s: %s/ca.key is not the key of %s/ca.crt\n",
		    who, dir, dir);
		goto out;
	}
	rc = make_server(who, dir, name, ca, cak);
out:
	X509_free(ca);
	EVP_PKEY_free(cak);
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
