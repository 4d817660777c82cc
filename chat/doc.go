// Package chat holds wasla's neutral vocabulary: contacts, business numbers, inbound
// messages, outbound messages and history events. Every other package speaks these types;
// chat imports nothing of ours, so a channel, the engine and the store can meet here
// without knowing each other.
package chat
