// Command eppregistry runs the strict EPP test registry
// (internal/eppregistry) on 127.0.0.1 with the real clock, for manual tests
// and for hack/epp-crosscheck.sh. It writes into -dir:
//
//	ca.pem                 the CA of the server and client certificates
//	client-<id>.pem/.key   one client certificate and key per account
//	addr                   "127.0.0.1:port", written last (wait for it)
//
// and serves until it gets SIGINT or SIGTERM.
package main

import (
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"clientarea.dev/clientarea-operator/internal/eppregistry"
)

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func main() {
	dir := flag.String("dir", "", "directory for ca.pem, client-<id>.pem, client-<id>.key and addr (required)")
	hostObjects := flag.Bool("host-objects", true, "use the host object model (host-1.0); false: domain:hostAttr")
	listen := flag.String("listen", "127.0.0.1:0", "the address to listen on (a free port on loopback by default)")
	flag.Parse()
	if *dir == "" {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*dir, *hostObjects, *listen); err != nil {
		log.Fatal(err)
	}
}

func run(dir string, hostObjects bool, listen string) error {
	accounts := []eppregistry.Account{
		{ClientID: "registrar-a", Password: "secret-a-123"},
		{ClientID: "registrar-b", Password: "secret-b-123"},
	}
	reg, err := eppregistry.Start(eppregistry.Config{
		Clock:       realClock{},
		Accounts:    accounts,
		HostObjects: hostObjects,
		Listen:      listen,
	})
	if err != nil {
		return err
	}
	defer func() { _ = reg.Close() }()

	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	files := map[string][]byte{"ca.pem": reg.CACertPEM()}
	for _, a := range accounts {
		certPEM, keyPEM := reg.ClientCertificate(a.ClientID)
		files["client-"+a.ClientID+".pem"] = certPEM
		files["client-"+a.ClientID+".key"] = keyPEM
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			return err
		}
	}
	// The address goes last, through a rename, so that a waiting script
	// never reads a half-written file or finds it before the certificates.
	tmp := filepath.Join(dir, "addr.tmp")
	if err := os.WriteFile(tmp, []byte(reg.Addr()+"\n"), 0o600); err != nil {
		return err
	}
	if err := os.Rename(tmp, filepath.Join(dir, "addr")); err != nil {
		return err
	}
	fmt.Printf("eppregistry listening on %s (files in %s)\n", reg.Addr(), dir)
	for _, a := range accounts {
		fmt.Printf("  account %s / %s\n", a.ClientID, a.Password)
	}

	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	<-sig
	return nil
}
