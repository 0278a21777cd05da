package localpg

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// ErrNotFound: the machine has no PostgreSQL server that FindBinDir can
// see.
var ErrNotFound = errors.New("no PostgreSQL server found")

// InstallDirs are the glob patterns of the directories PostgreSQL's
// packages put the server's binaries in, in the order FindBinDir tries
// them (each pattern's matches newest version first).
func InstallDirs() []string {
	return []string{
		"/usr/lib/postgresql/*/bin",                          // Debian, Ubuntu
		"/usr/pgsql-*/bin",                                   // the PGDG packages for RHEL and Fedora
		"/usr/local/pgsql/bin",                               // built from source
		"/opt/homebrew/opt/postgresql@*/bin",                 // Homebrew on Apple silicon
		"/usr/local/opt/postgresql@*/bin",                    // Homebrew on Intel
		"/Applications/Postgres.app/Contents/Versions/*/bin", // Postgres.app
	}
}

// FindBinDir returns the directory that holds the server's initdb and
// pg_ctl: the one initdb on path (a PATH value) really lives in, else the
// newest of InstallDirs under root ("" is "/"; tests give a fake one).
// Symbolic links are followed, so that the client tools taken from the
// same directory (pg_dump, psql) match the server's major version: Debian
// links /usr/local/bin/initdb to /usr/lib/postgresql/15/bin/initdb.
// Relative PATH entries are ignored, as they name whatever directory
// restorectl happens to run in. ErrNotFound when there is none.
func FindBinDir(path, root string) (string, error) {
	for _, dir := range filepath.SplitList(path) {
		if !filepath.IsAbs(dir) {
			continue
		}
		real, err := filepath.EvalSymlinks(filepath.Join(dir, "initdb"))
		if err != nil {
			continue
		}
		if dir := filepath.Dir(real); hasServer(dir) {
			return dir, nil
		}
	}
	if root == "" {
		root = "/"
	}
	for _, pattern := range InstallDirs() {
		for _, dir := range newestFirst(root, pattern) {
			if hasServer(dir) {
				return dir, nil
			}
		}
	}
	return "", fmt.Errorf("%w: initdb and pg_ctl are neither on PATH nor in %s; install PostgreSQL's server (e.g. apt-get install postgresql, brew install postgresql@17)",
		ErrNotFound, strings.Join(InstallDirs(), ", "))
}

// hasServer reports whether dir holds initdb and pg_ctl, executable.
func hasServer(dir string) bool {
	return executable(filepath.Join(dir, "initdb")) && executable(filepath.Join(dir, "pg_ctl"))
}

func executable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

// newestFirst returns pattern's matches under root, the newest version
// first: the numbers in what the wildcard matched, compared as numbers
// (16 after 9.6); a match without any ("latest") comes last.
func newestFirst(root, pattern string) []string {
	dirs, _ := filepath.Glob(filepath.Join(root, pattern))
	prefix := filepath.Join(root, pattern[:strings.IndexByte(pattern+"*", '*')])
	version := func(dir string) []int {
		var v []int
		notDigit := func(r rune) bool { return r < '0' || r > '9' }
		for _, d := range strings.FieldsFunc(strings.TrimPrefix(dir, prefix), notDigit) {
			n, _ := strconv.Atoi(d)
			v = append(v, n)
		}
		return v
	}
	slices.SortStableFunc(dirs, func(a, b string) int {
		return cmp.Or(slices.Compare(version(b), version(a)), strings.Compare(a, b))
	})
	return dirs
}
