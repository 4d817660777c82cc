// Package terminal is the channel of the `wasla simulate` command: it turns outbound
// messages into lines of text for a terminal and a line the user typed into an inbound
// message.
//
// Reply buttons and list rows are printed numbered ("[1] Prices"), and the user answers
// by number or by title, as a WhatsApp user would press the button or choose the row; the
// answer becomes a button or list reply carrying the choice's id, exactly what the
// WhatsApp channel produces, so a flow behaves the same in the simulator and in production.
// Everything here is a pure function of its arguments; the simulator owns the reading,
// printing and the engine.
package terminal
