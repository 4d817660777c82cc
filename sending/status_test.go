package sending

import (
	"context"
	"testing"

	"github.com/wasla/wasla/channels/whatsapp"
)

func TestApplyStatus(t *testing.T) {
	tests := []struct {
		name     string
		status   *whatsapp.Status
		usable   bool
		reason   string
		observed string
	}{
		{"delivered changes nothing", &whatsapp.Status{Status: whatsapp.StatusDelivered, Number: "2001"}, true, "", ""},
		{"failed, unreachable", &whatsapp.Status{Status: whatsapp.StatusFailed, Number: "2001",
			Errors: []whatsapp.WebhookError{{Code: 131026, Title: "Message undeliverable"}}}, true, "", "failed 2001 131026"},
		{"failed, account locked", &whatsapp.Status{Status: whatsapp.StatusFailed, Number: "2001",
			Errors: []whatsapp.WebhookError{{Code: 131031, Title: "Business Account locked"}, {Code: 368}}}, false,
			"failed status 131031: Business Account locked", "failed 2001 131031; failed 2001 368"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t)
			if err := h.snd.ApplyStatus(context.Background(), tt.status); err != nil {
				t.Fatal(err)
			}
			if got := h.reg.Usable("2001", t0); got != tt.usable {
				t.Errorf("usable = %v, want %v", got, tt.usable)
			}
			if got := h.reg.State("2001").Reason; got != tt.reason {
				t.Errorf("reason = %q, want %q", got, tt.reason)
			}
			if h.obs.String() != tt.observed {
				t.Errorf("observer = %q, want %q", h.obs, tt.observed)
			}
		})
	}
}
