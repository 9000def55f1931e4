package web

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// maxFormBytes bounds a form: the largest is a contact, far below this.
const maxFormBytes = 64 << 10

// form is a form's values: those submitted, or those of the object edited.
type form struct{ values url.Values }

func newForm() *form { return &form{values: url.Values{}} }

// readForm parses a submitted form, of bounded size.
func readForm(w http.ResponseWriter, r *http.Request) (*form, error) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBytes)
	if err := r.ParseForm(); err != nil {
		return nil, err
	}
	return &form{values: r.PostForm}, nil
}

// Get is a field's value, trimmed.
func (f *form) Get(name string) string {
	if f == nil {
		return ""
	}
	return strings.TrimSpace(f.values.Get(name))
}

// List is a repeated field's values, trimmed, without empty ones.
func (f *form) List(name string) []string {
	if f == nil {
		return nil
	}
	var list []string
	for _, v := range f.values[name] {
		if v = strings.TrimSpace(v); v != "" {
			list = append(list, v)
		}
	}
	return list
}

// Has says whether a checkbox or option with this value was chosen.
func (f *form) Has(name, value string) bool {
	return f != nil && slices.Contains(f.values[name], value)
}

// Checked says whether a checkbox without a value was ticked.
func (f *form) Checked(name string) bool { return f != nil && f.values.Get(name) != "" }

// Lines is a textarea's non-empty lines.
func (f *form) Lines(name string) []string {
	var lines []string
	for _, line := range strings.Split(f.Get(name), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			lines = append(lines, line)
		}
	}
	return lines
}

// Slots is a repeated field's values, padded with empty ones to at least n
// inputs, so a form shows free inputs to fill in.
func (f *form) Slots(name string, n int) []string {
	values := f.List(name)
	for len(values) < n {
		values = append(values, "")
	}
	return values
}

func (f *form) set(name string, values ...string) { f.values[name] = values }

// unchangedSince says whether an object's spec is still the one the form
// was made from: the form carries its generation, which only a change of
// the spec moves (the operator's status writes do not). A write after a
// stale form would undo someone else's change; a race between reading and
// writing is caught by the resourceVersion of the read.
func unchangedSince(f *form, obj client.Object) bool {
	return f.Get("generation") == strconv.FormatInt(obj.GetGeneration(), 10)
}

// fieldError is one problem with a form: the input it concerns (empty for
// the form as a whole) and what is wrong, as the API server said it.
type fieldError struct {
	Field   string
	Message string
}

// ErrorFor is the message for one input, for the page to put beside it.
func (p *page) ErrorFor(field string) string {
	var messages []string
	for _, e := range p.Errors {
		if e.Field == field {
			messages = append(messages, e.Message)
		}
	}
	return strings.Join(messages, " ")
}

// indexSuffix is a list index in a field path, such as [1] in
// spec.nameServers[1].
var indexSuffix = regexp.MustCompile(`\[[0-9]+\]`)

// formErrors turns the API server's refusal of a write (422: the CRD
// schema, its CEL rules or an admission policy) into errors on the form's
// inputs, with the field the API server named; fields maps API field paths
// to input names. ok is false for any other error.
func formErrors(err error, fields map[string]string) (errs []fieldError, ok bool) {
	var status apierrors.APIStatus
	if !errors.As(err, &status) || !apierrors.IsInvalid(err) {
		return nil, false
	}
	details := status.Status().Details
	if details == nil || len(details.Causes) == 0 {
		return []fieldError{{Message: status.Status().Message}}, true
	}
	for _, cause := range details.Causes {
		path := indexSuffix.ReplaceAllString(cause.Field, "")
		input, known := fields[path]
		message := cause.Message
		if !known {
			message = cause.Field + ": " + message
		}
		errs = append(errs, fieldError{Field: input, Message: message})
	}
	return errs, true
}

// formError is one error for the form as a whole, by message key.
func formError(l *lang, key string) []fieldError {
	return []fieldError{{Message: l.T(key)}}
}

// updateSpec applies change to obj (as read, its spec checked against the
// form with unchangedSince) and writes it. The operator writes statuses all
// the time, which moves the resourceVersion but not the generation: an
// update that meets such a write is applied again to the object as it is
// now, a few times, rather than sending the customer back with "changed
// meanwhile". A conflict with a change of the spec itself is returned.
func updateSpec[T client.Object](ctx context.Context, c client.Client, obj T, change func()) error {
	generation := obj.GetGeneration()
	change()
	var err error
	for attempt := 0; attempt < 3; attempt++ {
		if err = c.Update(ctx, obj); !apierrors.IsConflict(err) {
			return err
		}
		fresh := reflect.New(reflect.TypeOf(obj).Elem()).Interface().(T)
		if getErr := c.Get(ctx, client.ObjectKeyFromObject(obj), fresh); getErr != nil {
			return getErr
		}
		if fresh.GetGeneration() != generation {
			return err // the spec changed meanwhile: the customer decides again
		}
		reflect.ValueOf(obj).Elem().Set(reflect.ValueOf(fresh).Elem())
		change()
	}
	return err
}
