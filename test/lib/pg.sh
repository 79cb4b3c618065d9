# SPDX-License-Identifier: BSD-2-Clause
# A private PostgreSQL server for one test (sourced):
#   pg_start          initdb into a new directory as an unprivileged user,
#                     listening only on a Unix socket in that directory;
#                     sets PG_DIR, PG_URL (postgresql://ptv@/ptv?host=PG_DIR);
#                     PG_MAX_CONNECTIONS (200), PG_MORE_OPTS: its settings
#   pg_url NAME       the URL of another database, created empty
#   pg_restart        stop it and start it again (connections are lost)
#   pg_stop           stop it (by its postmaster PID) and remove the directory
# Never touches a server the machine runs: no TCP, its own socket directory,
# its own data directory.  The server runs as PG_USER (default nobody).
PG_USER=${PG_USER:-nobody}
PG_DIR=
PG_URL=
PG_PID=

pg_bindir() {
	local d
	for d in /usr/lib/postgresql/*/bin; do
		[ -x "$d/initdb" ] && { echo "$d"; return 0; }
	done
	return 1
}

pg_as() {
	# from a directory the server user may enter
	(cd / && runuser -u "$PG_USER" -- "$@")
}

pg_start() {
	local bin
	bin=$(pg_bindir) || { echo "# pg: no initdb (package postgresql)"; return 1; }
	PG_DIR=$(mktemp -d /tmp/ptv-pg.XXXXXX)
	chown "$PG_USER" "$PG_DIR"
	chmod 0700 "$PG_DIR"
	if ! pg_as "$bin/initdb" -D "$PG_DIR/data" -U ptv --auth=trust \
	    -E UTF8 --locale=C.UTF-8 >"$PG_DIR/initdb.log" 2>&1; then
		echo "# pg: initdb failed"; sed 's/^/#   /' "$PG_DIR/initdb.log"
		return 1
	fi
	# the socket directory must be reachable by the test's clients (root)
	# and by the server; nothing listens on TCP.
	pg_as "$bin/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w \
	    -o "-c listen_addresses='' -c unix_socket_directories='$PG_DIR' \
	        -c fsync=on -c max_connections=${PG_MAX_CONNECTIONS:-200} \
	        -c shared_buffers=64MB ${PG_MORE_OPTS:-}" \
	    start >/dev/null || {
		echo "# pg: server did not start"; sed 's/^/#   /' "$PG_DIR/server.log"
		return 1
	}
	PG_PID=$(head -1 "$PG_DIR/data/postmaster.pid")
	pg_as "$bin/createdb" -h "$PG_DIR" -U ptv ptv || return 1
	PG_URL="postgresql://ptv@/ptv?host=$PG_DIR"
}

pg_url() {
	local bin
	bin=$(pg_bindir) || return 1
	pg_as "$bin/createdb" -h "$PG_DIR" -U ptv "$1" >/dev/null || return 1
	echo "postgresql://ptv@/$1?host=$PG_DIR"
}

pg_restart() {
	local bin
	bin=$(pg_bindir) || return 1
	pg_as "$bin/pg_ctl" -D "$PG_DIR/data" -m fast -w restart \
	    -l "$PG_DIR/server.log" >/dev/null || return 1
	PG_PID=$(head -1 "$PG_DIR/data/postmaster.pid")
}

pg_stop() {
	local bin
	[ -n "$PG_DIR" ] || return 0
	bin=$(pg_bindir)
	if [ -n "$PG_PID" ] && [ -f "$PG_DIR/data/postmaster.pid" ] &&
	    [ "$(head -1 "$PG_DIR/data/postmaster.pid")" = "$PG_PID" ]; then
		pg_as "$bin/pg_ctl" -D "$PG_DIR/data" -m immediate -w stop \
		    >/dev/null 2>&1 || kill -9 "$PG_PID" 2>/dev/null
	fi
	rm -rf "$PG_DIR"
	PG_DIR= PG_URL= PG_PID=
}
