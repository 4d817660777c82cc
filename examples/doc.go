// Package examples holds wasla's example flow sets, each a folder of flow files with the
// conversation tests that prove them:
//
//   - shop: a coffee and dates shop in Arabic and English (menu, prices, order status with
//     an order-system lookup, opening hours, language choice, hand-off to sales);
//   - clinic: a dental clinic's bookings (name, date, time slot, confirmation, a reminder
//     the day before, cancellation);
//   - tour: one small flow per trigger kind and per step kind, quoted by docs/flows.md.
//
// The package has no code: its tests load every set, run every conversation test, require
// every step of every flow to be reached, and check that docs/flows.md quotes the tour files
// as they are. Try a set with `wasla simulate examples/shop`.
package examples
