// Package ui is the support console: a Bubble Tea program that walks a
// support engineer through a ticket, one screen at a time: ticket,
// snapshots, tables, preview, mode, confirm, progress, result.
//
// The map:
//
//	app.go        App: the screen stack, the help bar, sizes, quitting; the
//	              shared keys (Esc: help, then filter, then back; bursts of
//	              runes split into keys)
//	screen.go     Screen, the contract every screen keeps (Escaper,
//	              TextField, Closer); navigation messages
//	session.go    Session: what the screens share (backend, styles, keys, the ticket so far)
//	backend.go    Backend: what the console needs from the restore service
//	storebackend.go StoreBackend: Backend on ticket.Service, on one opened snapshot at a time
//	styles.go     Styles, built once (NO_COLOR honoured) and injected
//	keys.go       the key bindings every screen shares
//	list.go       the cursor, paging, position and / filter of the lists
//	ticket.go     screen 1: project ref, time, ticket id, validated as typed
//	snapshots.go  screen 2: the snapshots in time order, the ticket's time
//	              marked, the newest before it selected
//	tables.go     screen 3: the snapshot's tables, filtered and selected
//	preview.go    screen 4: the first rows and the definitions, from the snapshot only
//	mode.go       screen 5: new project, overwrite, merge, export, or stop
//	export.go     screen 6 of an export: the script written to a file, atomically
//	confirm.go    screen 6: what will happen, with the dry run's plan of the mode
//	              (merge: ctrl+t toggles --update-changed); a destructive mode
//	              wants the ref typed
//	progress.go   screen 7: the restore running, with a bar and an ETA; Esc
//	              asks "cancel the restore? y/n"
//	result.go     screen 8: what the restore did (its outcome), audit id, how to undo or connect
//	summary.go    Summary: what the console did, printed on exit (undo lines complete, from Origin)
//	input.go      the text inputs' common setup
//	format.go     durations as the screens write them (sizes: catalog.FormatSize)
//
// Rules: all I/O runs in tea.Cmds and comes back as messages; a job is
// tagged with an id so that a result that arrives after the user moved on
// is dropped, and a screen that starts long jobs cancels them when it is
// left (Closer); no line is drawn wider than the terminal; names, values and
// errors from a snapshot are drawn through termsafe (a customer chose
// them), and App escapes whatever control characters a screen forgets,
// keeping only the styles' colours. The console never duplicates what the
// restore service (package ticket) does: it calls it through Backend, as
// the command line calls it directly.
package ui
