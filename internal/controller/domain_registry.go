package controller

import (
	"context"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
	"clientarea.dev/clientarea-operator/internal/conditions"
	"clientarea.dev/clientarea-operator/internal/registrar"
)

// What the registry holds for an Active Domain follows its spec (R1): name
// servers, holder details and registrar lock are sent as one update when
// their digest differs from the one last sent; the transfer code is set
// when the owner asks for one (R4); a Domain that is deleted is deleted at
// the registry before its name is released, so that nobody pays for a
// renewal nobody can invoice.

// TransferCodeKey is the key of the transfer code in its Secret.
const TransferCodeKey = "transferCode"

// wantedAtRegistry is what the registry should hold for domain.
func wantedAtRegistry(domain *clientareav1alpha1.Domain, holder *clientareav1alpha1.Contact) registrar.Domain {
	nameServers := make([]string, 0, len(domain.Spec.NameServers))
	for _, ns := range domain.Spec.NameServers {
		nameServers = append(nameServers, string(ns))
	}
	slices.Sort(nameServers)
	return registrar.Domain{
		Name:        domain.Status.DomainName,
		Years:       periodYears(domain),
		Holder:      registryContact(holder),
		NameServers: nameServers,
		Locked:      domain.Spec.RegistrarLock == nil || *domain.Spec.RegistrarLock,
	}
}

// registryContact is the holder as the registry keeps it (RFC 5733, C1).
func registryContact(holder *clientareav1alpha1.Contact) registrar.Contact {
	d := holder.Spec
	return registrar.Contact{
		ID: contactID(holder), Name: d.Name, Organization: d.Organisation, Email: string(d.Email), Phone: string(d.Phone),
		Street: slices.Clone(d.Street), City: d.City, PostalCode: d.PostalCode, CountryCode: string(d.CountryCode),
	}
}

// contactID is the registry's ID of a holder Contact: 16 characters derived
// from its UID, so that a retried registration finds the contact an
// earlier attempt created, and a Contact made again under the same name
// is another contact at the registry.
func contactID(holder *clientareav1alpha1.Contact) string {
	sum := sha256.Sum256([]byte(holder.UID))
	return "ca" + strings.ToLower(base32.StdEncoding.EncodeToString(sum[:]))[:14]
}

// syncDigest is a digest of what an update sends to the registry.
func syncDigest(d registrar.Domain) string {
	sum := sha256.Sum256(fmt.Appendf(nil, "%q", []any{d.NameServers, d.Holder, d.Locked}))
	return hex.EncodeToString(sum[:16])
}

// registryStatus is the Domain's status.registry, made when missing.
func registryStatus(domain *clientareav1alpha1.Domain) *clientareav1alpha1.DomainRegistryStatus {
	if domain.Status.Registry == nil {
		domain.Status.Registry = &clientareav1alpha1.DomainRegistryStatus{}
	}
	return domain.Status.Registry
}

// registryReason is the condition reason of a failed registrar call.
func registryReason(err error) clientareav1alpha1.DomainConditionReason {
	switch registrar.ReasonOf(err) {
	case registrar.ReasonLoginFailed:
		return clientareav1alpha1.DomainReasonRegistryLoginFailed
	case registrar.ReasonRefused:
		return clientareav1alpha1.DomainReasonRegistryRefused
	case registrar.ReasonNoRegistry:
		return clientareav1alpha1.DomainReasonNoRegistry
	case registrar.ReasonNameTaken:
		return clientareav1alpha1.DomainReasonNameTaken
	}
	return clientareav1alpha1.DomainReasonRegistryUnavailable
}

// active tells whether the Domain is registered here now.
func active(domain *clientareav1alpha1.Domain) bool {
	return holdsName(domain) && domain.Status.RegisteredAt != nil && domain.Status.State == clientareav1alpha1.DomainActive
}

// syncRegistry sends the name servers, holder details and registrar lock
// to the registry when they changed since they were last sent.
func (r *domainReconciler) syncRegistry(ctx context.Context, s *domainScope) (ctrl.Result, error) {
	domain := s.domain
	if !active(domain) || s.holder == nil {
		return ctrl.Result{}, nil
	}
	want := wantedAtRegistry(domain, s.holder)
	digest := syncDigest(want)
	if registryStatus(domain).SyncedDigest != digest {
		if err := r.callRegistrarOnly(ctx, func(ctx context.Context) error { return r.Registrar.Update(ctx, want) }); err != nil {
			conditions.SetNoted(r.Recorder, domain, clientareav1alpha1.DomainConditionRegistrySynced, metav1.ConditionFalse, registryReason(err),
				err.Error(), corev1.EventTypeWarning)
			return ctrl.Result{}, fmt.Errorf("updating %s at the registry: %w", domain.Status.DomainName, err)
		}
		registryStatus(domain).SyncedDigest = digest
	}
	conditions.Set(domain, clientareav1alpha1.DomainConditionRegistrySynced, metav1.ConditionTrue, clientareav1alpha1.DomainReasonSynced,
		fmt.Sprintf("the registry holds %d name servers, the holder's details and the registrar lock %s", len(want.NameServers), onOff(want.Locked)))
	return ctrl.Result{}, nil
}

func onOff(on bool) string {
	if on {
		return "on"
	}
	return "off"
}

// issueTransferCode sets a fresh random transfer code at the registry when
// the owner asked for one, and puts it in a Secret of the account (R4). The
// Secret is written first, so that the registry never holds a code nobody
// can read; a crash in between draws another code next time.
func (r *domainReconciler) issueTransferCode(ctx context.Context, s *domainScope) (ctrl.Result, error) {
	domain := s.domain
	status := registryStatus(domain)
	if !active(domain) || domain.Spec.TransferCodeGeneration <= status.TransferCodeGeneration {
		return ctrl.Result{}, nil
	}
	code, err := newAuthCode()
	if err != nil {
		return ctrl.Result{}, err
	}
	secret := &corev1.Secret{
		// A prefix no other Secret of the operator's has: a suffix could
		// meet another Domain's "domain-login-<name>".
		ObjectMeta: metav1.ObjectMeta{Name: boundedName("transfer-code", domain.Name), Namespace: domain.Namespace, Labels: managedLabels()},
		StringData: map[string]string{TransferCodeKey: code},
	}
	if err := controllerutil.SetControllerReference(domain, secret, r.Scheme()); err != nil {
		return ctrl.Result{}, err
	}
	if err := replaceSecret(ctx, r.Client, secret, status.TransferCodeSecret != ""); err != nil {
		return ctrl.Result{}, err
	}
	if err := r.callRegistrarOnly(ctx, func(ctx context.Context) error {
		return r.Registrar.SetTransferCode(ctx, domain.Status.DomainName, code)
	}); err != nil {
		conditions.SetNoted(r.Recorder, domain, clientareav1alpha1.DomainConditionRegistrySynced, metav1.ConditionFalse, registryReason(err),
			"setting the transfer code: "+err.Error(), corev1.EventTypeWarning)
		return ctrl.Result{}, fmt.Errorf("setting the transfer code of %s: %w", domain.Status.DomainName, err)
	}
	status.TransferCodeSecret, status.TransferCodeGeneration = secret.Name, domain.Spec.TransferCodeGeneration
	r.Recorder.Eventf(domain, nil, corev1.EventTypeNormal, "TransferCodeIssued", "TransferCode",
		"a new transfer code is set at the registry and in Secret %s", secret.Name)
	return ctrl.Result{}, nil
}

// checkSponsor asks the registry whether an Active domain is still ours,
// after a registry message about it: a domain another registrar took with
// its transfer code is TransferredAway and renewed no more (R4).
func (r *domainReconciler) checkSponsor(ctx context.Context, s *domainScope) (ctrl.Result, error) {
	domain := s.domain
	if s.message == nil || !active(domain) {
		return ctrl.Result{}, nil
	}
	var info registrar.Status
	err := r.callRegistrarOnly(ctx, func(ctx context.Context) (err error) {
		info, err = r.Registrar.Info(ctx, domain.Status.DomainName)
		return err
	})
	if err != nil || info.Ours {
		return ctrl.Result{}, err
	}
	domain.Status.State = clientareav1alpha1.DomainTransferredAway
	conditions.SetNoted(r.Recorder, domain, clientareav1alpha1.DomainConditionRegistered, metav1.ConditionFalse, clientareav1alpha1.DomainReasonTransferredAway,
		"the domain was transferred to another registrar", corev1.EventTypeNormal)
	return ctrl.Result{}, nil
}

// heldAtRegistry tells whether the registry holds, or is about to hold, the
// domain for this Domain: registered here, or a registration it completes
// later.
func heldAtRegistry(domain *clientareav1alpha1.Domain) bool {
	c := conditions.Get(domain, clientareav1alpha1.DomainConditionRegistered)
	if c != nil && c.Reason == string(clientareav1alpha1.DomainReasonDeletedAtRegistry) {
		return false
	}
	return active(domain) || (domain.Spec.TransferIn == nil && registryPending(domain))
}

// registrationUncertain tells whether the registry may hold a registration
// of this Domain that its status does not record: a create may have been
// sent (its answer lost, or the operator stopped before writing it down)
// and nothing says that the registry refused it or never got it.
func registrationUncertain(domain *clientareav1alpha1.Domain) bool {
	if domain.Spec.TransferIn != nil || domain.Status.RegisteredAt != nil {
		return false
	}
	c := conditions.Get(domain, clientareav1alpha1.DomainConditionRegistered)
	if c == nil {
		return true
	}
	switch clientareav1alpha1.DomainConditionReason(c.Reason) {
	case clientareav1alpha1.DomainReasonNameTaken, clientareav1alpha1.DomainReasonRegistryRefused,
		clientareav1alpha1.DomainReasonRegistryLoginFailed, clientareav1alpha1.DomainReasonNoRegistry,
		clientareav1alpha1.DomainReasonDeletedAtRegistry:
		return false
	}
	return true
}

// deleteAtRegistry deletes the registration of a Domain being deleted,
// once its last period is invoiced: the provider would otherwise pay the
// registry's auto-renewal with nobody to invoice (R4). A registration the
// registry has yet to complete is deleted too (a registry that refuses to
// delete it before then is asked again).
//
// A Domain that claimed its name and whose registration is uncertain
// (registrationUncertain) deletes it too: the registry may hold one that
// was never recorded, which nobody would invoice. Its claim says that it
// held the name, where its status may not (the write that would have said
// so was lost); a delete of a name the registry does not hold for the
// provider changes nothing.
func (r *domainReconciler) deleteAtRegistry(ctx context.Context, s *domainScope) (ctrl.Result, error) {
	domain := s.domain
	if billingHeld(domain) {
		return ctrl.Result{}, nil
	}
	if !heldAtRegistry(domain) {
		if !registrationUncertain(domain) {
			return ctrl.Result{}, nil
		}
		if claim, err := r.ownClaim(ctx, s); err != nil || claim == nil {
			return ctrl.Result{}, err
		}
	}
	err := r.callRegistrarOnly(ctx, func(ctx context.Context) error { return r.Registrar.Delete(ctx, domainNameOf(domain)) })
	if registrar.ReasonOf(err) == registrar.ReasonNoRegistry && !active(domain) {
		err = nil // no registry serves the name (any more): none holds it
	}
	if err != nil {
		conditions.SetNoted(r.Recorder, domain, clientareav1alpha1.DomainConditionRegistered, metav1.ConditionTrue, registryReason(err),
			"the Domain is being deleted, but the registry has not deleted it yet: "+err.Error(), corev1.EventTypeWarning)
		return ctrl.Result{}, fmt.Errorf("deleting %s at the registry: %w", domainNameOf(domain), err)
	}
	// The state stays: an account being deleted waits for its active
	// domains to be gone, logins included.
	conditions.Set(domain, clientareav1alpha1.DomainConditionRegistered, metav1.ConditionFalse, clientareav1alpha1.DomainReasonDeletedAtRegistry,
		"deleted at the registry with the Domain")
	return ctrl.Result{}, nil
}
