package epp

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
)

// TLSConfig builds a client TLS configuration from PEM data: the client
// certificate (certPEM, with any intermediates after it) and its private
// key, and optionally the CA to trust instead of the system roots. Errors
// name the argument at fault, as CertPEM, KeyPEM or CAPEM.
func TLSConfig(serverName string, caPEM, certPEM, keyPEM []byte) (*tls.Config, error) {
	if err := checkCertificates(certPEM); err != nil {
		return nil, fmt.Errorf("CertPEM: %w", err)
	}
	if block, _ := pem.Decode(keyPEM); block == nil {
		return nil, errors.New("KeyPEM: no PEM block")
	}
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("KeyPEM: %w", err)
	}
	cfg := &tls.Config{
		MinVersion:   tls.VersionTLS12,
		ServerName:   serverName,
		Certificates: []tls.Certificate{cert},
	}
	if len(caPEM) > 0 {
		if err := checkCertificates(caPEM); err != nil {
			return nil, fmt.Errorf("CAPEM: %w", err)
		}
		cfg.RootCAs = x509.NewCertPool()
		cfg.RootCAs.AppendCertsFromPEM(caPEM)
	}
	return cfg, nil
}

// checkCertificates parses every CERTIFICATE block of data; there must be
// at least one.
func checkCertificates(data []byte) error {
	n := 0
	for rest := data; ; {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		if _, err := x509.ParseCertificate(block.Bytes); err != nil {
			return err
		}
		n++
	}
	if n == 0 {
		return errors.New("no CERTIFICATE block")
	}
	return nil
}
