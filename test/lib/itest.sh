# Prologue of the integration tests (sourced first thing):
#   . "$(dirname "$0")/../lib/itest.sh" "$@"
# Sets $root and $build, re-runs the test inside hermetic.sh (a private
# pcscd) unless already there, and loads the TAP helpers.
root=${PTV_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
build=${PTV_BUILD:-$root/build}
if [ -z "${PTV_IN_NAMESPACE:-}" ]; then
	exec "$root/test/lib/hermetic.sh" "$0" "$@"
fi
# shellcheck source=tap.sh
. "$root/test/lib/tap.sh"
