package v1alpha1

import (
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// DomainCredentialName is the name of the DomainCredential of a domain name:
// the domain name itself, in lower case (domain names are unique in the
// cluster, D2). The client area looks up the credential of the name a
// visitor typed with it.
func DomainCredentialName(domainName string) string {
	return strings.ToLower(domainName)
}

// DomainCredentialSpec is the domain login's password, as a slow hash (W7).
// Only passwordHash and passwordSetAt change: a credential belongs to one
// Domain and its login for good.
type DomainCredentialSpec struct {
	// domainName is the domain name this credential signs in to; it is also
	// the credential's metadata.name.
	// +required
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="is immutable: a credential belongs to one Domain and its login for good"
	DomainName DomainName `json:"domainName"`

	// namespace is the account namespace of the Domain.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="is immutable: a credential belongs to one Domain and its login for good"
	Namespace string `json:"namespace"`

	// domain is the name of the Domain object in that namespace.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="is immutable: a credential belongs to one Domain and its login for good"
	Domain string `json:"domain"`

	// domainUID is the UID of that Domain, so that a later Domain of the
	// same name does not inherit the credential.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=36
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="is immutable: a credential belongs to one Domain and its login for good"
	DomainUID string `json:"domainUID"`

	// serviceAccount is the name of the domain login's ServiceAccount in
	// that namespace (the Domain's status.loginServiceAccount): a client
	// area that checked the password acts as
	// system:serviceaccount:<namespace>:<serviceAccount> (D5).
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="is immutable: a credential belongs to one Domain and its login for good"
	ServiceAccount string `json:"serviceAccount"`

	// passwordHash is the Argon2id hash of the domain password (the auth
	// code in the Secret named by the Domain's status.authCodeSecret), as a
	// PHC string: $argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<key>,
	// salt and key in unpadded standard base64. The operator writes it
	// together with the Secret; it never holds the password itself.
	// +required
	// +kubebuilder:validation:MinLength=32
	// +kubebuilder:validation:MaxLength=256
	// +kubebuilder:validation:XValidation:rule="self.matches('^[$]argon2id[$]v=19[$]m=[0-9]{1,7},t=[0-9]{1,3},p=[0-9]{1,3}[$][A-Za-z0-9+/]+[$][A-Za-z0-9+/]+$')",message="must be an Argon2id PHC string: $argon2id$v=19$m=<KiB>,t=<passes>,p=<lanes>$<salt>$<key>"
	PasswordHash string `json:"passwordHash"`

	// passwordSetAt is when the current password was set. It moves forward
	// with every new password, by at least a second: a client area ends
	// every open session of the domain login when it changes (W7).
	// +required
	PasswordSetAt metav1.Time `json:"passwordSetAt"`
}

// DomainCredential is the password check of a domain login (D5, W7): the
// client area signs a visitor in with a domain name and its password by
// verifying the password against spec.passwordHash, reading this object and
// never the Secret with the password, then acts as spec.serviceAccount. It
// is named after the domain name (DomainCredentialName). The operator writes
// it when it draws the domain's password and deletes it with the Domain's
// login; people do not edit it.
// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Cluster
// +kubebuilder:validation:XValidation:rule="self.metadata.name == self.spec.domainName",message="metadata.name must be spec.domainName"
// +kubebuilder:printcolumn:name="Namespace",type=string,JSONPath=`.spec.namespace`
// +kubebuilder:printcolumn:name="Domain",type=string,JSONPath=`.spec.domain`
// +kubebuilder:printcolumn:name="Login",type=string,JSONPath=`.spec.serviceAccount`,priority=1
// +kubebuilder:printcolumn:name="Password Set",type=date,JSONPath=`.spec.passwordSetAt`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type DomainCredential struct {
	metav1.TypeMeta `json:",inline"`
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec is the credential.
	// +required
	Spec DomainCredentialSpec `json:"spec"`
}

// DomainCredentialList is a list of DomainCredentials.
// +kubebuilder:object:root=true
type DomainCredentialList struct {
	metav1.TypeMeta `json:",inline"`
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []DomainCredential `json:"items"`
}

func init() {
	register(&DomainCredential{}, &DomainCredentialList{})
}
