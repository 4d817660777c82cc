// Package engine runs flows over per-contact session state: it matches triggers, runs
// steps until one waits for input, keeps timers for ask timeouts and waits, answers a burst
// of messages once, honours opt-out words and hands conversations to human queues.
//
// The engine declares what it consumes — a Store for state, a Sender for replies, a Clock
// for time and an HTTPDoer for http steps — and the simulator, the conversation tests and
// the server all drive the same Engine, so a flow behaves alike in each.
//
// # The update loop
//
// Everything that changes a contact — a message (Receive), a timer (RunDue), an agent's
// reply, a reset — is one update, run under the contact's lock in this process:
//
//  1. load: the contact's state through a Tx, a transaction over that one contact. The
//     intake hands the server one with each queued message (its Load usually costs no round
//     trip and its Commit also takes the message off the queue, under the intake's lease);
//     every other caller gets a plain one over the Store.
//  2. run: the flows change the state in memory and collect history events and replies
//     (the Router picks each reply's sending number here, writing its memory into the same
//     state). Nothing leaves the process in this step but http steps' requests.
//  3. commit: the state and the history are stored at once, if the stored version is still
//     the loaded one.
//  4. send: the replies go to the Sender, only after the commit succeeded. A store with
//     an outbox (the server's) stores the replies in the commit itself, as the messages of
//     the outbound and agent events of the history, and sends them from there; the engine
//     then has no Sender, and a reply committed is a reply that will be sent, whatever
//     crashes after the commit.
//
// When the commit is refused with ErrConflict (another writer — a timer, an agent's reply,
// another replica — committed the contact since the load), steps 1 to 3 run again from a
// fresh load, up to Options.CommitAttempts times. What runs again is only what step 2
// does: the flow's steps and expressions, the router's decision, and the requests of http
// steps, which a flow must therefore keep idempotent. Nothing was stored and nothing was
// sent by the refused attempt, so no reply goes out twice. A commit refused with
// ErrDuplicate (the message was handled before) ends the update without sending; any
// other commit error is returned, and the caller (the intake) runs the message again.
package engine
