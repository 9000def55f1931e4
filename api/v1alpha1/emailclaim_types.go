package v1alpha1

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// EmailClaimName is the name of the EmailClaim of an e-mail address (U1): a
// hash, because an address is not a valid object name, of the lower-cased
// address, so that Anna@X and anna@x name one claim. A client that knows a
// signed-in customer's address reads its claim, and through it its User.
func EmailClaimName(address string) string {
	sum := sha256.Sum256([]byte(strings.ToLower(address)))
	return "email-" + hex.EncodeToString(sum[:20])
}

// EmailClaimSpec names the User that holds an e-mail address.
type EmailClaimSpec struct {
	// email is the claimed address, in lower case.
	// +required
	Email EmailAddress `json:"email"`

	// user is the name of the User that holds the address.
	// +required
	User ObjectName `json:"user"`

	// userUID is the UID of that User, so that a later User of the same name
	// does not inherit the claim.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=36
	UserUID string `json:"userUID"`
}

// EmailClaim records which User holds an e-mail address (U1). The operator
// creates one per User, named EmailClaimName(address), so the
// API server, which lets only one object have a name, decides race-free which
// User gets the address: the first. People do not edit claims; the operator
// deletes a claim when its User is deleted or changes its address.
// +kubebuilder:object:root=true
// +kubebuilder:resource:scope=Cluster,shortName=emailclaim
// +kubebuilder:validation:XValidation:rule="self.spec == oldSelf.spec",message="spec is immutable: a claim is deleted, never moved",fieldPath=".spec"
// +kubebuilder:printcolumn:name="Email",type=string,JSONPath=`.spec.email`
// +kubebuilder:printcolumn:name="User",type=string,JSONPath=`.spec.user`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type EmailClaim struct {
	metav1.TypeMeta `json:",inline"`
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec names the holder.
	// +required
	Spec EmailClaimSpec `json:"spec"`
}

// EmailClaimList is a list of EmailClaims.
// +kubebuilder:object:root=true
type EmailClaimList struct {
	metav1.TypeMeta `json:",inline"`
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []EmailClaim `json:"items"`
}

func init() {
	register(&EmailClaim{}, &EmailClaimList{})
}
