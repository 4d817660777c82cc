package flows

import "github.com/wasla/wasla/flows/expr"

// The expression language lives in package flows/expr. These names keep the engine, which
// builds the environment and renders templates, compiling while it is being split into
// files; new code imports flows/expr, and a mechanical rename retires them.
type (
	// Env is expr.Env.
	Env = expr.Env
	// MessageEnv is expr.MessageEnv.
	MessageEnv = expr.MessageEnv
	// ContactEnv is expr.ContactEnv.
	ContactEnv = expr.ContactEnv
	// SessionEnv is expr.SessionEnv.
	SessionEnv = expr.SessionEnv
	// Template is expr.Template.
	Template = expr.Template
	// Hours is expr.Hours.
	Hours = expr.Hours
)

// FormatValue is expr.FormatValue.
func FormatValue(v any) string { return expr.FormatValue(v) }

// ParseHours is expr.ParseHours.
func ParseHours(spec string) (*Hours, error) { return expr.ParseHours(spec) }

// Budget is expr.Budget.
type Budget = expr.Budget
