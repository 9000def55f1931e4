package eppregistry

import "strings"

// takeFault returns a copy of the first queued fault that matches the
// command name and uses up one of its Times (caller holds r.mu).
//
// A fault is consumed whether or not the command would succeed: the point
// is to break the transport around a command, not to model its result.
func (r *Registry) takeFault(name string) *Fault {
	for i, f := range r.faults {
		if f.Command == "*" || f.Command == name || strings.HasPrefix(name, f.Command+" ") {
			cp := *f
			f.Times--
			if f.Times <= 0 {
				r.faults = append(r.faults[:i], r.faults[i+1:]...)
			}
			return &cp
		}
	}
	return nil
}
