// Package inbox is the agents' inbox: the people behind the business answer the
// conversations the bot handed off, from one inbox that holds every number's conversations.
//
// A conversation record (queue, state, assignee, unread count, labels, notes, SLA clock)
// lives in Redis beside the engine's contact state; docs/inbox.md names the keys. Records
// change in three ways:
//
//   - the engine's commits: Watch wraps the engine's Store (and WatchTx the intake's
//     transactions) and, after each commit, turns
//     the committed history (a hand-off, a customer message, an agent reply, a return to
//     the bot) into record updates and live events;
//   - agents' actions through the JSON API (claim, transfer, release, close, notes,
//     labels); a claim is one Lua script over the record, so of two agents claiming at
//     once exactly one wins;
//   - replies, which go through engine.AgentReply like any reply: routing, the 24-hour
//     window and opt-outs apply to agents as they do to the bot.
//
// Every change is also appended to one Redis Stream; each replica's Server-Sent Events
// read it, so an agent sees what happened on any replica, and a reconnect with
// Last-Event-ID replays exactly what it missed.
//
// Agents, their queues and roles, canned replies and SLA targets come from a YAML file
// (LoadConfig). Agents sign in with a bearer token; the file holds only its SHA-256.
package inbox
