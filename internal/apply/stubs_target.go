package apply

import "context"

func (r *run) overwrite(ctx context.Context) error { panic("TODO") }
func (r *run) merge(ctx context.Context) error     { panic("TODO") }
