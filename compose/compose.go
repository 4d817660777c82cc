package compose

import (
	"errors"
	"fmt"
	"slices"

	"github.com/wasla/wasla/chat"
	"github.com/wasla/wasla/clock"
	"github.com/wasla/wasla/config"
	"github.com/wasla/wasla/engine"
	"github.com/wasla/wasla/flows"
	"github.com/wasla/wasla/numbers"
	"github.com/wasla/wasla/routing"
)

// Options are what Engine wires besides the flows, the store and the sender.
type Options struct {
	// Engine are the engine's own options; Engine sets Router.
	Engine engine.Options
	// Config supplies the business numbers and the routing policies. Nil, or a
	// configuration without numbers: no router, so replies leave from the number the
	// contact wrote to (the simulator and tests without a configuration).
	Config *config.Config
	// Numbers is the registry of Config's numbers when the caller shares it with others
	// (the server's sender and webhooks); nil: Engine builds one over in-memory states.
	Numbers *numbers.Registry
	// Observer is told of the router's refusals and invitations (the server's metrics).
	Observer routing.Observer
	// ReplyPolicy, when set, overrides a campaign number's routing policy (the started
	// campaign files' replies.policy); see routing.Options.PolicyOf.
	ReplyPolicy func(chat.NumberID) (numbers.Policy, bool)
}

// Engine builds the engine that runs set over st, replying through send, with the router
// of opts.Config's numbers and policies.
func Engine(set *flows.Set, st engine.Store, send engine.Sender, opts Options) (*engine.Engine, error) {
	eo := opts.Engine
	if cfg := opts.Config; cfg != nil && len(cfg.Numbers) > 0 {
		reg := opts.Numbers
		if reg == nil {
			var err error
			if reg, err = Numbers(cfg, &numbers.MemStates{}, eo.Clock); err != nil {
				return nil, err
			}
		}
		ro := RoutingOptions(cfg, opts.Observer)
		ro.PolicyOf = opts.ReplyPolicy
		router, err := routing.New(reg, ro)
		if err != nil {
			return nil, fmt.Errorf("%s: routing: %w", cfg.File, err)
		}
		eo.Router = router
	}
	return engine.New(set, st, send, eo), nil
}

// Numbers returns the registry of cfg's numbers over states, with clk (nil: the wall
// clock). Problems with the number list are config.Diagnostics placed on their lines.
func Numbers(cfg *config.Config, states numbers.StateStore, clk clock.Clock) (*numbers.Registry, error) {
	var opts []numbers.Option
	if clk != nil {
		opts = append(opts, numbers.WithClock(clk))
	}
	reg, err := numbers.New(numberList(cfg), states, opts...)
	if err != nil {
		return nil, numbersDiagnostics(cfg, err)
	}
	return reg, nil
}

func numberList(cfg *config.Config) []numbers.Number {
	list := make([]numbers.Number, len(cfg.Numbers))
	for i, n := range cfg.Numbers {
		list[i] = numbers.Number{
			ID:         chat.NumberID(n.ID),
			Display:    n.Display,
			Role:       numbers.Role(n.Role),
			WABA:       n.WABA,
			Portfolio:  n.Portfolio,
			Token:      numbers.Secret(n.Token.Reveal()),
			Throughput: n.Throughput,
			Campaign:   n.Campaign,
			Policy:     numbers.Policy(n.Policy),
		}
	}
	return list
}

// numbersDiagnostics places the registry's problems on the lines of the numbers they
// concern.
func numbersDiagnostics(cfg *config.Config, err error) error {
	var ce *numbers.ConfigError
	if !errors.As(err, &ce) {
		return err
	}
	var ds config.Diagnostics
	for _, p := range ce.Problems {
		d := config.Diagnostic{File: cfg.File, Message: p.String()}
		if p.Index >= 0 && p.Index < len(cfg.Numbers) {
			d.Line = cfg.Numbers[p.Index].Line
		}
		ds = append(ds, d)
	}
	return ds
}

func template(t config.Template) *chat.Template {
	if !t.IsSet() {
		return nil
	}
	return &chat.Template{Name: t.Name, Language: t.Language, Params: slices.Clone(t.Params)}
}

// RoutingOptions turns the routing section into the router's default policy and each
// campaigns entry into its campaign's policy. Kinds travel on the numbers: the
// configuration settled every campaign number's policy.
func RoutingOptions(cfg *config.Config, obs routing.Observer) routing.Options {
	opts := routing.Options{
		Default: routing.Policy{
			Kind:     numbers.Policy(cfg.Routing.DefaultPolicy),
			LinkText: cfg.Routing.LinkText,
			Prefill:  cfg.Routing.LinkPrefill,
			Bridge:   template(cfg.Routing.BridgeTemplate),
			Fallback: template(cfg.Routing.WindowTemplate),
		},
		RedirectEvery: cfg.Routing.RedirectEvery,
		Observer:      obs,
	}
	if len(cfg.Campaigns) > 0 {
		opts.Campaigns = make(map[string]routing.Policy, len(cfg.Campaigns))
		for _, c := range cfg.Campaigns {
			opts.Campaigns[c.Name] = routing.Policy{
				Kind:     numbers.Policy(c.Policy),
				LinkText: c.LinkText,
				Prefill:  c.LinkPrefill,
				Bridge:   template(c.BridgeTemplate),
				Fallback: template(c.WindowTemplate),
			}
		}
	}
	return opts
}
