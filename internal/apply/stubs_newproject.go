package apply

import "context"

// Provisioner creates the databases of new projects. (Stub: helper B.)
type Provisioner interface {
	// Create makes an empty database that becomes name on Commit; until
	// then it lives under a temporary name, so that a restore killed
	// halfway never leaves a database that looks complete.
	Create(ctx context.Context, name string) (*Database, error)
	// Commit renames the database into place. Every connection to it must
	// be closed.
	Commit(ctx context.Context, db *Database) error
	// Drop removes a database Create made and Commit did not.
	Drop(ctx context.Context, db *Database) error
}

// Database is a new project's database.
type Database struct {
	// Name is its final name.
	Name string `json:"name"`
	// URL reaches it for loading (under its temporary name until Commit).
	// It holds the admin password: never print it.
	URL string `json:"-"`
	// Connect says how to connect once committed, without a password
	// (a postgresql:// URL).
	Connect string `json:"connect"`
	// Temp is its name until Commit.
	Temp string `json:"-"`
}

func (r *run) newProject(ctx context.Context) error { panic("TODO") }

// PostgresProvisioner is a stub until provision.go lands.
type PostgresProvisioner struct{ AdminURL, Owner string }

func (*PostgresProvisioner) Create(ctx context.Context, name string) (*Database, error) {
	panic("TODO")
}
func (*PostgresProvisioner) Commit(ctx context.Context, db *Database) error { panic("TODO") }
func (*PostgresProvisioner) Drop(ctx context.Context, db *Database) error   { panic("TODO") }
