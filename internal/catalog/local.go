package catalog

// NewLocal opens dir as a Store. (Being implemented.)
func NewLocal(dir string) (Store, error) { panic("TODO") }
