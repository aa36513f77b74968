// htpasswd writes one line of an htpasswd file for the registry's htpasswd
// auth (bcrypt, which is all distribution accepts), from a user name and a
// password read from stdin: `echo -n pass | htpasswd user >> htpasswd`.
// The hash has bcrypt's least cost: the registry checks it on every request,
// and at the default cost a push of a few hundred layers spends most of its
// time there. For tests only.
package main

import (
	"fmt"
	"io"
	"os"

	"golang.org/x/crypto/bcrypt"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: htpasswd USER < password")
		os.Exit(2)
	}
	password, err := io.ReadAll(os.Stdin)
	if err == nil {
		var hash []byte
		hash, err = bcrypt.GenerateFromPassword(password, bcrypt.MinCost)
		if err == nil {
			fmt.Printf("%s:%s\n", os.Args[1], hash)
			return
		}
	}
	fmt.Fprintln(os.Stderr, err)
	os.Exit(1)
}
