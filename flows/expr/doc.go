// Package expr is the expression language of flows: expressions and {{ }} text templates
// compiled once against the typed environment Env (message, contact, vars, session,
// number, campaign, now, open, answer), the helper functions they may call, opening
// hours, and the messages of compile errors, rewritten for the person who wrote the flow
// and positioned exactly inside any YAML scalar style (plain, quoted with escapes, literal
// and folded blocks) with a caret snippet.
//
// A compiled Expr or Template is immutable and safe for concurrent use: package flows
// compiles each once when a set loads and the engine evaluates it for every message.
// The package knows nothing of steps or triggers; it imports only yamlfile for positions.
package expr
