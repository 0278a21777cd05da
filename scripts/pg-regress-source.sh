#!/bin/sh
# pg-regress-source.sh BINDIR CACHE
#
# Prints the directory of PostgreSQL's regression tests (src/test/regress:
# sql/, expected/, data/, parallel_schedule, ...) for the major version of
# the server in BINDIR, fetching it into CACHE/pgsrc-VERSION/ on first use.
# Used by the torture test (internal/torture, `make test-torture`).
#
# No Debian binary package ships the regression SQL; the source package
# postgresql-MAJOR does. It is fetched with apt-get's ordinary client from
# Debian's mirror, through a private sources list and private state under
# CACHE/apt, so the machine's apt configuration is neither read nor
# changed. apt checks the files against the suite's signed index.
set -eu

bindir=$1
cache=$2

# "postgres (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)"
server=$("$bindir/postgres" --version)
major=$(echo "$server" | sed -n 's/^[^0-9]*\([0-9][0-9]*\)\..*/\1/p')
[ -n "$major" ] || { echo "cannot tell the major version of: $server" >&2; exit 1; }

# Any version of the same major will do (the tests change little within a
# major), so an earlier fetch is reused.
for dir in "$cache"/pgsrc-"$major".*/regress; do
	if [ -f "$dir/parallel_schedule" ]; then
		echo "$dir"
		exit 0
	fi
done

command -v apt-get >/dev/null || {
	echo "fetching PostgreSQL's regression tests needs apt-get (Debian's source package postgresql-$major)" >&2
	exit 1
}
. /etc/os-release
codename=${VERSION_CODENAME:?/etc/os-release has no VERSION_CODENAME}

apt=$cache/apt
mkdir -p "$apt/lists/partial" "$apt/cache/archives/partial" "$apt/download"
cat >"$apt/src.sources" <<EOF
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: $codename $codename-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: $codename-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
aptopts="-o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts=$apt
	-o Dir::State::Lists=$apt/lists -o Dir::Cache=$apt/cache -o Debug::NoLocking=1"
# shellcheck disable=SC2086 # aptopts is a list of options
apt-get -qq $aptopts update >&2

# The server's own Debian version first, then every listed one, newest
# first: a listed version's files are not always on the mirror any more.
own=$(echo "$server" | sed -n 's/.*(Debian \([^)]*\)).*/\1/p')
# shellcheck disable=SC2086
listed=$(apt-cache $aptopts showsrc "postgresql-$major" | sed -n 's/^Version: //p' | sort -urV | tr '\n' ' ')
for version in $own $listed; do
	case " $listed " in *" $version "*) ;; *) continue ;; esac
	echo "fetching source package postgresql-$major=$version" >&2
	rm -rf "$apt/download" && mkdir "$apt/download"
	# shellcheck disable=SC2086
	if (cd "$apt/download" && apt-get -qq $aptopts source --download-only "postgresql-$major=$version" >&2); then
		upstream=${version%%-*}
		dest=$cache/pgsrc-$upstream
		rm -rf "$dest" && mkdir -p "$dest"
		tar -xf "$apt"/download/*.orig.tar.* -C "$dest" --strip-components=3 --wildcards '*/src/test/regress/*'
		rm -rf "$apt" # the tarball and apt's lists: only regress/ is kept
		echo "$dest/regress"
		exit 0
	fi
done
echo "no version of source package postgresql-$major could be downloaded (listed: $listed)" >&2
exit 1
