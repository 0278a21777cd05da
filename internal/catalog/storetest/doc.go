// Package storetest is the conformance suite that every catalog.Store
// implementation runs, so that the local directory and S3 behave alike:
//
//	storetest.Run(t, func(t *testing.T) catalog.Store { return newStore(t) })
package storetest
