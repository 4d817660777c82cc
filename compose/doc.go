// Package compose is the one composition root of the engine: `serve` (server.Build),
// `simulate` and `test` (flowtest.Run) all build their engine through Engine, which wires
// the number registry and the router from the configuration the same way for each. A
// conversation test or a simulation run with the serve configuration therefore sees the
// 24-hour-window refusals and the inbox invitations that production sends.
//
//	reg, err := compose.Numbers(cfg, numbers.NewRedisStates(rdb, st.Prefix()), clk)
//	eng, err := compose.Engine(set, st, sender, compose.Options{
//		Engine: engine.Options{Clock: clk, Logger: log},
//		Config: cfg, Numbers: reg,
//	})
package compose
