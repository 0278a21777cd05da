// Package outfile writes the files restorectl makes for people on the
// machine it runs on (extract -o, the console's export): scripts full of
// a customer's rows. Such a file is private and whole, and takes no
// one else's place:
//
//   - private: it is created with mode 0600, less whatever the umask
//     takes away, and never made wider, as the snapshot store's files are;
//     the rows in it are the customer's, not every local user's;
//   - whole: it is written beside its path under a temporary name and
//     renamed into place only when complete, so an interrupted or failed
//     write leaves no file, not even a partial one;
//   - nobody else's: Create never replaces a file at its path, even one
//     that appears while it writes (the final move fails if one is
//     there); Write replaces, for when the user asked to.
package outfile
