// Package localpg runs a throwaway PostgreSQL cluster on this machine, for
// `restorectl demo` and the tests: FindBinDir finds the server's binaries
// (initdb and pg_ctl on PATH, else where PostgreSQL's packages install
// them), Start creates a cluster in a new temporary directory and starts
// it, and Cluster.Stop stops it and removes the directory.
//
// The cluster's superuser is "postgres" with trust authentication, so
// that nothing needs a password: it listens on a Unix socket in a
// directory only its owner can enter, and on 127.0.0.1 only when asked
// (Options.TCP; any local user can then connect as the superuser, which
// is fine for tests and nothing else). PostgreSQL refuses to run as root:
// run as root, the server runs as the "postgres" system user. It keeps
// nothing on disk for long (fsync off): it is removed at the end.
//
// Everything the server and its tools print goes to the server log in the
// cluster's directory or into the errors returned, never to this process's
// terminal; they run in a process group of their own, so that a Ctrl-C
// typed at the terminal reaches only the caller, which stops the cluster.
// A Start that fails, or whose context is cancelled, stops what it
// started and removes the directory before it returns. A cluster whose
// owner was killed outright is stopped and removed by the next Start.
//
//	find.go     FindBinDir, InstallDirs: where the server's binaries are
//	cluster.go  Start, Cluster: create, start, connection URL, Stop
//	sweep.go    the clusters of processes since gone
//	proc_*.go   the server's user, process groups
package localpg
