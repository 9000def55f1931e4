package controller

import (
	"cmp"
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
)

// The domain password (D5, W7) is the auth code in the login's Secret. The
// client area checks what a visitor types against its Argon2id hash in the
// DomainCredential named after the domain name, and never reads the
// Secret; the owner and members with Domains read the Secret itself.
//
// The operator may create and delete Secrets, never read or update them, so
// it cannot tell which code a Secret holds. It therefore only ever writes a
// Secret and its credential as a pair, from one code it has just drawn, in
// this order:
//
//  1. delete the Secret (a new login's only if it exists already),
//  2. create it with the new code,
//  3. write the credential with the code's hash and a later passwordSetAt,
//  4. record the spec's loginPasswordGeneration and the Secret's name in
//     the Domain's status (the reconcile's status patch).
//
// and it draws a new pair whenever the state says a pair may not match:
// the status names no Secret yet, there is no credential of this Domain (a
// Domain made before credentials existed, or one that died between 1 and
// 3), or the status does not record the spec's generation (a rotation that
// was asked for, or died before 4). Killed at any line, it ends with a
// Secret and a credential that match; at worst it draws once more.

// needsPassword tells whether the Domain's login needs a new password pair
// (see above). credential is nil when there is none.
func needsPassword(domain *clientareav1alpha1.Domain, credential *clientareav1alpha1.DomainCredential) bool {
	return passwordDue(domain) || credential == nil || !credentialOf(credential, domain)
}

// passwordDue tells, from the Domain alone, that its login has no password
// yet or that a new one was asked for.
func passwordDue(domain *clientareav1alpha1.Domain) bool {
	return domain.Status.AuthCodeSecret == "" || domain.Spec.LoginPasswordGeneration > domain.Status.LoginPasswordGeneration
}

// credentialOf tells whether credential belongs to this Domain (and not to
// an earlier Domain of the same name).
func credentialOf(credential *clientareav1alpha1.DomainCredential, domain *clientareav1alpha1.Domain) bool {
	return credential.Spec.DomainUID == string(domain.UID) && credential.Spec.Namespace == domain.Namespace && credential.Spec.Domain == domain.Name
}

// getCredential reads the credential of the domain's name; nil when there
// is none.
func getCredential(ctx context.Context, reader client.Reader, domain *clientareav1alpha1.Domain) (*clientareav1alpha1.DomainCredential, error) {
	credential := &clientareav1alpha1.DomainCredential{}
	err := reader.Get(ctx, client.ObjectKey{Name: clientareav1alpha1.DomainCredentialName(domainNameOf(domain))}, credential)
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	return credential, err
}

// ensurePassword draws a new password pair when the Domain needs one, and
// returns the loginPasswordGeneration to record in its status (the status'
// own when nothing was drawn).
func (r *domainLoginReconciler) ensurePassword(ctx context.Context, domain *clientareav1alpha1.Domain, secret *corev1.Secret) (int32, error) {
	credential, err := getCredential(ctx, r.Client, domain)
	if err != nil || !needsPassword(domain, credential) {
		return domain.Status.LoginPasswordGeneration, err
	}
	// A new password lets the login sign in: not before the front end may
	// act as it, or the first page after a sign-in would be refused. Asked
	// of the cache first, so that waiting for it costs the API server
	// nothing.
	if ok, err := frontEndActsAs(ctx, r.Client, domain); err != nil || !ok {
		return 0, cmp.Or(err, errAwaitingClientArea)
	}
	// The cache may not hold this controller's own last writes yet (a
	// credential just made, a status just recorded): decide again on what
	// the API server holds, so that one request never draws two passwords.
	live := &clientareav1alpha1.Domain{}
	if err := r.APIReader.Get(ctx, client.ObjectKeyFromObject(domain), live); err != nil {
		return 0, err
	}
	if credential, err = getCredential(ctx, r.APIReader, live); err != nil {
		return 0, err
	}
	if live.UID != domain.UID || !needsPassword(live, credential) {
		return live.Status.LoginPasswordGeneration, nil
	}
	if err := r.issuePassword(ctx, live, credential, secret); err != nil {
		return 0, err
	}
	return live.Spec.LoginPasswordGeneration, nil
}

// issuePassword draws a new password and writes the Secret, then the
// credential (steps 1 to 3 above).
func (r *domainLoginReconciler) issuePassword(ctx context.Context, domain *clientareav1alpha1.Domain,
	credential *clientareav1alpha1.DomainCredential, secret *corev1.Secret) error {
	code, err := newAuthCode()
	if err != nil {
		return err
	}
	hash, err := r.Hasher.Hash(ctx, code)
	if err != nil {
		return fmt.Errorf("hashing the domain password: %w", err)
	}
	secret = secret.DeepCopy()
	secret.StringData = map[string]string{AuthCodeKey: code}
	if err := replaceSecret(ctx, r.Client, secret, domain.Status.AuthCodeSecret != ""); err != nil {
		return err
	}
	setAt := r.Clock.Now().Truncate(time.Second)
	if credential != nil && !setAt.After(credential.Spec.PasswordSetAt.Time) {
		// passwordSetAt ends the open sessions where it changes: it moves
		// forward with every password, even two in one second.
		setAt = credential.Spec.PasswordSetAt.Add(time.Second)
	}
	if credential != nil && credentialOf(credential, domain) {
		updated := credential.DeepCopy()
		updated.Spec.PasswordHash, updated.Spec.PasswordSetAt = hash, metav1.NewTime(setAt)
		updated.Labels = withManagedLabel(updated.Labels)
		return r.Update(ctx, updated)
	}
	if credential != nil {
		// An earlier Domain's of the same name, left behind: its fields
		// never change, so it is replaced.
		if err := releaseClaim(ctx, r.Client, credential); err != nil {
			return err
		}
	}
	return r.Create(ctx, &clientareav1alpha1.DomainCredential{
		ObjectMeta: metav1.ObjectMeta{Name: clientareav1alpha1.DomainCredentialName(domainNameOf(domain)), Labels: managedLabels()},
		Spec: clientareav1alpha1.DomainCredentialSpec{
			DomainName:     clientareav1alpha1.DomainName(domainNameOf(domain)),
			Namespace:      domain.Namespace,
			Domain:         domain.Name,
			DomainUID:      string(domain.UID),
			ServiceAccount: loginName(domain),
			PasswordHash:   hash,
			PasswordSetAt:  metav1.NewTime(setAt),
		},
	})
}

// replaceSecret creates the Secret, deleting the one of that name first:
// the operator may not update Secrets (nor read them). A Secret that the
// status does not name yet is created first, and deleted only if it exists
// (made by a reconcile that died before recording it), which spares a new
// login the delete.
// The transfer code's Secret (R4) is written the same way.
func replaceSecret(ctx context.Context, c client.Client, secret *corev1.Secret, recorded bool) error {
	if !recorded {
		err := c.Create(ctx, secret.DeepCopy())
		if !apierrors.IsAlreadyExists(err) {
			return err
		}
	}
	if err := client.IgnoreNotFound(c.Delete(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: secret.Name, Namespace: secret.Namespace}})); err != nil {
		return err
	}
	return c.Create(ctx, secret)
}

// removeCredential deletes the Domain's credential, if it is this Domain's,
// first from the cache's view, then from the API server's (one made a
// moment ago may not be in the cache yet).
func (r *domainLoginReconciler) removeCredential(ctx context.Context, domain *clientareav1alpha1.Domain) error {
	for _, reader := range []client.Reader{r.Client, r.APIReader} {
		credential, err := getCredential(ctx, reader, domain)
		if err != nil {
			return err
		}
		if credential != nil && credentialOf(credential, domain) {
			// The UID as precondition: a later Domain's credential of the
			// same name is never deleted.
			return releaseClaim(ctx, r.Client, credential)
		}
	}
	return nil
}

// credentialDomain maps a DomainCredential to the Domain it belongs to.
func credentialDomain(_ context.Context, obj client.Object) []reconcile.Request {
	credential, ok := obj.(*clientareav1alpha1.DomainCredential)
	if !ok {
		return nil
	}
	return []reconcile.Request{{NamespacedName: client.ObjectKey{Namespace: credential.Spec.Namespace, Name: credential.Spec.Domain}}}
}
