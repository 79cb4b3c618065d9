#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The operator console (centerd -A) in a real headless browser, Debian's
# chromium, after the design brief's scenario through real pcscd + vpcd +
# vcard + decoderd: the overview shows SC1 retired and recovered, SC1's
# page its two films invoiced through SC2's session, a forged block's
# rejection with its reason, and markup stored in the database as text.
# The JSON API on the same data; no access without the token; /metrics
# parsed and checked against what the test did.  Screenshots of the
# overview and of SC1's page are kept in BUILD/test-artifacts/.
set -u
. "$(dirname "$0")/../lib/itest.sh" "$@"

. "$root/test/lib/center.sh"
require_tool chromium
require_tool curl

ADMIN=127.0.0.1:7444
URL=https://$ADMIN
art=$B/test-artifacts
mkdir -p "$art"
us() { "$B/test/uplink_send" localhost 7443 center/ca.crt "$@"; }

center_setup 2 || { not_ok "the center's keys and cards"; tap_done; exit 1; }
TOKEN=$(cat center/console.token)
check_eq "centerctl init makes the token, 0600" "600 64" \
	"$(stat -c %a center/console.token) ${#TOKEN}"
CENTERD_ARGS="-W $ADMIN" check "centerd starts with the console" \
	start_center
start_vcard sc1.img
check "decoderd starts" start_decoder
wait_for 10 is card present

# --- the scenario of the design brief ---------------------------------------
quietly "$dctl" uplink
wait_for 5 is locked no
buy 7 42
buy 8 43
wait_for 5 m1_has "${UA[1]}"
swap_to 2
check_match "the swap's uplink invoices SC1's two films" "invoiced +2" \
	"$("$dctl" uplink)"
wait_for 5 is locked no
quietly "$dctl" uplink
# a session with SC2's genuine block and a forged one (a bit flipped in
# SC2's export block), recorded; and one with only the forged block,
# counted and not recorded
blk=$(send $SEL 80400000000000 | tail -1 | cut -d' ' -f1)
b=${blk:120:2}
forged=${blk:0:120}$(printf '%02X' $((0x$b ^ 1)))${blk:122}
export PTV_UPLINK_CARD="$B/test/pcsc_send -r 'Virtual PCD 00 00' $SEL \
80420000000010{}0000"
check_match "a forged block beside a genuine one: rejected" \
	"result 1 bad signature" \
	"$(us session 00000000000000aa "${UA[2]}" "B:@" "R:$forged")"
check_match "a session of only the forged block" "result 0 bad signature" \
	"$(us session 00000000000000aa - "R:$forged")"

# markup in stored fields: a UA-shaped string in a block's reason (and in
# its count by reason, which the overview shows) and in an
# anomaly, as an attacker who got text into the database would write it
INJ='<b id="inj">1111111111111111</b><script>document.title="pwned"</script>'
sqlite3 center/center.db "INSERT INTO blocks (session_id, ua, seq, origin,
	status, reason, received_at) SELECT MAX(id), '${UA[1]}', 99,
	'recovered', 'rejected', '$INJ', strftime('%s','now') FROM sessions;
	INSERT INTO block_counts (shard, status, reason, n) VALUES (0,
	'rejected', '$INJ', 1);
	INSERT INTO flags (ua, session_id, what, at) VALUES ('${UA[1]}', 1,
	'<img id=\"inj2\" src=\"/x\">', strftime('%s','now'));"
recorded=$(sqlite3 center/center.db "SELECT COUNT(*) FROM sessions")

# --- access ---------------------------------------------------------------
code() { curl -s -o /dev/null -w '%{http_code}' --cacert center/ca.crt "$@"; }
api() { curl -sf --cacert center/ca.crt -H "Authorization: Bearer $TOKEN" \
	"$URL$1"; }
check_eq "the overview without the token: 401" 401 "$(code "$URL/")"
check_eq "the API without the token: 401" 401 "$(code "$URL/api/overview")"
check_eq "/metrics without the token: 401" 401 "$(code "$URL/metrics")"
case $TOKEN in *0) wrong=${TOKEN%?}1 ;; *) wrong=${TOKEN%?}0 ;; esac
check_eq "a wrong bearer token (its last digit changed): 401" 401 \
	"$(code -H "Authorization: Bearer $wrong" "$URL/api/overview")"
check_eq "a made-up cookie: 401" 401 \
	"$(code -b "ptv_console=$TOKEN" "$URL/api/overview")"
check_eq "a login with a wrong token: 401" 401 \
	"$(code "$URL/login?token=00$TOKEN")"
check_eq "the token as a bearer: 200" 200 \
	"$(code -H "Authorization: Bearer $TOKEN" "$URL/api/overview")"
check_eq "plain HTTP gets no page" 000 "$(code "http://$ADMIN/")"
check_match "the console is on the admin address only" "refused|000" \
	"$(code "https://127.0.0.1:7443/" 2>&1)"

# the login form: its POST sets the cookie (not the token), which opens
# the pages; a wrong token or a form too large is refused
hdr=$(curl -s -D - -o /dev/null --cacert center/ca.crt \
	--data "token=$TOKEN&next=/invoices" "$URL/login" | tr -d '\r')
check_match "the form's POST: 303 to where it was going" \
	"^HTTP/1.1 303 .*Location: /invoices" "$(printf '%s' "$hdr" | tr '\n' ' ')"
cookie=$(printf '%s\n' "$hdr" |
	sed -n 's/^Set-Cookie: ptv_console=\([0-9a-f]*\); .*HttpOnly.*/\1/p')
check_eq "the cookie opens the pages" 200 \
	"$(code -b "ptv_console=$cookie" "$URL/invoices")"
check "the cookie is not the token" test "${cookie:-$TOKEN}" != "$TOKEN"
check_eq "a wrong token in the form: 401" 401 \
	"$(code --data "token=00&next=/" "$URL/login")"
check_eq "a form too large: 413" 413 \
	"$(code --data "token=$(printf 'a%.0s' $(seq 1100))" "$URL/login")"
check_match "logging out clears the cookie" "ptv_console=; Path=/; Max-Age=0" \
	"$(curl -s -D - -o /dev/null --cacert center/ca.crt "$URL/logout")"

# --- the browser ------------------------------------------------------------
spki=$(openssl x509 -in center/server.crt -pubkey -noout |
	openssl pkey -pubin -outform der | openssl dgst -sha256 -binary |
	base64)
# browse MODE FILE PATH: chromium, a fresh profile, logged in by the token
# (trusting the center's own key), PATH's DOM into FILE (MODE dom) or its
# screenshot (png)
browse() {
	local prof what out
	prof=$(mktemp -d "$tmp/chromium.XXXXXX")
	case $1 in
	dom) what=--dump-dom out=$2 ;;
	png) what=--screenshot=$2 out=/dev/null ;;
	esac
	timeout 60 chromium --headless --no-sandbox --disable-gpu \
		--disable-quic --no-first-run --disable-background-networking \
		--disable-component-update --disable-sync \
		--user-data-dir="$prof" --ignore-certificate-errors-spki-list="$spki" \
		--window-size=1280,1400 "$what" \
		"$URL/login?token=$TOKEN&next=$3" >"$out" 2>>chromium.log
	local rc=$?
	rm -rf "$prof"
	return $rc
}
# the rows of table ID in an HTML file, one a line
rows() { tr -d '\n' <"$1" | grep -o "<table id=\"$2\">.*" |
	sed 's|</table>.*||; s|</tr>|&\n|g'; }

check "chromium loads the overview" browse dom overview.out /
ov=$(cat overview.out)
check_match "it is the overview, logged in by the token" \
	"<title>ptv center: Overview</title>" "$ov"
check_match "SC1 retired and recovered" \
	"/card/${UA[1]}\">${UA[1]}</a></td><td><span class=\"st st-retired-recovered\">retired-recovered<" \
	"$(rows overview.out cards)"
check_match "SC2 active" \
	"/card/${UA[2]}\">${UA[2]}</a></td><td><span class=\"st st-active\">active<" \
	"$(rows overview.out cards)"
check_match "the forged block rejected, with its reason" \
	"rejected</span></td><td>bad signature</td><td class=\"n\">1<" \
	"$(rows overview.out by-reason)"
check_match "the unrecorded session's block counted by reason" \
	"<td>bad signature</td><td class=\"n\">1<" \
	"$(rows overview.out unrecorded)"
check_match "the blocks' tiles" \
	"id=\"t-rejected\"><div>blocks rejected</div><div class=\"v\">2<" "$ov"
check_match "the ingest chart is drawn" "<svg id=\"ingest\".*<rect class=\"acc\"" \
	"$(tr -d '\n' <overview.out)"
check_match "markup in a stored reason is text" \
	'&lt;b id="inj"&gt;1111111111111111&lt;/b&gt;&lt;script&gt;' "$ov"
check "and no element of it is made" bash -c \
	"! grep -q '<b id=\"inj\"\\|<script' overview.out"

check "chromium loads SC1's page" browse dom card.out "/card/${UA[1]}"
check_match "SC1's page" "<title>ptv center: Card ${UA[1]}</title>" \
	"$(cat card.out)"
inv=$(rows card.out invoices | grep -c \
	"<a href=\"/card/${UA[2]}\">${UA[2]}</a></td><td>recovered<")
check_eq "its two films invoiced through SC2's session, as recovered" 2 \
	"$inv"
check_match "film 42 at 300" "<td class=\"n\">1</td><td class=\"n\">42</td><td class=\"n\">7</td><td class=\"n\">300<" \
	"$(rows card.out invoices)"
check_match "what was recovered, through SC2's session" \
	"<a href=\"/card/${UA[2]}\">${UA[2]}</a></td><td>[0-9a-f]{16}</td><td>[^<]*</td><td><span class=\"st st-accepted\">accepted</span></td><td>ok</td><td class=\"n\">2<" \
	"$(rows card.out recovered)"
check_match "its usage: credit left after 550" \
	"<th>credit</th><td>450</td>" "$(cat card.out)"
check_match "the injected reason is text on the card's page too" \
	'&lt;b id="inj"&gt;' "$(rows card.out blocks)"
check_match "the injected anomaly is text" '&lt;img id="inj2"' \
	"$(rows card.out anomalies)"
check "no element of either" bash -c \
	"! grep -q '<b id=\"inj\"\\|<img id=\"inj2\"\\|<script' card.out"

check "chromium loads a page of SC1's invoices" browse dom inv.out \
	"/invoices%3Fua%3D${UA[1]}%26per%3D1"
check_match "one of two, and a link to the next" \
	"<p id=\"pager\">1.1 of 2 <a rel=\"next\" href=\"/invoices\?ua=${UA[1]}&amp;page=2&amp;per=1\">next</a>" \
	"$(cat inv.out)"
check_eq "one row" 1 "$(rows inv.out invoices | grep -c "/card/${UA[2]}")"

check "a screenshot of the overview" browse png "$art/console-overview.png" /
check "a screenshot of SC1's page" browse png "$art/console-card.png" \
	"/card/${UA[1]}"
for f in console-overview.png console-card.png; do
	check_eq "$f is a PNG of 1280 x 1400" "89504e470d0a1a0a 0500 0578" \
		"$(od -An -tx1 -N8 "$art/$f" | tr -d ' \n') $(od -An -tx1 \
		-j18 -N2 "$art/$f" | tr -d ' \n') $(od -An -tx1 -j22 -N2 \
		"$art/$f" | tr -d ' \n')"
	echo "# screenshot: $art/$f"
done

# --- the JSON API on the same data -----------------------------------------
j=$(api "/api/card/${UA[1]}")
check_match "the API: SC1 retired-recovered" \
	"\"card\":\\{\"ua\":\"${UA[1]}\",\"status\":\"retired-recovered\"" "$j"
rec=$(printf '%s' "$j" | grep -o '"card":{[^}]*}')
check_match "the API: SC1's count of invoices, named as the tools name it" \
	'"invoiced":2,' "$rec"
check_eq "the API: no count named purchases (that is the list)" 0 \
	"$(printf '%s' "$rec" | grep -c '"purchases"')"
check_eq "the API: two invoices via SC2, recovered" 2 \
	"$(printf '%s' "$j" | grep -o "\"via\":\"${UA[2]}\",\"origin\":\"recovered\"" | wc -l)"
check_match "the API: the markup as the string it is" \
	'"reason":"<b id=\\"inj\\">1111111111111111</b><script>' "$j"
# a retired card's lock, one answer in centerctl card and the console:
# its newest block's.  The record as a first contact leaves it (locked,
# when the card had no present session after its unlock), the data from
# the unlocked copy the swap recovered
sqlite3 center/center.db "UPDATE cards SET locked = 1 WHERE ua = '${UA[1]}'"
lock_in() { printf '%s' "$1" | grep -o "\"$2\":{[^[}]*" |
	grep -o '"locked":[a-z]*' | cut -d: -f2; }
ctl=$("$cctl" card "${UA[1]}" --json)
j=$(api "/api/card/${UA[1]}")
check_eq "SC1 retired: centerctl card and the console say unlocked, card and data" \
	"false false false false" \
	"$(lock_in "$ctl" card) $(lock_in "$ctl" data) $(lock_in "$j" card) $(lock_in "$j" data)"
j=$(api "/api/invoices?ua=${UA[1]}&per=1&page=2")
check_match "invoices: a page of one, the second of two" \
	'"offset":1,"limit":1,"total":2,"rows":\[\{"ua":"1111111111111111","seq":1,' "$j"
check_match "invoices filtered by origin" '"total":0' \
	"$(api "/api/invoices?ua=${UA[1]}&origin=present")"
check_match "anomalies filtered by text" '"total":1,' \
	"$(api "/api/anomalies?q=inj2")"
check_match "cards filtered by status" \
	"\"total\":1,\"rows\":\\[\\{\"ua\":\"${UA[1]}\"" \
	"$(api "/api/cards?status=retired-recovered")"
check_eq "a bad filter: 400" 400 \
	"$(code -H "Authorization: Bearer $TOKEN" "$URL/api/cards?status=%3Cb%3E")"
check_eq "an unknown card: 404" 404 \
	"$(code -H "Authorization: Bearer $TOKEN" "$URL/api/card/9999999999999999")"
check_eq "the console is read-only" 405 \
	"$(code -X DELETE -H "Authorization: Bearer $TOKEN" "$URL/api/overview")"

# --- /metrics ----------------------------------------------------------------
m=$(api /metrics)
metric() { printf '%s\n' "$m" | awk -v k="$1" 'index($0, k " ") == 1 {
	print $NF }'; }
check_eq "sessions recorded, as the database holds them" "$recorded" \
	"$(metric 'ptv_center_sessions_total{outcome="recorded"}')"
check_eq "one session with no valid block" 1 \
	"$(metric 'ptv_center_sessions_total{outcome="no_valid_block"}')"
check_eq "two blocks rejected for their signature" 2 \
	"$(metric 'ptv_center_blocks_total{status="rejected",reason="bad signature"}')"
check_eq "every session's ingest timed" "$((recorded + 1))" \
	"$(metric ptv_center_ingest_seconds_count)"
check_eq "every recorded session's commit timed" "$recorded" \
	"$(metric ptv_center_db_commit_seconds_count)"
check_eq "the +Inf bucket holds them all" "$recorded" \
	"$(metric 'ptv_center_db_commit_seconds_bucket{le="+Inf"}')"
check "the buckets never go down" bash -c "printf '%s\n' \"\$1\" |
	awk '/^ptv_center_ingest_seconds_bucket/ { if (\$2 < last) exit 1;
	last = \$2 }'" _ "$m"
check_eq "no connection refused" 0 \
	"$(metric 'ptv_center_connections_refused_total{reason="full"}')"
check_eq "cards by status" "1 1" \
	"$(metric 'ptv_center_cards{status="active"}') $(metric 'ptv_center_cards{status="retired-recovered"}')"
check "every line is a comment or NAME{LABELS} VALUE" bash -c \
	"printf '%s\n' \"\$1\" | grep -Ev '^(# (HELP|TYPE) .*|[a-z_]+(\\{[a-z_]+=\"[^\"]*\"(,[a-z_]+=\"[^\"]*\")*\\})? [0-9.e+]+)$' | grep -q . && exit 1 || exit 0" _ "$m"

check "decoderd stops cleanly" stop_decoder
check "centerd stops cleanly" stop_center
tap_done
