package patch

import (
	"fmt"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	clientareav1alpha1 "clientarea.dev/clientarea-operator/api/v1alpha1"
)

func condition(conditionType, status string) metav1.Condition {
	return metav1.Condition{Type: conditionType, Status: metav1.ConditionStatus(status), Reason: "R", Message: conditionType + "=" + status}
}

// summary lists conditions as Type=Status, in order.
func summary(conditions []metav1.Condition) string {
	s := ""
	for _, c := range conditions {
		s += fmt.Sprintf("%s=%s ", c.Type, c.Status)
	}
	return s
}

func TestMergeConditions(t *testing.T) {
	a, b, c := condition("A", "True"), condition("B", "True"), condition("C", "True")
	aFalse, bFalse := condition("A", "False"), condition("B", "False")
	tests := []struct {
		name                  string
		latest, before, after []metav1.Condition
		want                  string
	}{
		{"nothing changed keeps latest", []metav1.Condition{a, b}, []metav1.Condition{a}, []metav1.Condition{a}, "A=True B=True "},
		{"added", []metav1.Condition{b}, nil, []metav1.Condition{a}, "B=True A=True "},
		{"changed in place", []metav1.Condition{b, a}, []metav1.Condition{a}, []metav1.Condition{aFalse}, "B=True A=False "},
		{"removed", []metav1.Condition{a, b}, []metav1.Condition{a}, nil, "B=True "},
		{"removed, and gone already", []metav1.Condition{b}, []metav1.Condition{a}, nil, "B=True "},
		{"the other's change to its own condition stays", []metav1.Condition{a, bFalse}, []metav1.Condition{a, b}, []metav1.Condition{aFalse, b}, "A=False B=False "},
		{"the other's new condition stays", []metav1.Condition{a, c}, []metav1.Condition{a}, []metav1.Condition{a, b}, "A=True C=True B=True "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := summary(mergeConditions(tt.latest, tt.before, tt.after)); got != tt.want {
				t.Errorf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestApplyStatusChanges(t *testing.T) {
	domain := func(holderName, login string, conditions ...metav1.Condition) *clientareav1alpha1.Domain {
		return &clientareav1alpha1.Domain{Status: clientareav1alpha1.DomainStatus{HolderName: holderName, LoginServiceAccount: login, Conditions: conditions}}
	}
	holder, login := condition("HolderResolved", "True"), condition("LoginReady", "True")
	base := domain("", "")
	latest := domain("Alice", "", holder)            // the domain controller wrote meanwhile
	obj := domain("", "login-example", login)        // what this reconcile changed
	applyStatusChanges(latest, base, obj.DeepCopy()) // its changes, onto the latest
	if latest.Status.HolderName != "Alice" || latest.Status.LoginServiceAccount != "login-example" ||
		summary(latest.Status.Conditions) != "HolderResolved=True LoginReady=True " {
		t.Errorf("got %+v", latest.Status)
	}
}
