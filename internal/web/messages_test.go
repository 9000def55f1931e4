package web

import (
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
)

var (
	templateKey = regexp.MustCompile(`\.(?:T|F) "([a-zA-Z_]+)"`)
	fieldKey    = regexp.MustCompile(`field \. "([a-zA-Z]+)"`)
	codeKey     = regexp.MustCompile(`"((?:flash|err|title)_[a-z_]+)"|T\("([a-z_]+)"\)`)
)

// usedMessageKeys is every message key the templates and handlers use,
// those made from an API value (a role, a state) included.
func usedMessageKeys(t *testing.T) []string {
	t.Helper()
	keys := map[string]bool{}
	files, _ := fs.Glob(templateFiles, "templates/*.html")
	for _, file := range files {
		data, _ := fs.ReadFile(templateFiles, file)
		for _, m := range templateKey.FindAllStringSubmatch(string(data), -1) {
			keys[m[1]] = true
		}
		for _, m := range fieldKey.FindAllStringSubmatch(string(data), -1) {
			keys["field_"+m[1]] = true
		}
		if name := strings.TrimSuffix(path.Base(file), ".html"); name != "layout" {
			keys["title_"+name] = true
		}
	}
	sources, _ := filepath.Glob("*.go")
	for _, file := range sources {
		if strings.HasSuffix(file, "_test.go") {
			continue
		}
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range codeKey.FindAllStringSubmatch(string(data), -1) {
			keys[m[1]+m[2]] = true
		}
	}
	for _, fields := range []map[string]string{contactFields, domainFields, membershipFields, accountFields} {
		for _, input := range fields {
			if input != "" {
				keys["field_"+input] = true
			}
		}
	}
	for _, role := range []clientareav1alpha1.Role{clientareav1alpha1.RoleOwner, clientareav1alpha1.RoleMember} {
		keys["role_"+string(role)] = true
	}
	for _, p := range vocabulary {
		keys["perm_"+string(p)], keys["perm_help_"+string(p)] = true, true
	}
	for _, s := range []string{"Pending", "Active", "Expired", "Inactive"} {
		keys["state_"+s] = true
	}
	for _, reason := range []clientareav1alpha1.BillingHoldReason{
		clientareav1alpha1.BillingHoldBillingContactNotFound, clientareav1alpha1.BillingHoldBillingContactNotAllowed,
		clientareav1alpha1.BillingHoldAccountNotReady, "other",
	} {
		keys["billing_hold_"+string(reason)] = true
	}
	for _, s := range []string{"Pending", "Active", "Expired", "Conflict", "TransferredAway"} {
		keys["domain_"+s], keys["domain_help_"+s] = true, true
	}
	list := make([]string, 0, len(keys))
	for key := range keys {
		list = append(list, key)
	}
	return list
}
