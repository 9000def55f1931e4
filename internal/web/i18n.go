package web

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"golang.org/x/text/currency"
	"golang.org/x/text/language"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
)

// languageCookie keeps the language chosen with the switch; without it,
// Accept-Language decides.
const languageCookie = "__Host-lang"

// The languages of the client area, English first: it is the fallback.
var (
	languages = []language.Tag{language.English, language.German}
	matcher   = language.NewMatcher(languages)
)

// lang is one language's words and formats, for the templates.
type lang struct {
	// Code is the language's code for <html lang>: en or de.
	Code string
	de   bool
}

var (
	english = &lang{Code: "en"}
	german  = &lang{Code: "de", de: true}
)

// chooseLanguage is the language of the cookie, else the best match of
// Accept-Language, else English.
func chooseLanguage(r *http.Request) *lang {
	var choice string
	if cookie, err := r.Cookie(languageCookie); err == nil {
		choice = cookie.Value
	}
	_, index := language.MatchStrings(matcher, choice, r.Header.Get("Accept-Language"))
	if index == 1 {
		return german
	}
	return english
}

// languageKey is the context key of the request's language.
type languageKey struct{}

func withLanguageOf(ctx context.Context, l *lang) context.Context {
	return context.WithValue(ctx, languageKey{}, l)
}

// languageFrom is the request's language; English when none was chosen.
func languageFrom(ctx context.Context) *lang {
	if l, ok := ctx.Value(languageKey{}).(*lang); ok {
		return l
	}
	return english
}

// withLanguage chooses the language of every request.
func (s *Server) withLanguage(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Vary", "Accept-Language, Cookie")
		next.ServeHTTP(w, r.WithContext(withLanguageOf(r.Context(), chooseLanguage(r))))
	})
}

// setLanguage is the switch in the header: it remembers the choice for a
// year and goes back to the page it was clicked on.
func (s *Server) setLanguage(w http.ResponseWriter, r *http.Request) {
	choice := r.URL.Query().Get("l")
	if choice == english.Code || choice == german.Code {
		http.SetCookie(w, &http.Cookie{
			Name: languageCookie, Value: choice, Path: "/", MaxAge: 365 * 24 * 60 * 60,
			Secure: true, HttpOnly: true, SameSite: http.SameSiteLaxMode,
		})
	}
	http.Redirect(w, r, safeReturn(r.URL.Query().Get("return")), http.StatusSeeOther)
}

// T is the word for key; the key itself if there is none, which a test
// rules out for every key the templates use.
func (l *lang) T(key string) string {
	m, ok := messages[key]
	switch {
	case !ok:
		return key
	case l.de:
		return m.de
	}
	return m.en
}

// F is the word for key with its %s and %d filled in.
func (l *lang) F(key string, args ...any) string { return fmt.Sprintf(l.T(key), args...) }

// timeOf reads the times the API uses.
func timeOf(v any) (time.Time, bool) {
	switch t := v.(type) {
	case time.Time:
		return t, !t.IsZero()
	case metav1.Time:
		return t.Time, !t.IsZero()
	case *metav1.Time:
		if t == nil {
			return time.Time{}, false
		}
		return t.Time, !t.IsZero()
	}
	return time.Time{}, false
}

// Date is a day in the language's usual form, in UTC (the API's times are
// UTC; an invoice date must not depend on the reader's time zone).
func (l *lang) Date(v any) string {
	t, ok := timeOf(v)
	switch {
	case !ok:
		return "–"
	case l.de:
		return t.UTC().Format("02.01.2006")
	}
	return t.UTC().Format("2 Jan 2006")
}

// DateInput is a day as an <input type=date> value.
func (l *lang) DateInput(v any) string {
	if t, ok := timeOf(v); ok {
		return t.UTC().Format(time.DateOnly)
	}
	return ""
}

// Money is an amount in minor units of its ISO 4217 currency, such as
// 1.234,56 EUR or 1,234.56 EUR; the number of decimals is the currency's.
func (l *lang) Money(amount clientareav1alpha1.AmountMinor, code clientareav1alpha1.CurrencyCode) string {
	scale := 2
	if unit, err := currency.ParseISO(string(code)); err == nil {
		scale, _ = currency.Standard.Rounding(unit)
	}
	sign, value := "", int64(amount)
	if value < 0 {
		sign, value = "-", -value
	}
	digits := strconv.FormatInt(value, 10)
	if len(digits) <= scale {
		digits = strings.Repeat("0", scale-len(digits)+1) + digits
	}
	whole, fraction := digits[:len(digits)-scale], digits[len(digits)-scale:]
	group, decimal := ",", "."
	if l.de {
		group, decimal = ".", ","
	}
	number := groupThousands(whole, group)
	if scale > 0 {
		number += decimal + fraction
	}
	return sign + number + " " + string(code)
}

func groupThousands(digits, separator string) string {
	var b strings.Builder
	for i, c := range digits {
		if i > 0 && (len(digits)-i)%3 == 0 {
			b.WriteString(separator)
		}
		b.WriteRune(c)
	}
	return b.String()
}

// Percent is a rate in basis points, such as 19 % or 7,5 %.
func (l *lang) Percent(rate clientareav1alpha1.BasisPoints) string {
	text := strconv.FormatFloat(float64(rate)/100, 'f', -1, 64)
	if l.de {
		text = strings.Replace(text, ".", ",", 1)
	}
	return text + " %"
}

// Role is Owner or Member in words.
func (l *lang) Role(role clientareav1alpha1.Role) string { return l.T("role_" + string(role)) }

// Permission is one permission word in words.
func (l *lang) Permission(p clientareav1alpha1.Permission) string {
	return l.T("perm_" + string(p))
}

// PermissionHelp says what a permission allows.
func (l *lang) PermissionHelp(p clientareav1alpha1.Permission) string {
	return l.T("perm_help_" + string(p))
}

// Permissions is a member's permissions in words; the owner's are all.
func (l *lang) Permissions(role clientareav1alpha1.Role, permissions []clientareav1alpha1.Permission) string {
	if role == clientareav1alpha1.RoleOwner {
		return l.T("perm_owner")
	}
	words := make([]string, 0, len(permissions))
	for _, p := range permissions {
		words = append(words, l.Permission(p))
	}
	return strings.Join(words, ", ")
}

// State is a membership's state in words.
func (l *lang) State(state clientareav1alpha1.MembershipState) string {
	if state == "" {
		state = clientareav1alpha1.MembershipPending
	}
	return l.T("state_" + string(state))
}

// DomainState is a domain's state in words.
func (l *lang) DomainState(state clientareav1alpha1.DomainState) string {
	if state == "" {
		state = clientareav1alpha1.DomainPending
	}
	return l.T("domain_" + string(state))
}

// StateHelp explains a domain state, in the client area's own words: the
// conditions' messages are the operator's and may name another account
// (a conflict), so they are not shown.
func (l *lang) StateHelp(state clientareav1alpha1.DomainState) string {
	if state == "" {
		state = clientareav1alpha1.DomainPending
	}
	return l.T("domain_help_" + string(state))
}

// BillingHold says why an account's invoices wait (a BillingHoldReason of
// its BillingContactResolved condition), in the client area's own words.
func (l *lang) BillingHold(reason string) string {
	if _, ok := messages["billing_hold_"+reason]; ok {
		return l.T("billing_hold_" + reason)
	}
	return l.T("billing_hold_other")
}

// YesNo is a yes or a no.
func (l *lang) YesNo(yes bool) string {
	if yes {
		return l.T("yes")
	}
	return l.T("no")
}

// Use says where a contact is used (C3).
func (l *lang) Use(use clientareav1alpha1.ContactUse) string {
	if use.Kind == "Domain" {
		return l.F("used_by_domain", use.Name)
	}
	return l.F("used_by_account", use.Name)
}
