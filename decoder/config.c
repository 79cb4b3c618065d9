/* SPDX-License-Identifier: BSD-2-Clause */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../proto/buf.h"
#include "../proto/ctl.h"
#include "../proto/file.h"
#include "../proto/log.h"
#include "../proto/num.h"
#include "../proto/proto.h"
#include "config.h"

void
dec_config_defaults(struct dec_config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->m1, sizeof(c->m1), "/var/lib/ptv/decoder/m1");
	snprintf(c->key, sizeof(c->key), "/var/lib/ptv/decoder/decoder.key");
	snprintf(c->socket, sizeof(c->socket), "/run/decoderd/decoderd.sock");
	snprintf(c->ecm_dir, sizeof(c->ecm_dir), "/var/lib/ptv/ecm");
	snprintf(c->emm_dir, sizeof(c->emm_dir), "/var/lib/ptv/emm");
	c->emm_interval = 30;
	c->export_interval = 3600;
	c->uplink_deadline = 60;
	c->first_contact = 1;
	c->first_contact_max = 60;
	snprintf(c->center_host, sizeof(c->center_host), "localhost");
	snprintf(c->center_port, sizeof(c->center_port), "7443");
	snprintf(c->ca, sizeof(c->ca), "/etc/ptv/ca.crt");
	snprintf(c->issuer, sizeof(c->issuer), "/etc/ptv/issuer.pub");
	c->log_level = PROTO_LOG_NOTICE;
}

static int
set_str(char *dst, size_t cap, const char *v)
{
	size_t n = strlen(v);

	if (n >= cap)
		return PROTO_ERR_TOOBIG;
	memcpy(dst, v, n + 1);
	return 0;
}

#define SECONDS_MAX (86400 * 366)

/* A time in whole seconds in [min, max]: "3600", "1h", "90s". */
static int
set_seconds_in(unsigned *dst, const char *v, unsigned min, unsigned max)
{
	uint64_t ms;
	int rc;

	if ((rc = proto_parse_duration(v, max * 1000ull, &ms)) != 0)
		return rc;
	if (ms % 1000 != 0 || ms / 1000 < min)
		return PROTO_ERR_RANGE;
	*dst = (unsigned)(ms / 1000);
	return 0;
}

/* A time in whole seconds, 0 allowed. */
static int
set_seconds(unsigned *dst, const char *v)
{
	return set_seconds_in(dst, v, 0, SECONDS_MAX);
}

/* yes or no */
static int
set_bool(int *dst, const char *v)
{
	if (strcmp(v, "yes") == 0)
		*dst = 1;
	else if (strcmp(v, "no") == 0)
		*dst = 0;
	else
		return PROTO_ERR_FORMAT;
	return 0;
}

/* host:port (n bytes at v), the port all digits, into host and port */
static int
set_host_port(char *host, size_t hcap, char *port, size_t pcap, const char *v,
    size_t n)
{
	const char *colon = NULL;
	unsigned p;
	size_t hl;

	for (size_t i = 0; i < n; i++)
		if (v[i] == ':')
			colon = v + i;
	if (colon == NULL || colon == v || colon + 1 == v + n ||
	    strspn(colon + 1, "0123456789") < (size_t)(v + n - colon - 1) ||
	    (size_t)(v + n - colon - 1) >= pcap)
		return PROTO_ERR_FORMAT;
	hl = (size_t)(colon - v);
	if (hl >= hcap)
		return PROTO_ERR_TOOBIG;
	memcpy(host, v, hl);
	host[hl] = '\0';
	memcpy(port, colon + 1, (size_t)(v + n - colon - 1));
	port[v + n - colon - 1] = '\0';
	return proto_parse_uint(port, 1, 65535, &p);
}

/* host:port[,host:port...]: the first center, then the others */
static int
set_center(struct dec_config *c, const char *v)
{
	struct dec_config t = *c;
	unsigned i = 0;
	int rc;

	t.n_more = 0;
	for (;;) {
		size_t n = strcspn(v, ",");
		char *host, *port;

		if (i == DEC_CENTERS_MAX)
			return PROTO_ERR_TOOBIG;
		host = i == 0 ? t.center_host : t.more[i - 1].host;
		port = i == 0 ? t.center_port : t.more[i - 1].port;
		if ((rc = set_host_port(host, sizeof(t.center_host), port,
			 sizeof(t.center_port), v, n)) != 0)
			return rc;
		t.n_more = i++;
		if (v[n] == '\0')
			break;
		v += n + 1;
	}
	*c = t;
	return 0;
}

int
dec_config_center(const struct dec_config *c, unsigned i, const char **host,
    const char **port)
{
	if (i > c->n_more)
		return PROTO_ERR_NOTFOUND;
	*host = i == 0 ? c->center_host : c->more[i - 1].host;
	*port = i == 0 ? c->center_port : c->more[i - 1].port;
	return 0;
}

int
dec_config_set(struct dec_config *c, const char *key, const char *v)
{
	if (strcmp(key, "reader") == 0)
		return set_str(c->reader, sizeof(c->reader), v);
	if (strcmp(key, "m1") == 0)
		return set_str(c->m1, sizeof(c->m1), v);
	if (strcmp(key, "key") == 0)
		return set_str(c->key, sizeof(c->key), v);
	if (strcmp(key, "socket") == 0)
		return set_str(c->socket, sizeof(c->socket), v);
	if (strcmp(key, "ecm_dir") == 0)
		return set_str(c->ecm_dir, sizeof(c->ecm_dir), v);
	if (strcmp(key, "emm_dir") == 0)
		return set_str(c->emm_dir, sizeof(c->emm_dir), v);
	if (strcmp(key, "emm_interval") == 0)
		return set_seconds(&c->emm_interval, v);
	if (strcmp(key, "ca") == 0)
		return set_str(c->ca, sizeof(c->ca), v);
	if (strcmp(key, "metrics_file") == 0)
		return set_str(c->metrics_file, sizeof(c->metrics_file), v);
	if (strcmp(key, "issuer") == 0)
		return set_str(c->issuer, sizeof(c->issuer), v);
	if (strcmp(key, "center") == 0)
		return set_center(c, v);
	if (strcmp(key, "uplink_interval") == 0)
		return set_seconds(&c->uplink_interval, v);
	if (strcmp(key, "uplink_deadline") == 0)
		return set_seconds_in(&c->uplink_deadline, v, 1,
		    DEC_UPLINK_DEADLINE_MAX);
	if (strcmp(key, "first_contact") == 0)
		return set_bool(&c->first_contact, v);
	if (strcmp(key, "first_contact_max") == 0)
		return set_seconds_in(&c->first_contact_max, v, 1,
		    DEC_CONTACT_MAX_MAX);
	if (strcmp(key, "log_level") == 0)
		return proto_log_level_parse(v, &c->log_level);
	if (strcmp(key, "export_interval") == 0)
		return set_seconds(&c->export_interval, v);
	if (strcmp(key, "usage_export_gap") == 0)
		return set_seconds(&c->usage_export_gap, v);
	return PROTO_ERR_NOTFOUND;
}

const char *
dec_config_expects(const char *key)
{
	static const struct {
		const char *key, *wants;
	} keys[] = {
		{ "reader", "a part of a reader's name" },
		{ "m1", "a file" },
		{ "key", "a file" },
		{ "socket", "a path" },
		{ "ecm_dir", "a directory" },
		{ "emm_dir", "a directory" },
		{ "emm_interval",
		    "a time, a number and a unit: " PROTO_DURATION_UNITS },
		{ "ca", "a file" },
		{ "metrics_file", "a file" },
		{ "issuer", "a file" },
		{ "center",
		    "host:port, or host:port,host:port,... (at most 4), "
		    "ports 1 to 65535" },
		{ "uplink_interval",
		    "a time, a number and a unit: " PROTO_DURATION_UNITS },
		{ "uplink_deadline", "a time from 1s to 1h" },
		{ "first_contact", "yes or no" },
		{ "first_contact_max", "a time from 1s to 1d" },
		{ "log_level", PROTO_LOG_LEVEL_NAMES },
		{ "export_interval",
		    "a time, a number and a unit: " PROTO_DURATION_UNITS },
		{ "usage_export_gap",
		    "a time, a number and a unit: " PROTO_DURATION_UNITS },
	};

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(key, keys[i].key) == 0)
			return keys[i].wants;
	return NULL;
}

/* Trim spaces and tabs at both ends, in place. */
static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

/* One line; on an error why (when not NULL) says what is wrong with it. */
static int
config_line(struct dec_config *c, const char *line, size_t n, char *why,
    size_t cap)
{
	char buf[PATH_MAX + 64], *eq, *hash, *key, *v;
	const char *wants;
	int rc;

	if (n >= sizeof(buf) || memchr(line, '\0', n) != NULL) {
		if (why != NULL)
			snprintf(why, cap, "too long, or holds a NUL byte");
		return PROTO_ERR_FORMAT;
	}
	memcpy(buf, line, n);
	buf[n] = '\0';
	if ((hash = strchr(buf, '#')) != NULL)
		*hash = '\0';
	if (*trim(buf) == '\0')
		return 0;
	if ((eq = strchr(buf, '=')) == NULL) {
		if (why != NULL)
			snprintf(why, cap, "not a \"key = value\" line");
		return PROTO_ERR_FORMAT;
	}
	*eq = '\0';
	key = trim(buf);
	v = trim(eq + 1);
	if ((rc = dec_config_set(c, key, v)) == 0 || why == NULL)
		return rc;
	if ((wants = dec_config_expects(key)) == NULL)
		snprintf(why, cap, "unknown configuration key \"%.64s\"", key);
	else
		snprintf(why, cap, "bad value for %s: \"%.200s\" (%s)", key, v,
		    wants);
	return rc;
}

int
dec_config_load(const char *path, struct dec_config *out, int *lineno)
{
	return dec_config_load_why(path, out, lineno, NULL, 0);
}

int
dec_config_load_why(const char *path, struct dec_config *out, int *lineno,
    char *why, size_t cap)
{
	struct dec_config c = *out;
	struct proto_rd r;
	uint8_t *buf = NULL;
	const char *line;
	size_t len = 0, n;
	int rc;

	*lineno = 0;
	if ((rc = proto_file_read(path, DEC_CONFIG_MAX, &buf, &len)) != 0)
		return rc;
	proto_rd_init(&r, buf, len);
	while (proto_rd_left(&r) > 0) {
		++*lineno;
		if (proto_ctl_next_line(&r, &line, &n) != 0) {
			/* a last line without LF */
			proto_rd_rest(&r, (const uint8_t **)&line, &n);
		}
		if ((rc = config_line(&c, line, n, why, cap)) != 0)
			goto out;
	}
	*out = c;
	*lineno = 0;
out:
	free(buf);
	return rc;
}
