// Package contact holds what is kept about one contact: the profile, the conversation's
// position and memory (session, timers, awaited input, mode), the routing layer's memory
// and its invitations, and the errors a commit of them is refused with.
//
// It is the seam between the parts that read and write a contact — the engine runs flows
// over it, the store keeps it in Redis, the router decides sending numbers from it, and
// campaigns and the agents' inbox build on it — and imports nothing of ours but the chat
// vocabulary, so none of them has to compile the flow language to use it.
package contact
