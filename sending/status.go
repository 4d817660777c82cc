package sending

import (
	"context"
	"errors"
	"fmt"

	"github.com/wasla/wasla/channels/whatsapp"
)

// ApplyStatus acts on a failed status webhook the way SendMessage acts on a failed send,
// because Meta often reports a failure only later, after a 200 and a wamid: a restricted
// class error (131048, 368, 131031, 130497) marks the sending number restricted, and
// every error reaches Observer.Failed. It records nothing: the server records the status
// itself in the contact's history. Statuses other than failed change nothing.
func (s *Sender) ApplyStatus(ctx context.Context, st *whatsapp.Status) error {
	if st.Status != whatsapp.StatusFailed || st.Number == "" {
		return nil
	}
	var errs []error
	restricted := false
	for _, e := range st.Errors {
		if s.opts.Observer != nil {
			s.opts.Observer.Failed(st.Number, e.Code)
		}
		if e.Class() != whatsapp.ClassRestricted || restricted {
			continue
		}
		restricted = true
		reason := fmt.Sprintf("failed status %d", e.Code)
		if e.Title != "" {
			reason += ": " + e.Title
		}
		if err := s.opts.Numbers.MarkRestricted(ctx, st.Number, reason); err != nil {
			errs = append(errs, fmt.Errorf("marking number %s restricted: %w", st.Number, err))
		}
	}
	return errors.Join(errs...)
}
